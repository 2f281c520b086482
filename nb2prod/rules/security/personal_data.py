"""Personal data in text: e-mail addresses and phone numbers, and how a finding shows
them masked."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nb2prod import _lazyre

_EMAIL = _lazyre.compile(
    r"(?<![\w.%+\-/:])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63})@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,24}))(?![\w\-]|\.\w)"
)
_EXAMPLE_DOMAINS = _lazyre.compile(
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
_CREDIT_LINE = _lazyre.compile(
    r"[ \t:*#-]*(?:Author|Maintainer|Creator|Donor|Contributor|Contact|Committer|Signed-off-by|Co-authored-by)s?"
    r"(?:[-_ ]e-?mail)?[ \t]*:",
    re.I,
)
# ... and credits elsewhere on the line before the address: package metadata printed as a
# dict or keywords (`'Author-email': ...`, `author_email='...'`, `__email__ = ...`), a
# copyright notice.
_CREDIT_BEFORE = _lazyre.compile(
    r"(?i:\b(?:author|maintainer|creator|contributor|committer)s?(?:[-_ ]?e-?mail)?[\"']?[ \t]*[:=]"
    r"|__(?:author|email|maintainer|credits)__|copyright\b|\(c\)|©)"
)
# `help(module)` prints its AUTHOR and CREDITS sections as a heading, then indented lines.
_CREDIT_HEADING = _lazyre.compile(r"(?:AUTHORS?|CREDITS|MAINTAINERS?)[ \t]*")
# Words that make an address a role's when they are a part of it (`support-eu@`, `sales.team@`).
_ROLE_PARTS = frozenset(
    {"info", "admin", "support", "contact", "help", "sales", "team", "office", "webmaster", "postmaster",
     "abuse", "security", "privacy", "press", "jobs", "careers", "feedback", "notifications", "newsletter",
     "billing", "legal", "marketing", "noreply", "enquiries", "inquiries", "hr", "service", "helpdesk"}
)
_LOCAL_PARTS = _lazyre.compile(r"[-._+]")
# Mailing lists and automated senders: not the address of a person.
_LIST_LOCAL = _lazyre.compile(
    r"(?i:.+-(?:users?|devel|dev|announce|request|owner|bounces?|unsubscribe|subscribe|help|discuss|"
    r"discussion|list|digest|admin|join|leave|l|info|general|commits?|bugs|issues|notifications?)"
    r"|owner-.+|(?:.*(?:mailbot|mailer|bounce|majordomo|listserv|mailman|daemon|unsubscribe)).*)"
)
_LIST_DOMAIN = _lazyre.compile(
    r"(?i:(?:^|\.)(?:googlegroups\.com|groups\.google\.com|yahoogroups\.com|egroups\.com|groups\.io|"
    r"freelists\.org|topica\.com|reply\.github\.com)$|^(?:[\w-]+\.)*(?:lists?|listserv|mailman|groups)\.)"
)


def emails(text: str) -> Iterator[str]:
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
        if len(set(local.lower())) == 1 or _LIST_LOCAL.fullmatch(local) or _LIST_DOMAIN.search(domain) or any(
                p in _ROLE_PARTS for p in _LOCAL_PARTS.split(local.lower())):
            continue  # zzzz@ (an anonymised address), a mailing list, a mailer
        if _credited(text, m.start()):
            continue
        yield m.group()


def _credited(text: str, at: int) -> bool:
    """Is the address at ``at`` a public attribution: a credit line, metadata, a copyright?"""
    line_start = text.rfind("\n", 0, at) + 1
    if _CREDIT_LINE.match(text, line_start) or _CREDIT_BEFORE.search(text, line_start, at):
        return True
    # an indented line under an AUTHOR heading (help() output), up to a few lines below it
    pos = line_start
    for _ in range(4):
        if pos == 0 or not text[pos:pos + 1].isspace():
            return False
        prev_start = text.rfind("\n", 0, pos - 1) + 1
        if _CREDIT_HEADING.fullmatch(text, prev_start, pos - 1):
            return True
        pos = prev_start
    return False


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[0]}{'*' * min(max(len(local) - 1, 3), 8)}@{domain}"


# International numbers (+country code) and North American ones written with separators.
# Each alternative starts with a literal character (lookbehinds find the digits before
# it) so that `re` can skip ahead; the boundaries are checked in code.
_PHONE = _lazyre.compile(
    r"\+\d{1,3}(?:[ .\-]?\(\d{1,4}\))?(?:[ .\-]?\d{1,5}){1,5}"  # +44 20 7946 0958
    r"|\)(?<=\(\d{3}\)) ?\d{3}-\d{4}"  # (415) 555-2671
    r"|-(?<=\d{3}-)\d{3}-\d{4}"  # 415-555-2671
    r"|\.(?<=\d{3}\.)\d{3}\.\d{4}"  # 415.555.2671
)
_PHONE_BACK = {"+": 0, ")": 4, "-": 3, ".": 3}  # where the number starts, before the anchor
_BEFORE_PHONE = frozenset("+-./#_0123456789")
_SIGNED_FLOAT = _lazyre.compile(r"\+\d+\.\d+")
_VERSION_BEFORE = _lazyre.compile(r"(?i:(?<![a-z])(?:v|ver|version|release|build|rev|revision)[ \t:=_'\"]*)$")


def phone_numbers(text: str) -> Iterator[str]:
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
        if "." in candidate and _VERSION_BEFORE.search(text, max(0, start - 24), start):
            continue  # `version 415.555.2671`, `v123.456.7890`: a version, not a number to call
        if _is_valid_phone(candidate):
            yield candidate


def _is_valid_phone(candidate: str) -> bool:
    import phonenumbers  # about 30 ms, and only for outputs with a candidate

    try:
        number = phonenumbers.parse(candidate, None if candidate.startswith("+") else "US")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def mask_phone(number: str) -> str:
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
