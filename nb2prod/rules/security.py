"""NB6xx: security and privacy. No secrets or personal data in the file.

Secrets are found by :mod:`nb2prod.secret_scan` (which imports no rule); these rules
report them in sources (NB601) and outputs (NB602), never with the secret in clear.
Personal data (e-mail addresses, phone numbers) in outputs are NB603 and NB604.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from nb2prod.analysis import Analysis
from nb2prod.diagnostics import Finding, Severity
from nb2prod.masking import mask
from nb2prod.notebook import Cell, multiline_text
from nb2prod.rules._base import Rule, register
from nb2prod.secret_scan import PRIVATE_KEY_HEADER, Hit, has_anchor, scan_lines, split_lines

# Output text scanned per output and MIME type: enough for any printed secret, bounded
# for multi-megabyte outputs (a plotly bundle, a whole DataFrame as HTML).
_MAX_OUTPUT_CHARS = 64_000
_TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")


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


# -- outputs --------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _output_texts(out: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) of one output: streams, text MIME types, tracebacks; never images."""
    kind = out.get("output_type")
    if kind == "stream":
        name = out.get("name")
        yield (name if isinstance(name, str) else "stream"), multiline_text(out.get("text"))[:_MAX_OUTPUT_CHARS]
    elif kind in ("execute_result", "display_data", "update_display_data"):
        data = out.get("data")
        if not isinstance(data, dict):
            return
        for mime in _TEXT_MIMES:
            value = data.get(mime)
            if mime == "application/json" and value is not None and not isinstance(value, (str, list)):
                value = _json_text(value)
            text = multiline_text(value)[:_MAX_OUTPUT_CHARS]
            if mime == "text/html" and "&" in text:
                text = html.unescape(text)
            if mime in ("text/html", "text/markdown"):
                text = _blank_data_uris(text)
            if text:
                yield mime, text
    elif kind == "error":
        parts = [multiline_text(out.get("evalue"))]
        tb = out.get("traceback")
        if isinstance(tb, list):
            parts.extend(t for t in tb if isinstance(t, str))
        text = "\n".join(parts)[:_MAX_OUTPUT_CHARS]
        if "\x1b" in text:
            text = _ANSI.sub("", text)
        yield "traceback", text


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value)[:_MAX_OUTPUT_CHARS]
    except (TypeError, ValueError):
        return ""


_OutputTexts = list[tuple[Cell, int, list[tuple[str, str]]]]
def _output_texts_of(nb: Analysis) -> _OutputTexts:
    found: _OutputTexts = []
    for cell in nb.code_cells:
        for i, out in enumerate(cell.outputs, start=1):
            texts = [(w, t) for w, t in _output_texts(out) if t]
            if texts:
                found.append((cell, i, texts))
    return found


def _outputs(nb: Analysis) -> _OutputTexts:
    """(cell, 1-based output index, [(where, text)]) of every output with text.

    Computed once per notebook for the three rules that read outputs.
    """
    return nb.fact(_output_texts_of)


# -- the rules ------------------------------------------------------------------------------


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
                source = _blank_data_uris(source)  # inline images
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


_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+;base64,[A-Za-z0-9+/=_-]+")


def _blank_data_uris(text: str) -> str:
    """Replace inline base64 images by spaces of the same length (offsets are kept)."""
    if "base64," not in text:
        return text
    return _DATA_URI.sub(lambda m: " " * len(m.group()), text)


@register
class SecretInOutput(Rule):
    """## What it does
    Finds secrets in saved outputs: printed tokens, an environment dump, a connection
    string in a log, a key in a traceback (an AWS secret key in a botocore error, next to
    its access key id), `NAME=value` lines. Streams, text, HTML, JSON and tracebacks are
    read (the first 64 kB of each); images are not. Detection is the same as NB601's.

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
        for cell, i, texts in _outputs(nb):
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


# -- personal data ----------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+\-/:])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63})@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,24}))(?![\w\-]|\.\w)"
)
_EXAMPLE_DOMAINS = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net|edu)|[\w-]+\.(?:example|test|invalid|localhost|local|internal)|"
    r"(?:your|my)-?(?:domain|company|email|mail)\.\w+|domain\.(?:com|org|net)|email\.com|"
    r"users\.noreply\.github\.com)$",
    re.I,
)
_ROLE_LOCALS = frozenset(
    {"test", "tests", "testing", "noreply", "no-reply", "donotreply", "do-not-reply", "user", "username",
     "someone", "somebody", "name", "email", "you", "your", "yourname", "your.name", "your.email",
     "youremail", "me", "foo", "bar", "info", "admin", "administrator", "support", "contact", "hello",
     "help", "sales", "team", "office", "webmaster", "postmaster", "hostmaster", "abuse", "security",
     "privacy", "press", "jobs", "careers", "git", "hg", "root", "nobody", "mailer-daemon", "feedback",
     "notifications", "notification", "newsletter", "billing", "legal", "marketing", "media", "dev",
     "developers", "maintainers", "john.doe", "jane.doe", "johndoe", "janedoe", "first.last", "firstname.lastname"}
)
_NOT_TLDS = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "css", "js", "ts", "json", "py", "ipynb",
     "txt", "csv", "tsv", "html", "htm", "xml", "pdf", "md", "zip", "gz", "tar", "bz2", "xz", "h5", "pkl",
     "npy", "npz", "parquet", "yaml", "yml", "toml", "ini", "cfg", "log", "so", "dll", "exe", "whl", "egg",
     "jar", "mp3", "mp4", "wav", "avi", "mov", "tif", "tiff", "eps", "ps", "tex", "rst", "sh", "bat", "r",
     "jl", "cpp", "hpp", "c", "h", "java", "rb", "go", "rs", "lock", "tmp", "bak", "pt", "pth", "ckpt", "onnx"}
)
# Credit lines (`pip show`, `git log`, dataset descriptions): public attributions.
_CREDIT_LINE = re.compile(
    r"[ \t:*#-]*(?:Author|Maintainer|Creator|Donor|Contributor|Contact|Committer|Signed-off-by|Co-authored-by)s?"
    r"(?:[-_ ]e-?mail)?[ \t]*:",
    re.I,
)


def _emails(text: str) -> Iterator[str]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        local, domain, tld = m.group("local"), m.group("domain"), m.group("tld")
        if tld.lower() in _NOT_TLDS or local.lower() in _ROLE_LOCALS or _EXAMPLE_DOMAINS.search(domain):
            continue
        if len(domain.rsplit(".", 2)[-2]) == 1:
            continue  # a@b.com: a toy address
        if local.startswith(("noreply", "no-reply", "test")) or local.endswith(".") or ".." in local:
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _CREDIT_LINE.match(text, line_start):
            continue
        yield m.group()


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[0]}{'*' * min(max(len(local) - 1, 3), 8)}@{domain}"


# International numbers (+country code) and North American ones written with separators.
# Each alternative starts with a literal character (lookbehinds find the digits before
# it) so that `re` can skip ahead; the boundaries are checked in code.
_PHONE = re.compile(
    r"\+\d{1,3}(?:[ .\-]?\(\d{1,4}\))?(?:[ .\-]?\d{1,5}){1,5}"  # +44 20 7946 0958
    r"|\)(?<=\(\d{3}\)) ?\d{3}-\d{4}"  # (415) 555-2671
    r"|-(?<=\d{3}-)\d{3}-\d{4}"  # 415-555-2671
    r"|\.(?<=\d{3}\.)\d{3}\.\d{4}"  # 415.555.2671
)
_PHONE_BACK = {"+": 0, ")": 4, "-": 3, ".": 3}  # where the number starts, before the anchor
_BEFORE_PHONE = frozenset("+-./#_0123456789")
_SIGNED_FLOAT = re.compile(r"\+\d+\.\d+")


def _phone_numbers(text: str) -> Iterator[str]:
    for m in _PHONE.finditer(text):
        start, end = m.start() - _PHONE_BACK[text[m.start()]], m.end()
        candidate = text[start:end]
        if start and (text[start - 1] in _BEFORE_PHONE or text[start - 1].isalpha()):
            continue
        if end < len(text) and (text[end].isalnum() or text[end] in "-+" or (
                text[end] in "." and end + 1 < len(text) and text[end + 1].isdigit())):
            continue
        digits = sum(c.isdigit() for c in candidate)
        if not 8 <= digits <= 15 or _SIGNED_FLOAT.fullmatch(candidate):
            continue
        if _is_valid_phone(candidate):
            yield candidate


def _is_valid_phone(candidate: str) -> bool:
    import phonenumbers  # about 30 ms, and only for outputs with a candidate

    try:
        number = phonenumbers.parse(candidate, None if candidate.startswith("+") else "US")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def _mask_phone(number: str) -> str:
    n_digits = sum(c.isdigit() for c in number)
    seen = 0
    out = []
    for c in number:
        if c.isdigit():
            seen += 1
            out.append(c if seen > n_digits - 2 else "*")
        else:
            out.append(c)
    return "".join(out)


class _PersonalDataRule(Rule):
    """Shared check of NB603/NB604: one finding per output, with a count and one example."""

    noun: str = ""
    nouns: str = ""
    needs_python = False

    def find(self, text: str) -> Iterable[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def key(self, value: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def show(self, value: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, nb: Analysis) -> Iterator[Finding]:
        for cell, i, texts in _outputs(nb):
            distinct: dict[str, str] = {}  # normalised -> first as written
            for _where, text in texts:
                for value in self.find(text):
                    distinct.setdefault(self.key(value), value)
            if not distinct:
                continue
            shown = self.show(next(iter(distinct.values())))
            if len(distinct) == 1:
                article = "an" if self.noun[0] in "aeiou" else "a"
                message = f"the output shows {article} {self.noun}: `{shown}`"
            else:
                message = f"the output shows {len(distinct)} {self.nouns}, e.g. `{shown}`"
            yield self.at(cell, message, output=i)


@register
class EmailInOutput(_PersonalDataRule):
    """## What it does
    Finds email addresses in saved outputs (streams, text, HTML, tracebacks): a
    `df.head()` of customer records, a printed user object, a log line.

    Addresses that are not personal are not reported: reserved example domains
    (`example.com`, `*.test`), role and no-reply addresses (`info@`, `noreply@`, `git@`),
    file names such as `logo@2x.png`, and the author fields of `pip show`.

    ## Why is this bad?
    An email address is personal data (GDPR, CCPA). Saved in a notebook it is copied to
    every clone and rendered on the web, outside any access control or retention policy.

    ## Example
    ```python
    customers.head()   # shows an `email` column
    ```

    ## Use instead
    ```python
    customers.drop(columns=["email"]).head()
    ```

    ## Fix
    Clear the output, and show data without the personal columns (or masked or
    synthetic data) before saving the notebook.
    """

    code = "NB603"
    name = "email-in-output"
    severity = Severity.WARNING
    summary = "An email address appears in a saved output"
    noun = "email address"
    nouns = "email addresses"

    def find(self, text: str) -> Iterable[str]:
        return _emails(text)

    def key(self, value: str) -> str:
        return value.lower()

    def show(self, value: str) -> str:
        return _mask_email(value)


@register
class PhoneNumberInOutput(_PersonalDataRule):
    """## What it does
    Finds phone numbers in saved outputs. Only numbers written as phone numbers are
    considered: with a `+` country code (`+44 20 7946 0958`) or in the North American
    format with separators (`(415) 555-2671`, `415-555-2671`); each must be a valid
    number for its country (checked with the phonenumbers library). Plain digit runs,
    such as ids and amounts in a DataFrame, are never reported.

    ## Why is this bad?
    A phone number is personal data (GDPR, CCPA). Saved in a notebook it is copied to
    every clone and rendered on the web, outside any access control or retention policy.

    ## Example
    ```python
    contacts.sample(5)   # shows a `phone` column
    ```

    ## Use instead
    ```python
    contacts.drop(columns=["phone"]).sample(5)
    ```

    ## Fix
    Clear the output, and show data without the personal columns (or masked or
    synthetic data) before saving the notebook.
    """

    code = "NB604"
    name = "phone-number-in-output"
    severity = Severity.WARNING
    summary = "A phone number appears in a saved output"
    noun = "phone number"
    nouns = "phone numbers"

    def find(self, text: str) -> Iterable[str]:
        return _phone_numbers(text)

    def key(self, value: str) -> str:
        return re.sub(r"\D", "", value)

    def show(self, value: str) -> str:
        return _mask_phone(value)
