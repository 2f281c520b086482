"""NB601, NB602: secrets in sources and in outputs, found by :mod:`nb2prod.secret_scan`
and reported with the secret masked."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.masking import mask
from nb2prod.notebook import Cell
from nb2prod.rules._base import Rule, register
from nb2prod.rules.security.outputs import blank_data_uris, outputs
from nb2prod.secret_scan import PRIVATE_KEY_HEADER, Hit, has_anchor, scan_lines, split_lines


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
    """

    code = "NB601"
    name = "secret-in-source"
    severity = Severity.ERROR
    summary = "A secret (key, token, password, private key) is written in a cell"
    needs_python = False

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell in nb.nb.cells:
            source = cell.source
            context = cell.cell_type if cell.cell_type in ("code", "markdown", "raw") else "raw"
            if context == "markdown":
                source = blank_data_uris(source)  # inline images
            if not source or not has_anchor(source):
                continue
            lines, starts = split_lines(source)
            for i, hits in scan_lines(lines, starts, source, context):
                yield self._finding(cell, i, hits)

    def _finding(self, cell: Cell, i: int, hits: list[Hit]) -> Finding:
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
    """

    code = "NB602"
    name = "secret-in-output"
    severity = Severity.ERROR
    summary = "A secret appears in a saved output"
    needs_python = False

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
                        yield self.at(cell, f"{kind} in the output ({where}): {shown}", output=i)
