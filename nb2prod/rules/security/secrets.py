"""NB601, NB602: secrets in sources and in outputs, found by :mod:`nb2prod.secret_scan`
and reported with the secret masked."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from nb2prod import _lazyre
from nb2prod._ast import walk as walk_nodes
from nb2prod.analysis import Analysis
from nb2prod.code import PYTHON_BODY_CELL_MAGICS
from nb2prod.diagnostics import Finding, Severity
from nb2prod.fixes.common import remove_output
from nb2prod.fixes.model import Applicability, Fix, SourceEdit, insert
from nb2prod.fixes.text import line_starts, newline_of, node_span
from nb2prod.masking import mask
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register
from nb2prod.rules.security.outputs import blank_data_uris, outputs
from nb2prod.secret_scan import PRIVATE_KEY_HEADER, Hit, classify_name, has_anchor, scan_lines, split_lines


def _redact(start: int, end: int, line_length: int) -> tuple[int, int]:
    """A 1-based, end-exclusive ``redact`` span for the 0-based [start, end) of a line."""
    return (start + 1, min(end, line_length) + 1)


def _describe(hits: list[Hit]) -> tuple[str, str]:
    first = hits[0]
    shown = first.value
    if first.kind == "private key":
        header = PRIVATE_KEY_HEADER.match(first.value)
        shown = header.group() if header else "-----BEGIN PRIVATE KEY-----"
        excerpt = shown.strip("-") + " ..."
    else:
        excerpt = mask(shown)
    more = f" (and {len(hits) - 1} more on this line)" if len(hits) > 1 else ""
    return first.kind, f"`{excerpt}`{more}"



# -- the fix: a secret literal becomes os.environ["NAME"] ----------------------------------

# The variable a secret of a known format is read from when no name in the code says.
_KIND_ENV = (
    ("aws secret access key", "AWS_SECRET_ACCESS_KEY"),
    ("aws access key", "AWS_ACCESS_KEY_ID"),
    ("github token", "GITHUB_TOKEN"),
    ("gitlab token", "GITLAB_TOKEN"),
    ("slack webhook url", "SLACK_WEBHOOK_URL"),
    ("slack token", "SLACK_TOKEN"),
    ("stripe live key", "STRIPE_API_KEY"),
    ("openai api key", "OPENAI_API_KEY"),
    ("anthropic api key", "ANTHROPIC_API_KEY"),
    ("google api key", "GOOGLE_API_KEY"),
    ("google oauth client secret", "GOOGLE_CLIENT_SECRET"),
    ("hugging face token", "HF_TOKEN"),
    ("sendgrid api key", "SENDGRID_API_KEY"),
    ("twilio api key", "TWILIO_API_KEY"),
    ("telegram bot token", "TELEGRAM_BOT_TOKEN"),
    ("discord bot token", "DISCORD_BOT_TOKEN"),
    ("mailchimp api key", "MAILCHIMP_API_KEY"),
    ("npm token", "NPM_TOKEN"),
    ("pypi token", "PYPI_TOKEN"),
)
# A whole string literal: prefix, quotes, text.
_LITERAL = _lazyre.compile(r"""(?s)([rRuU]?)('''|\"\"\"|'|")(.*)\2""")
_ENV_NAME = _lazyre.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class _Literal:
    """A string literal that is exactly one secret: where it is in the cell's source
    (quotes included) and the environment variable it is to be read from."""

    start: int
    end: int
    name: str
    value: str


def _env_var(name: str) -> str | None:
    """``apiKey``, ``api-key``, ``api_key`` -> ``API_KEY``; None when no valid environment
    variable name comes out."""
    n = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    n = re.sub(r"[^A-Za-z0-9]+", "_", n).strip("_").upper()
    return n if _ENV_NAME.fullmatch(n) else None


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr  # openai.api_key = "..."
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value  # config["api_key"] = "...", os.environ["HF_TOKEN"] = "..."
    return None


def _name_for(node: ast.Constant, parent: ast.AST | None, kind: str) -> str | None:
    """The environment variable for the secret ``node``: from the name it is given (a
    variable, keyword, dict key, or the name before it in ``("NAME", "value")``) when that
    names a secret, else from the kind of secret; None when neither says, or when the
    literal is somewhere else than in these places."""
    named: str | None = None
    if isinstance(parent, ast.keyword):
        named = parent.arg
    elif isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if parent.value is not node:
            return None
        named = _target_name(targets[0]) if len(targets) == 1 else None
    elif isinstance(parent, ast.Dict):
        i = next((k for k, v in enumerate(parent.values) if v is node), None)
        key = parent.keys[i] if i is not None else None
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None
        named = key.value
    elif isinstance(parent, ast.Call):
        i = next((k for k, a in enumerate(parent.args) if a is node), None)
        if i is None:
            return None
        before = parent.args[i - 1] if i else None
        if isinstance(before, ast.Constant) and isinstance(before.value, str):
            named = before.value  # os.environ.setdefault("HF_TOKEN", "hf_...")
    else:
        return None
    if named and classify_name(named) is not None:
        env = _env_var(named)
        if env:
            return env
    low = kind.lower()
    return next((env for prefix, env in _KIND_ENV if low.startswith(prefix)), None)


def _python_cell(cell: Cell) -> bool:
    parsed = cell.parsed
    if parsed.tree is None:
        return False
    return parsed.cell_magic is None or parsed.cell_magic.name in PYTHON_BODY_CELL_MAGICS


def _same_lines(cell: Cell) -> bool:
    """Whether the parsed code has the cell's lines (IPython's transforms kept them)."""
    parsed = cell.parsed
    return len(cell.source.splitlines()) == len(parsed.code.splitlines()) + parsed.line_offset


def _literals(cell: Cell, i: int, hits: list[Hit], starts: list[int]) -> list[_Literal] | None:
    """The string literals that the hits of line ``i`` (0-based) of a code cell are, each
    exactly (the whole string is the secret). None when a hit is only part of a string
    (an f-string, a URL, a connection string, `"Bearer ..."`) or is on a line that
    IPython's transforms changed: a fix replaces them all, or none."""
    if not _python_cell(cell) or not _same_lines(cell):
        return None
    parsed = cell.parsed
    source, code, off = cell.source, parsed.code, parsed.line_offset
    code_lines = code.splitlines()
    line = i + 1
    if not 1 <= line - off <= len(code_lines) or i >= len(cell.lines) or code_lines[line - off - 1] != cell.lines[i]:
        return None
    tree = parsed.tree
    assert tree is not None
    parents: dict[int, ast.AST] = {}
    constants: list[ast.Constant] = []
    for node in walk_nodes(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
            if (isinstance(child, ast.Constant) and isinstance(child.value, str) and not isinstance(node, ast.JoinedStr)
                    and child.lineno + off == line and child.end_lineno is not None and child.end_lineno + off == line):
                constants.append(child)
    found: list[_Literal] = []
    for h in hits:
        if h.mask_from is not None:
            return None
        at = starts[i] + h.start
        literal = None
        for node in constants:
            span = node_span(source, node, off)
            if node.value != h.value or span is None or not span[0] < at < span[1]:
                continue
            text = source[span[0]:span[1]]
            m = _LITERAL.fullmatch(text)
            if m is None or text != ast.get_source_segment(code, node) or m.group(3) != h.value:
                return None
            if span[0] + len(m.group(1)) + len(m.group(2)) != at:
                return None
            name = _name_for(node, parents.get(id(node)), h.kind)
            if name is None:
                return None
            literal = _Literal(span[0], span[1], name, h.value)
            break
        if literal is None:
            return None
        found.append(literal)
    return found or None


def _imports_os(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Import) and any(
        (a.asname is None and a.name.split(".", 1)[0] == "os") or (a.asname == "os" and a.name == "os")
        for a in stmt.names
    )


def _literal_only(cell: Cell) -> bool:
    """A `parameters` cell of literal assignments (no place to import in)."""
    tree = cell.parsed.tree
    if tree is None:
        return False
    for stmt in tree.body:
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
            return False
        try:
            ast.literal_eval(stmt.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
    return True


def _is_future(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


def _os_import(nb: Analysis, cell: Cell, line: int) -> SourceEdit | bool:
    """How `os` is imported before line ``line`` of ``cell``: True when a top-level
    `import os` already runs before it; else the edit that adds `import os` at the start
    of the first code cell (before its first statement, after `from __future__` imports;
    `skip` cells and a `parameters` cell of literals are passed over), or of ``cell``
    when that comes first; False when there is no such place."""
    target: Cell | None = None
    for c in nb.parsed_cells:
        if c.index > cell.index:
            break
        tags = c.nb2prod_tags
        if c is not cell and ("skip" in tags or not _python_cell(c)):
            continue
        tree = c.parsed.tree
        assert tree is not None
        off = c.parsed.line_offset
        for stmt in tree.body:
            if c is cell and (stmt.end_lineno or stmt.lineno) + off >= line:
                break
            if _imports_os(stmt):
                return True
        if target is None and tree.body and not (c is not cell and "parameters" in tags and _literal_only(c)):
            target = c
    if target is None or not _same_lines(target):
        return False
    tree = target.parsed.tree
    assert tree is not None
    k = 0
    while k < len(tree.body) and _is_future(tree.body[k]):
        k += 1
    if k == len(tree.body):
        return False
    first = tree.body[k].lineno + target.parsed.line_offset
    starts = line_starts(target.source)
    if not 1 <= first <= len(starts):
        return False
    return insert(target.index, target.id, starts[first - 1], "import os" + newline_of(target.source))


def _environ_fix(nb: Analysis, cell: Cell, i: int, literals: list[_Literal]) -> Fix | None:
    how = _os_import(nb, cell, i + 1)
    if how is False:
        return None
    edits = [SourceEdit(cell.index, cell.id, lit.start, lit.end, f'os.environ["{lit.name}"]') for lit in literals]
    if isinstance(how, SourceEdit):
        edits.insert(0, how)
    names = list(dict.fromkeys(lit.name for lit in literals))
    shown = ", ".join(f"`{n}`" for n in names)
    return Fix(
        f"read the secret from the environment: set the environment variable{'s' if len(names) > 1 else ''} "
        f"{shown} before running the notebook, and revoke the secret (it stays in the file's history)",
        tuple(edits),
        Applicability.UNSAFE,
    )


@register
class SecretInSource(Rule):
    """## What it does
    Finds secrets written into cells: cloud keys and tokens of known formats (AWS,
    GitHub, GitLab, Slack, Stripe, OpenAI, Google, Hugging Face, JWTs ... through
    detect-secrets), private keys, passwords in connection URLs (also with characters a
    URL should have percent-encoded: `postgresql://admin:p@ss!w$rd@db/x`), AWS secret
    access keys known by their context (an access key id nearby, or a secret-access-key
    name in any of its spellings), bearer tokens, and values given to secret-looking names
    (`password = "..."`, `api_key="..."`, `%env TOKEN=...`) in code, Markdown and raw cells.

    Placeholders (`"<your-key>"`, `"xxx"`, `"changeme"`, `"${VAR}"`) and values read at
    run time (`os.environ[...]`, `getpass()`) are not reported. Ambiguous names (`key`,
    `token`) are reported only with random-looking values.

    ## Why is this bad?
    A notebook is shared, committed and rendered on the web; every copy carries the
    secret, and removing it later does not remove it from the history. Leaked keys are
    found and abused by bots within minutes.

    ## Example
    ```python
    import boto3
    s3 = boto3.client("s3", aws_access_key_id="AKIA...", aws_secret_access_key="...")
    ```

    ## Use instead
    ```python
    import os
    import boto3
    s3 = boto3.client(
        "s3",
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )
    ```

    ## Fix
    Revoke the secret first (it is compromised), then read it at run time from the
    environment, a `.env` file kept out of version control, or a secrets manager;
    `getpass.getpass()` for interactive use. Rewrite the repository history if the
    notebook was committed.

    The automatic fix (unsafe: the notebook then needs the variable set) replaces a
    string literal that is the secret with `os.environ["NAME"]`. NAME is the name the
    secret is given when that names a secret: the variable (`api_key = "..."` ->
    `API_KEY`, `openai.api_key` -> `API_KEY`), the keyword argument (`token="..."` ->
    `TOKEN`), the dict key, or the name before it in `setdefault("HF_TOKEN", "...")`;
    otherwise the usual variable of the kind of secret (an AWS access key ID ->
    `AWS_ACCESS_KEY_ID`, a GitHub token -> `GITHUB_TOKEN`, a Hugging Face token ->
    `HF_TOKEN`). `import os` is added before the first statement of the first code
    cell unless a top-level `import os` already runs before the secret. The fix's
    message names the variable to set, never the secret.

    No fix when the secret is only part of a string (an f-string, a URL or connection
    string with a password, `"Bearer ..."`), in a Markdown or raw cell, in a private key
    block, on a line that IPython syntax changes (`%env TOKEN=...`), where nothing gives
    it a name (`check("...")`, a list), or when one name would be given two different
    secrets; nor for a line when any of its secrets cannot be fixed.
    """

    code = "NB601"
    name = "secret-in-source"
    severity = Severity.ERROR
    summary = "A secret (key, token, password, private key) is written in a cell"
    needs_python = False

    fix: ClassVar[Applicability | None] = Applicability.UNSAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        found: list[tuple[Cell, int, list[Hit], list[_Literal] | None]] = []
        for cell in nb.nb.cells:
            source = cell.source
            context = cell.cell_type if cell.cell_type in ("code", "markdown", "raw") else "raw"
            if context == "markdown":
                source = blank_data_uris(source)  # inline images
            if not source or not has_anchor(source):
                continue
            lines, starts = split_lines(source)
            for i, hits in scan_lines(lines, starts, source, context):
                found.append((cell, i, hits, _literals(cell, i, hits, starts) if context == "code" else None))
        # One variable, one secret: a name given two different secrets gets no fix.
        values: dict[str, set[str]] = {}
        for *_, literals in found:
            for lit in literals or ():
                values.setdefault(lit.name, set()).add(lit.value)
        for cell, i, hits, literals in found:
            fix = None
            if literals and all(len(values[lit.name]) == 1 for lit in literals):
                fix = _environ_fix(nb, cell, i, literals)
            yield self._finding(cell, i, hits, fix)

    def _finding(self, cell: Cell, i: int, hits: list[Hit], fix: Fix | None = None) -> Finding:
        kind, shown = _describe(hits)
        first = hits[0]
        line_length = len(cell.lines[i]) if i < len(cell.lines) else first.end
        redact = tuple(
            _redact(h.start if h.mask_from is None else h.mask_from, h.end, line_length)
            for h in hits
            if h.mask_from is None or h.mask_from < h.end
        )
        return self.at(
            cell,
            f"{kind}: {shown}",
            line=i + 1,
            column=first.start + 1,
            end_line=i + 1,
            end_column=first.end + 1,
            redact=redact,
            fix=fix,
        )



@register
class SecretInOutput(Rule):
    """## What it does
    Finds secrets in saved outputs: printed tokens, an environment dump, a connection
    string in a log, a key in a traceback (an AWS secret key in a botocore error, next to
    its access key id), `NAME=value` lines. Streams, text, HTML, JSON and tracebacks are
    read (the first 64 kB of each); images are not. Detection is the same as NB601's.

    Code in an output is not taken for a secret: in the minified JavaScript that plotly,
    bokeh, altair or widgets embed in HTML, `key: f(key)`, `token:n.token` and
    `password:e` give a secret-looking name an expression, not a value. A key of a known
    format (`sk-...`, `AKIA...`, `AIza...`) or a random literal given to such a name in
    that code is still reported.

    ## Why is this bad?
    Outputs are saved in the `.ipynb` file and shown wherever the notebook is rendered
    (GitHub, nbviewer, a shared drive). A secret printed once is as leaked as one
    written in the code, and harder to notice.

    ## Example
    ```python
    print(os.environ)          # environ({'GITHUB_TOKEN': 'ghp_...', ...})
    ```

    ## Use instead
    ```python
    print(sorted(os.environ))  # the names only
    ```

    ## Fix
    Revoke the secret, clear the output (or all outputs:
    `jupyter nbconvert --clear-output --inplace nb.ipynb`), and stop printing it.
    `nb2prod lint --fix --unsafe-fixes` removes that output (the cell's other outputs and
    its execution count stay): unsafe, because what it showed is lost until the cell runs
    again. Removing it from the file does not remove it from git history: revoke it.
    """

    code = "NB602"
    name = "secret-in-output"
    severity = Severity.ERROR
    summary = "A secret appears in a saved output"
    needs_python = False
    fix = Applicability.UNSAFE

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell, i, texts in outputs(nb):
            seen: set[str] = set()
            for where, text in texts:
                if not has_anchor(text):
                    continue
                lines, starts = split_lines(text)
                for _, hits in scan_lines(lines, starts, text, "output"):
                    for h in hits:
                        if h.value in seen:
                            continue
                        seen.add(h.value)
                        kind, shown = _describe([h])
                        kind = kind.removeprefix("hard-coded ")
                        yield self.at(cell, f"{kind} in the output ({where}): {shown}", output=i,
                                      fix=remove_output(nb.nb, cell.index, i, "it shows a secret; revoke the secret"))
