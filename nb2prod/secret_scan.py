"""Secret detection: where in a text the secrets are. It imports no rule: the NB6 rules
(:mod:`nb2prod.rules.security`) report what it finds, and :mod:`nb2prod.masking` masks it
in everything nb2prod shows.

Secrets are found line by line, in four ways:

* well-known formats (AWS, GitHub, Slack, private keys, JWTs, ...) through the plugins of
  detect-secrets, plus a few formats it does not know yet (Google API keys and OAuth
  tokens, Hugging Face and newer OpenAI/Anthropic keys, bearer tokens);
* passwords in URLs (``postgresql://user:password@host``), raw reserved characters
  included (``mysql://u:a(b)c;d=e@host``: the password runs to the last ``@`` before a host);
* AWS secret access keys (40 characters of base64) where the context says so: an access
  key id nearby, a secret-key word before them, an AWS library on the line;
* string values given to secret-looking names (``api_key = "..."``,
  ``password="..."``, ``"token": "..."``, ``%env API_KEY=...``, ``?api_key=...``).
  Names that are unambiguous (``password``, ``api_key``, ``client_secret``) take any
  value that is not a placeholder; ambiguous ones (``key``, ``token``, ``auth``) take
  only random-looking values. detect-secrets' generic entropy plugins, which flag every
  hash and id, are not used.

Every text first meets a cheap prefilter (``_anchors``); only the lines it points at are
looked at closely, each only by the detectors its anchors call for, and detect-secrets
is imported (and configured, once per process) only when such a line needs it. Findings
never carry a secret: messages show a masked excerpt, and source lines are masked by the
engine through ``redact`` spans. ``secret_spans`` serves ``nb2prod.masking.redact``.

The interface: :func:`secret_spans` (spans of a free text), :func:`has_anchor` (the
prefilter), :func:`split_lines` and :func:`scan_lines` (the hits of each line, for the
rules), :class:`Hit`, and ``PRIVATE_KEY_HEADER``.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from nb2prod import _lazyre

__all__ = [
    "Hit",
    "NameClass",
    "PRIVATE_KEY_HEADER",
    "classify_name",
    "detect_secrets_plugins",
    "has_anchor",
    "line_hits",
    "scan_lines",
    "secret_spans",
    "split_lines",
]


# Lines longer than this are examined in windows around the prefilter's matches.
_MAX_LINE = 2_000
_WINDOW_BEFORE, _WINDOW_AFTER = 200, 800

# -- the prefilter ----------------------------------------------------------------------
# A superset of what the detectors below can find, in two cheap parts. Neither spans
# lines ([ \t], never \s).
#
# Known formats: every alternative starts with a literal character, so that `re` skips
# ahead with a character set instead of trying each alternative at each position; the
# anchors are chosen among rarer characters ("J(?<=eyJ)", not "eyJ"; never "."), and
# lookbehinds finish the job ("_(?<=ghp_)").
_FORMAT_ANCHORS = _lazyre.compile(
    "|".join(
        (
            r"AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|ABIA[0-9A-Z]{16}|ACCA[0-9A-Z]{16}|A3T[A-Z0-9][0-9A-Z]{16}",  # AWS
            r"AKC[a-zA-Z0-9]{10}|AP[0-9A-F][a-zA-Z0-9]{8}",  # Artifactory
            r"AccountKey=",  # Azure storage
            r"AIza[\w-]{35}|ya29\.[\w-]{20}|GOCSPX-",  # Google API key, OAuth token, OAuth client secret
            r"M[\w-]{23,25}\.|N[\w-]{23,25}\.|O[\w-]{23,25}\.",  # Discord
            r"J(?<=eyJ)[\w-]{4,}\.",  # JWT
            r"://hooks\.slack\.com|xox[abposrABPOSR]-",  # Slack
            r"://api\.softlayer\.com",  # SoftLayer (Cloudant URLs carry user:password@)
            r"_(?<=gh[pousr]_)[A-Za-z0-9_]{36}|_pat_",  # GitHub
            r"_(?<=hf_)[A-Za-z]{30}",  # Hugging Face
            r"_live_",  # Stripe
            r"_authToken",  # npm
            r"-(?<=glpat-)|-(?<=gldt-)|-(?<=glft-)|-(?<=glsoat-)|-(?<=glrt-)|-(?<=glcbt-)",  # GitLab
            r"-(?<=glimt-)|-(?<=glptt-)|-(?<=glagent-)|-(?<=gloas-)|GR1348941",  # GitLab
            r"-us\d",  # Mailchimp
            r"T3BlbkFJ|-proj-|-svcacct-|-admin-|-ant-",  # OpenAI, Anthropic
            r"-AgE",  # PyPI
            r"SG\.[\w-]{22}\.",  # SendGrid
            r"q0csp-",  # Square
            r":[\w-]{35}",  # Telegram
            r"AC[a-z0-9]{32}|SK[a-z0-9]{32}",  # Twilio
            r"PRIVATE KEY|PuTTY-User-Key-File",  # private keys
            r"Bearer[ \t]|bearer[ \t]|BEARER[ \t]",  # an Authorization header
            r"://[^\s/@:]*:[^\s/@]*@",  # credentials in a URL
        )
    )
)
# Secret-looking names given a value, searched in the lower-cased text (`re.I` on the
# mixed-case text is several times slower).
_NAME_WORDS = ("key", "token", "secret", "pass", "pw", "auth", "cred")
_NAME_ANCHOR = _lazyre.compile(
    r"(?:key|token|secret|pass|pw|auth|cred)[\w.-]{0,16}(?:[\"'`]\]?[ \t]*[:=,]|\]?[ \t]*(?:[:=]|=>|<-))"
)


def _anchors(text: str) -> Iterator[int]:
    """Offsets in ``text`` where a secret may be; nothing for most texts, quickly."""
    for m in _FORMAT_ANCHORS.finditer(text):
        yield m.start()
    low = text.lower()
    if "boto" in low or "aws" in low:  # a bare AWS secret in a boto3 error (searched in `text`)
        for m in _AWS_LIBRARY.finditer(text):
            yield m.start()
    if not any(w in low for w in _NAME_WORDS):  # substring tests are the cheapest screen
        return
    if "secret" in low and len(low) == len(text):  # aws_secret_access_key wJalr... (no `=`)
        for m in _AWS_SECRET_WORD.finditer(low):
            yield m.start()
    if len(low) == len(text):
        for m in _NAME_ANCHOR.finditer(low):
            yield m.start()
        return
    pos = 0  # lower-casing changed lengths (rare letters): go line by line
    for line in text.splitlines(keepends=True):
        low_line = line.lower()
        if _NAME_ANCHOR.search(low_line) or ("secret" in low_line and _AWS_SECRET_WORD.search(low_line)):
            yield pos
        pos += len(line)


def has_anchor(text: str) -> bool:
    return next(_anchors(text), None) is not None


# Lines that can interest detect-secrets (the rest only meet our own detectors), and the
# plugins each kind of line can interest: a line meets only those (running all of them on
# every line with an anchor cost about 200 us a line).
# Each pattern starts with a literal character or anchors on one (lookbehinds), as above.
_DS_ROUTES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (_lazyre.compile(pattern), plugins)
    for pattern, plugins in (
        (r"(?:A3T[A-Z0-9]|A(?:KI|SI|BI|CC)A)[0-9A-Z]{16}", ("AWSKeyDetector",)),
        (r"AKC[a-zA-Z0-9]{10}|AP[0-9A-F][a-zA-Z0-9]{8}", ("ArtifactoryDetector",)),
        (r"AccountKey=", ("AzureStorageKeyDetector",)),
        (r"[MNO][\w-]{23,25}\.[\w-]{6}\.[\w-]{27}", ("DiscordBotTokenDetector",)),
        (r"_(?<=gh[pousr]_)[A-Za-z0-9_]{36}", ("GitHubTokenDetector",)),
        ("|".join(f"-(?<=gl{p}-)" for p in ("pat", "dt", "ft", "soat", "rt", "cbt", "imt", "ptt", "agent", "oas"))
         + "|GR1348941", ("GitLabTokenDetector",)),
        (r"J(?<=eyJ)[\w-]{4,}\.", ("JwtTokenDetector",)),
        (r"-(?<=[0-9a-z]{32}-)us\d", ("MailchimpDetector",)),
        (r"_authToken", ("NpmDetector",)),
        (r"T3BlbkFJ", ("OpenAIDetector",)),
        (r"-(?<=pypi-)AgE", ("PypiTokenDetector",)),
        (r"SG\.[\w-]{22}\.", ("SendGridDetector",)),
        (r"xox[abposrABPOSR]-|hooks\.slack\.com", ("SlackDetector",)),
        (r"-(?<=sq0csp-)", ("SquareOAuthDetector",)),
        (r"_live_(?<=[rs]k_live_)", ("StripeDetector",)),
        (r":(?<=\d{8}:)[\w-]{35}", ("TelegramBotTokenDetector",)),
        (r"AC[a-z0-9]{32}|SK[a-z0-9]{32}", ("TwilioKeyDetector",)),
        (r"PRIVATE KEY|PuTTY-User-Key-File", ("PrivateKeyDetector",)),
    )
)
# Read in the lower-cased line, and only when it names a secret (`_NAME_ANCHOR`): the
# keyword-based plugins, each with what its patterns require (a prefix, a value length).
_DS_LOW_ROUTES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (_lazyre.compile(pattern), plugins)
    for pattern, plugins in (
        (r"aws.{0,20}?(?:key|pwd|pw|pass|token).{0,20}?[\"'][0-9a-z/+]{40}[\"']", ("AWSKeyDetector",)),
        (r"(?:key|pwd|pass|token)[\w\"'\]]{0,4}[ \t]*(?:=>?|:=?|::)?[ \t]*[\"']?[\w-]{44}", ("IbmCloudIamDetector",)),
        (r"secret[-_]?(?:access)?[-_]?key[\"'\]]{0,2}[ \t]*(?:=>?|:=?|::)?[ \t]*[\"']?[0-9a-f]{48}",
         ("IbmCosHmacDetector",)),
        (r"cl(?:oudant|ou)?[-_]?(?:api)?(?:key|pwd|pw|pass|token)|cloudant", ("CloudantDetector",)),
        (r"(?:softlayer|sl)[-_]?(?:api)?(?:key|pwd|pass|token)|softlayer", ("SoftlayerDetector",)),
    )
)

# -- detect-secrets, configured once per process -----------------------------------------
# Every plugin except the generic ones: Base64/Hex entropy flag every hash and id in a
# notebook, the keyword plugin is replaced by our own name-aware check, and public IP
# addresses are not secrets.
_DS_PLUGIN_NAMES = (
    "ArtifactoryDetector",
    "AWSKeyDetector",
    "AzureStorageKeyDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)

# detect-secrets' secret types, as our messages name them.
_DS_KINDS = {
    "Artifactory Credentials": "Artifactory credential",
    "AWS Access Key": "AWS access key",
    "Azure Storage Account access key": "Azure storage account key",
    "Basic Auth Credentials": "password in connection URL",
    "Cloudant Credentials": "Cloudant credential",
    "Discord Bot Token": "Discord bot token",
    "GitHub Token": "GitHub token",
    "GitLab Token": "GitLab token",
    "IBM Cloud IAM Key": "IBM Cloud IAM key",
    "IBM COS HMAC Credentials": "IBM COS HMAC credential",
    "JSON Web Token": "JSON Web Token",
    "Mailchimp Access Key": "Mailchimp API key",
    "NPM tokens": "npm token",
    "OpenAI Token": "OpenAI API key",
    "Private Key": "private key",
    "PyPI Token": "PyPI token",
    "SendGrid API Key": "SendGrid API key",
    "Slack Token": "Slack token",
    "SoftLayer Credentials": "SoftLayer credential",
    "Square OAuth Secret": "Square OAuth secret",
    "Stripe Access Key": "Stripe live key",
    "Telegram Bot Token": "Telegram bot token",
    "Twilio API Key": "Twilio API key",
}

_ds_lock = threading.Lock()
_ds_state: tuple[dict[str, Any], Any] | None = None  # ({class name: plugin}, is_sequential_string)


def detect_secrets_plugins() -> tuple[dict[str, Any], Any]:
    """detect-secrets' plugin instances, built once per process.

    The plugins are initialised inside ``transient_settings`` (detect-secrets' own way to
    configure a run without touching its global settings) and kept; we call their
    ``analyze_string`` directly, which reads no settings, so no settings context is
    entered per notebook or line (entering one costs about 1 ms).
    """
    global _ds_state
    if _ds_state is None:
        with _ds_lock:
            if _ds_state is None:
                try:
                    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
                    from detect_secrets.filters.heuristic import is_sequential_string
                    from detect_secrets.settings import get_plugins, transient_settings

                    plugin_classes: dict[str, type] = get_mapping_from_secret_type_to_class()
                    available = {cls.__name__ for cls in plugin_classes.values()}
                    names = [n for n in _DS_PLUGIN_NAMES if n in available]
                    with transient_settings({"plugins_used": [{"name": n} for n in names]}):
                        plugins = list(get_plugins())
                    _ds_state = ({type(p).__name__: p for p in plugins}, is_sequential_string)
                except Exception:  # a broken install: our own detectors still run
                    _ds_state = ({}, lambda _secret: False)
    return _ds_state


# -- our own formats --------------------------------------------------------------------
_OWN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Google API key", _lazyre.compile(r"\bAIza[0-9A-Za-z_\-]{35}(?![\w-])")),
    ("Google OAuth access token", _lazyre.compile(r"\bya29\.[0-9A-Za-z_\-]{20,}")),
    ("Google OAuth client secret", _lazyre.compile(r"\bGOCSPX-[0-9A-Za-z_\-]{28}(?![\w-])")),
    ("Hugging Face token", _lazyre.compile(r"\bhf_[A-Za-z]{34}(?!\w)")),
    ("OpenAI API key", _lazyre.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}")),
    ("Anthropic API key", _lazyre.compile(r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{80,}")),
    ("GitHub token", _lazyre.compile(r"\bgithub_pat_[A-Za-z0-9_]{82}(?!\w)")),
    ("private key", _lazyre.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
)
_KEY_MATERIAL = _lazyre.compile(r"[A-Za-z0-9+/=]{40,}")
PRIVATE_KEY_HEADER = _lazyre.compile(r"-*BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-*|PuTTY-User-Key-File-\d:?")

# -- secret-looking names ---------------------------------------------------------------
_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}"
_QUOTED = r"""(?:"(?P<v1>[^"\\\r\n]{1,512})"|'(?P<v2>[^'\\\r\n]{1,512})'|`(?P<v3>[^`\\\r\n]{1,512})`)"""
# name = "value", name="value" (keyword argument), name: str = "value", NAME"] = "value",
# name <- "value" (R)
_ASSIGN = _lazyre.compile(
    rf"(?<![\w.\-])(?P<name>{_NAME})(?:[\"'`]?\])?[ \t]*"
    rf"(?::[ \t]*[A-Za-z_][\w\[\]., |]{{0,40}}?[ \t]*)?(?:=|:=|=>|<-)[ \t]*@?(?P<prefix>[rRbBuUfF]{{0,2}}){_QUOTED}"
)
# "name": "value" (dicts, JSON), name: "value" (YAML)
_COLON = _lazyre.compile(rf"(?<![\w.\-])(?P<name>{_NAME})[\"'`]?[ \t]*:[ \t]*(?P<prefix>[rRbBuU]{{0,2}}){_QUOTED}")
# ("name", "value"): os.environ.setdefault, set_key, config.set ... (judged strictly)
_PAIR = _lazyre.compile(rf"[\"'](?P<name>{_NAME})[\"'][ \t]*,[ \t]*(?P<prefix>[rRbBuU]{{0,2}}){_QUOTED}")
# ?api_key=value in a URL (judged strictly)
_QUERY = _lazyre.compile(rf"[?&](?P<name>{_NAME})=(?P<v1>[^&\s\"'#<>]{{6,512}})")
# %env NAME=value, export NAME=value, NAME=value (env files, `printenv` output)
_ENV = _lazyre.compile(
    r"^[ \t]*(?P<cmd>(?:[%!]?(?:env|set_env|setenv|export)|!?set)[ \t]+)?"
    r"(?P<name>[A-Za-z_]\w{0,63})[ \t]*=[ \t]*(?P<v1>[^\s\"'`;#]{1,512})[ \t]*;?(?:[ \t]+#.*)?$"
)
# name: value, unquoted (YAML, logs; judged strictly)
_YAML = _lazyre.compile(rf"^[ \t]*(?:-[ \t]+)?(?P<name>{_NAME})[ \t]*:[ \t]+(?P<v1>[^\s\"'`#]{{1,512}})[ \t]*$")
# password=... inside a connection string: "host=db user=etl password=...", "...;PWD=...;"
_DSN_PASSWORD = _lazyre.compile(
    r"(?<![\w.])(?P<name>password|passwd|pwd)[ \t]*=[ \t]*(?P<v1>[^\s;\"'&{}()<>]{1,256})", re.I)
# name=value anywhere in a line, unquoted (free text given to `redact`; judged strictly)
_INLINE = _lazyre.compile(rf"(?<![\w.\-])(?P<name>{_NAME})=(?P<v1>[^\s\"'`&,;)}}\]<>]{{16,512}})")
_DSN_OTHER_KEY = _lazyre.compile(
    r"(?<![\w.])(?:user|uid|user id|username|host|server|dbname|database|data source)[ \t]*=", re.I
)

_WORDS = _lazyre.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "passcode"})
_SHORT_PASSWORD_WORDS = frozenset({"pass", "pw"})  # only after a qualifier (`db_pass`), or `pw` alone
_PASS_QUALIFIERS = frozenset(
    {"db", "database", "user", "admin", "root", "sql", "mysql", "postgres", "pg", "ftp", "smtp", "mail",
     "email", "login", "ssh", "redis", "ldap", "proxy", "wifi", "api", "my", "app", "sudo", "key", "neo4j"}
)
_STRONG_QUALIFIERS = frozenset(
    {"api", "access", "secret", "private", "auth", "client", "app", "application", "master", "account",
     "service", "subscription", "consumer", "developer", "dev", "license", "encryption", "signing", "hmac",
     "session", "storage", "bot", "bearer", "refresh", "personal", "oauth", "jwt", "webhook", "shared",
     "security", "id"}
)
_COMPOUNDS = {
    "apikey": "API key", "secretkey": "secret key", "accesskey": "access key", "privatekey": "private key",
    "authkey": "key", "clientkey": "key", "masterkey": "key", "appkey": "key", "apitoken": "API token",
    "accesstoken": "access token", "authtoken": "auth token", "bearertoken": "token", "refreshtoken": "token",
    "clientsecret": "client secret", "appsecret": "secret", "apisecret": "secret",
}
# Words that make a name something other than a secret (`pad_token`, `sort_key`, `public_key`).
_NOT_SECRET = frozenset(
    {"public", "pub", "publishable", "tokenizer", "tokenizers", "pad", "eos", "bos", "unk", "sep", "cls",
     "mask", "special", "start", "end", "max", "min", "num", "n", "count", "len", "length", "size", "type",
     "types", "sort", "primary", "foreign", "partition", "group", "column", "col", "index", "idx", "dict",
     "map", "lookup", "cache", "file", "filename", "path", "dir", "url", "uri", "endpoint", "field", "label",
     "prompt", "hint", "regex", "pattern", "policy", "name", "names", "prefix", "suffix", "env", "var",
     "hash", "hashed", "salt", "bucket", "object", "blob", "row", "sequence", "seq", "input", "output",
     "word", "vocab", "embedding", "position", "keyboard", "hot", "short", "cut", "range", "expiry",
     "expires", "expiration", "reset", "forgot", "confirm", "new", "old", "strength", "rule", "header",
     "location", "format", "placeholder", "example", "dummy", "fake", "test", "page", "next", "continuation",
     "cursor", "pagination", "sync", "csrf", "xsrf"}
)
_TRAILING = frozenset({"value", "val", "str", "string", "plain", "raw", "b64", "base64", "hex"})

_PLACEHOLDER_WORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "key", "none", "null",
     "nil", "undefined", "true", "false", "test", "testing", "demo", "sample", "default", "foo", "bar",
     "baz", "foobar", "abc", "abcd", "abc123", "changeme", "admin123", "n/a", "na", "tbd", "todo", "empty",
     "string", "str", "user", "username", "login", "mypassword", "yourpassword"}
)
_PLACEHOLDER_PARTS = (
    "your", "example", "placeholder", "changeme", "change_me", "change-me", "replace", "insert", "dummy",
    "redacted", "xxx", "***", "...", "todo", "fixme", "<", ">", "{", "}", "%s", "%(", "here", "password",
    "passwd", "secret", "token", "apikey", "api_key", "api-key", "fake", "•",
)
_PLACEHOLDER_PART = _lazyre.compile("|".join(map(re.escape, _PLACEHOLDER_PARTS)))
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "01234567890123456789", "qwertyuiopasdfghjklzxcvbnm")
_FILE_EXT = _lazyre.compile(
    r"\.(?:json|txt|pem|key|crt|cer|p12|pfx|ya?ml|cfg|conf|ini|env|csv|pkl|pickle|h5|pt|bin|gpg|asc|pub|"
    r"toml|db|sqlite|py|ipynb|html?|xml|md)$",
    re.I,
)
_IDENT_SEGMENT = _lazyre.compile(
    r"[a-z]+|[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*|[a-z]+(?:[A-Z][a-z]+)+|[a-z]+\d{1,4}|\d{1,4}|\d{1,2}[a-z]{1,2}"
)
_SEPARATORS = _lazyre.compile(r"[-_./: +~]")
# Each run of capitals or digits is taken whole (the lookaheads): a segment is cut into words
# in one way only, so that a long run (`ABCDEFGHIJKLMNOPQRSTUVWXYZ...+`) fails in linear time.
_PATH_SEGMENT = _lazyre.compile(
    r"(?:[A-Z]?[a-z]{2,}|[A-Z]{2,}(?![A-Z](?![a-z]))|\d+(?!\d))"
    r"(?:[A-Z][a-z]+|[A-Z]+(?![A-Z](?![a-z]))\d*(?!\d)|\d+(?!\d))*"
)
_UUID = _lazyre.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}", re.I)
_AUTH_SCHEME = _lazyre.compile(r"^(?:Bearer|Token|Basic|token|bearer)[ \t]+(?=\S)")
_EXAMPLE_HOST = _lazyre.compile(r"@(?:[\w-]+\.)*example\.(?:com|org|net)\b|@(?:host|hostname)\b", re.I)


@dataclass(frozen=True)
class Hit:
    """One secret in a line: what it is and where (0-based, end exclusive)."""

    kind: str
    start: int
    end: int
    value: str
    priority: int  # lower wins when hits overlap: known formats before name-based guesses
    mask_from: int | None = None  # where masking starts, when not at ``start`` (key blocks)


@dataclass(frozen=True)
class NameClass:
    strength: str  # "password" | "strong" | "weak"
    label: str  # what the value is: "password", "API key", "token" ...


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def classify_name(name: str) -> NameClass | None:
    """Is ``name`` (a variable, key or argument) a name for a secret? How sure are we?"""
    words = _words(name)
    while words and (words[-1].isdigit() or words[-1] in _TRAILING):
        words.pop()
    if not words or any(w in _NOT_SECRET for w in words):
        return None
    head, quals = words[-1], words[:-1]
    if head in _PASSWORD_WORDS or (
        head in _SHORT_PASSWORD_WORDS and (quals[-1] in _PASS_QUALIFIERS if quals else head == "pw")
    ):
        return NameClass("password", "password")
    if head.endswith(("password", "passwd")) and len(head) > 8:
        return NameClass("password", "password")
    if head in _COMPOUNDS:
        return NameClass("strong", _COMPOUNDS[head])
    if head in {"credential", "credentials", "creds", "authorization"}:
        return NameClass("strong", "credential" if head != "authorization" else "authorization header")
    if head in {"key", "token", "secret"}:
        if not quals:
            return NameClass("weak", head)
        q = quals[-1]
        if head == "secret" or q in _STRONG_QUALIFIERS or (head == "token" and q in {"github", "gh", "hf", "slack"}):
            if q == "api":
                return NameClass("strong", f"API {head}")
            if q in {"secret", "access", "private", "client"}:
                return NameClass("strong", f"{q} {head}")
            return NameClass("strong", head)
        return NameClass("weak", head)
    if head in {"auth", "oauth"}:
        return NameClass("weak", "credential")
    return None


def _entropy(value: str) -> float:
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in map(value.count, set(value))) if n else 0.0


_LETTER_NOT_X = _lazyre.compile(r"[a-wyzA-WYZ]")
_NOT_ALNUM = _lazyre.compile(r"[\W_]")


def _is_placeholder(value: str, sequences: bool = True) -> bool:
    """``sequences``: are runs such as ``abcd1234``, ``qwerty`` placeholders too?"""
    low = value.lower()
    if low in _PLACEHOLDER_WORDS or _PLACEHOLDER_PART.search(low):
        return True
    if value.startswith("$") or len(set(low)) <= 2:
        return True
    if not _LETTER_NOT_X.search(value):  # no letters but x: "1234", "xx-xx", "****"
        return True
    if not sequences:
        return False
    stripped = _NOT_ALNUM.sub("", low)
    return len(stripped) >= 4 and any(stripped in s for s in _SEQUENCES)


def _is_identifier_like(value: str) -> bool:
    """Words, not randomness: ``bert-base-uncased``, ``DEMO_KEY``, ``MySecretKey``."""
    parts = [p for p in _SEPARATORS.split(value) if p]
    return bool(parts) and all(_IDENT_SEGMENT.fullmatch(p) for p in parts)


def _is_path_or_url(value: str) -> bool:
    if value.startswith(("/", "./", "../", "~", "\\\\")) or re.match(r"[A-Za-z]:[\\/]", value):
        return True
    if "://" in value or _FILE_EXT.search(value):
        return True
    if "/" not in value:
        return False
    # Base64 has `/` but never `-`, `_` or `.` with it; paths are made of words.
    return bool(re.search(r"[-_.]", value)) or all(_PATH_SEGMENT.fullmatch(p) for p in value.split("/") if p)


def _mostly_sequential(value: str) -> bool:
    """Runs of an alphabet (``ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=``,
    the base64 table of a JavaScript library): most neighbours are successive characters."""
    if len(value) < 8:
        return False
    steps = sum(ord(b) - ord(a) == 1 for a, b in zip(value, value[1:], strict=False))
    return steps * 10 >= (len(value) - 1) * 6


# Characters a token (base64, hex, url-safe, JWT, `id:secret`) is made of; a value with any
# other (`(`, `,`, `;`, brackets, quotes) is code or prose: `key: d3_map_unescape(key),`,
# `"...: "+e),e.slice(0,-1)+"` between two string literals of minified JavaScript.
_TOKEN_VALUE = _lazyre.compile(r"[A-Za-z0-9+/=_\-.~:!@#$%^&*]+")
# An unquoted value that is an expression: a call or subscript (`f(key)`, `t[0x1c]`,
# `this._keyFor(idx),`), a member chain (`n.token`, `process.env.API_KEY_1234567`).
# (Member chains, `n.token`, are words: `_is_identifier_like` already rejects them.)
_CODE_EXPRESSION = _lazyre.compile(
    r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*[(\[].*[)\]](?:\.[\w$]+)*[,;]?"
)


def looks_like_code(value: str) -> bool:
    """Is an unquoted ``name: value`` value an expression of code (a call, a subscript)
    rather than a literal? ``getpass()``, ``os.environ["PWD"]``, ``d3_map_unescape(key),``."""
    return _CODE_EXPRESSION.fullmatch(value) is not None


def _is_random(value: str) -> bool:
    """Random-looking enough to be a key: long, letters and digits, high entropy."""
    if len(value) < 16 or _UUID.search(value) or not _TOKEN_VALUE.fullmatch(value):
        return False
    if not (re.search(r"\d", value) and re.search(r"[A-Za-z]", value)):
        return False
    if _is_identifier_like(value):
        return False
    h = _entropy(value)
    if re.fullmatch(r"[0-9a-fA-F]+", value):
        return h >= 3.0
    return h >= 3.5


_SPACE = _lazyre.compile(r"\s")


def _judge(name: str, value: str, strict: bool) -> str | None:
    """The kind of secret that ``name = value`` is, or None when it is not one."""
    cls = classify_name(name)
    if cls is None:
        return None
    if not value or len(value) > 512 or _SPACE.search(value):
        return None
    if _is_placeholder(value) or _is_path_or_url(value) or value.lower() == name.lower():
        return None
    if cls.strength != "password" and _mostly_sequential(value):
        return None  # an alphabet (`_keyStr = "ABCDEFGHIJ..."`), not a key
    if strict or cls.strength == "weak":
        ok = _is_random(value)
    elif cls.strength == "password":
        ok = len(value) >= 4
    else:
        ok = len(value) >= 8 and not _is_identifier_like(value) and _entropy(value) >= 2.5
    if not ok:
        return None
    if cls.strength == "password":
        return f"hard-coded password assigned to `{name}`"
    if cls.strength == "weak" or strict:
        return f"high-entropy string assigned to `{name}`"
    return f"hard-coded {cls.label} assigned to `{name}`"


# -- scanning one line --------------------------------------------------------------------


def _value_span(m: re.Match[str]) -> tuple[str, int, int] | None:
    for g in ("v1", "v2", "v3"):
        v = m.group(g) if g in m.re.groupindex else None
        if v is not None:
            return v, m.start(g), m.end(g)
    return None


def _name_hits(line: str, context: str, covered: Iterable[tuple[int, int]] = ()) -> Iterator[Hit]:
    """Values given to secret-looking names.

    ``context``: code, markdown, raw, output, or text (any text given to ``redact``: it is
    read as an output is, and also for ``name=value`` anywhere in a line). ``covered``:
    spans that known formats already found; values inside them are not judged again.
    """
    covered = list(covered)

    def value_hit(name: str, value: str, start: int, end: int, strict: bool) -> Hit | None:
        if any(s <= start and end <= e for s, e in covered):
            return None  # `token = "ghp_..."`: the format said it first, and masks as much
        return _value_hit(name, value, start, end, strict)

    equals, colon = "=" in line, ":" in line
    quoted = '"' in line or "'" in line or "`" in line
    regexes = []  # only those whose punctuation is in the line (the cheapest screen)
    if quoted and (equals or "<-" in line):
        regexes.append((_ASSIGN, False))
    if quoted and colon:
        regexes.append((_COLON, False))
    if quoted and "," in line:
        regexes.append((_PAIR, True))
    if equals and ("?" in line or "&" in line):
        regexes.append((_QUERY, True))
    low = line.lower()
    # Names start where a run of name characters holding a secret word starts: try the
    # regexes there only (searching a line for names costs as much as the rest together).
    name_starts = _name_starts(line, low) if len(low) == len(line) else None
    for regex, strict in regexes:
        for m in _matches_at(regex, line, name_starts):
            span = _value_span(m)
            if span is None:
                continue
            if regex is _QUERY and "%" in span[0] and _is_path_or_url(unquote(span[0])):
                continue  # X-Goog-Credential=sa%40project.iam.gserviceaccount.com%2F...: an identity
            prefix = m.group("prefix") if "prefix" in m.re.groupindex else ""
            if prefix and "f" in prefix.lower() and "{" in span[0]:
                continue  # an f-string: the value comes from elsewhere
            hit = value_hit(m.group("name"), *span, strict)
            if hit:
                yield hit
    env = _ENV.match(line) if equals else None
    if env and (env.group("cmd") or context in ("raw", "output", "markdown", "text")) and not looks_like_code(
            env.group("v1")):
        name = env.group("name")
        # NAME=value with an upper-case name is an environment variable being set.
        strict = not (env.group("cmd") or (name.isupper() and context != "markdown"))
        hit = value_hit(name, env.group("v1"), env.start("v1"), env.end("v1"), strict)
        if hit:
            yield hit
    if context != "code" and colon:
        yaml_line = _YAML.match(line)
        if yaml_line and not looks_like_code(yaml_line.group("v1")):
            hit = value_hit(yaml_line.group("name"), yaml_line.group("v1"), yaml_line.start("v1"),
                            yaml_line.end("v1"), True)
            if hit:
                yield hit
    if equals and ("pw" in low or "passw" in low) and any(w in low for w in _DSN_WORDS) and _DSN_OTHER_KEY.search(line):
        for m in _DSN_PASSWORD.finditer(line):
            if context == "code" and line.count('"', 0, m.start()) % 2 == 0 and line.count("'", 0, m.start()) % 2 == 0:
                continue  # in code, only inside a string literal: `pwd=os.getcwd()` is not one
            if looks_like_code(m.group("v1")):
                continue
            hit = value_hit(m.group("name"), m.group("v1"), m.start("v1"), m.end("v1"), False)
            if hit:
                yield Hit("password in connection string", hit.start, hit.end, hit.value, 1)
    if context == "text" and equals:
        for m in _matches_at(_INLINE, line, name_starts):
            if looks_like_code(m.group("v1")):
                continue
            hit = value_hit(m.group("name"), m.group("v1"), m.start("v1"), m.end("v1"), True)
            if hit:
                yield hit


_DSN_WORDS = ("user", "uid", "host", "server", "dbname", "database", "data source")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _name_starts(line: str, low: str) -> list[int]:
    """Where the names that ``_NAME_ANCHOR`` points at start (runs of name characters)."""
    starts = set()
    for m in _NAME_ANCHOR.finditer(low):
        i = m.start()
        while i > 0 and line[i - 1] in _NAME_CHARS:
            i -= 1
        starts.add(i)
    return sorted(starts)


def _matches_at(regex: re.Pattern[str], line: str, name_starts: list[int] | None) -> Iterator[re.Match[str]]:
    """``regex.finditer(line)``, tried only at ``name_starts`` when known. A regex whose
    match starts before the name (a quote, `?`) is tried one character earlier."""
    if name_starts is None or regex is _QUERY:
        yield from regex.finditer(line)
        return
    back = 1 if regex is _PAIR else 0
    end = 0
    for start in name_starts:
        if start - back < end:
            continue  # inside the previous match
        m = regex.match(line, start - back) if start >= back else None
        if m:
            end = m.end()
            yield m


def _value_hit(name: str, value: str, start: int, end: int, strict: bool) -> Hit | None:
    scheme = _AUTH_SCHEME.match(value)  # "Bearer <token>": the token is the secret
    if scheme:
        value, start = value[scheme.end():], start + scheme.end()
    kind = _judge(name, value, strict)
    return Hit(kind, start, end, value, 2) if kind else None


def _pattern_hits(line: str, after: str, low: str | None = None, formats: bool = True,
                  names: bool = True) -> Iterator[Hit]:
    """Secrets of known formats. ``after``: text that follows the line (for key blocks).

    ``formats``, ``names``: does the line match ``_FORMAT_ANCHORS``, ``_NAME_ANCHOR`` (in
    ``low``, the line lower-cased)? The detectors that cannot match are skipped.
    """
    wanted: dict[str, None] = {}
    if formats:
        wanted.update((n, None) for regex, plugins in _DS_ROUTES if regex.search(line) for n in plugins)
    if names or formats:
        low = line.lower() if low is None else low
        wanted.update((n, None) for regex, plugins in _DS_LOW_ROUTES if regex.search(low) for n in plugins)
    if not formats:
        yield from _ds_hits(line, after, wanted)
        return
    for kind, regex in _OWN_PATTERNS:
        for m in regex.finditer(line):
            if kind == "private key":
                if not _KEY_MATERIAL.search(line, m.end()) and not _KEY_MATERIAL.search(after[:600]):
                    continue  # a header with no key under it: documentation
                yield Hit(kind, m.start(), len(line), line[m.start():], 0, mask_from=m.end())
            elif not _is_placeholder(m.group()):
                yield Hit(kind, m.start(), m.end(), m.group(), 0)
    if "://" in line:
        yield from _url_password_hits(line)
    if "earer" in line or "EARER" in line:
        for m in _BEARER.finditer(line):
            if _is_random(m.group("v")) and not _is_placeholder(m.group("v")):
                yield Hit("bearer token", m.start("v"), m.end("v"), m.group("v"), 3)  # a name says more
    yield from _ds_hits(line, after, wanted)


# `Authorization: Bearer <token>` in a log or an error, with no name given the token
_BEARER = _lazyre.compile(r"(?<![\w-])(?:Bearer|bearer|BEARER)[ \t]+(?P<v>[A-Za-z0-9\-._~+/]{16,512}=*)(?![\w\-.~+/=])")


def _ds_hits(line: str, after: str, wanted: dict[str, None]) -> Iterator[Hit]:
    """What the detect-secrets plugins named in ``wanted`` find in ``line``."""
    if not wanted:
        return
    plugins, is_sequential = detect_secrets_plugins()
    for name in wanted:
        plugin = plugins.get(name)
        if plugin is None:
            continue
        try:
            found = list(plugin.analyze_string(line))
        except Exception:  # a plugin bug must not stop the others
            continue
        for value in found:
            if not isinstance(value, str) or not value:
                continue
            kind = _DS_KINDS.get(plugin.secret_type, str(plugin.secret_type))
            for start, end in _occurrences(line, value, kind):
                if kind in _UNBOUNDED_KINDS and _inside_longer_word(line, start, start + len(value)):
                    continue  # `ACCA...` inside a DNA sequence, a Telegram-like run in an AWS ARN
                hit = _ds_hit(kind, line, start, line[start:end], after, is_sequential)
                if hit is not None:
                    yield hit


# -- passwords in URLs ----------------------------------------------------------------------
# scheme://user:password@host. RFC 3986 wants `: / ? # [ ] @` and the sub-delimiters
# percent-encoded in a password, but people paste them raw (`p@ss!w$rd&x`, `pa#ss?w[o]rd`),
# so the userinfo is not cut at the first delimiter: the authority runs to the first
# `/`, space, backslash or closing quote, the user is what comes before its first `:`,
# and the password runs to the last `@` that is followed by a host.
_URL_SCHEME = _lazyre.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,30}://")
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-:")
_QUOTES = frozenset("\"'`")
_AUTHORITY_END = frozenset(" \t\r\n\f\v/\\\"`<>")  # and the quote the URL opened with
_MAX_AUTHORITY = 300
# A host (a name, an IPv4 or [IPv6] address, or a template: {host}, ${HOST}, %s) with an
# optional port, possibly a list of them (mongodb://u:p@h1:27017,h2:27017), then the end
# of the authority: a query or fragment, or closing punctuation (`Engine(...)`, a sentence).
_URL_HOST = r"(?:[A-Za-z0-9\-._~%]|\[[0-9A-Fa-f:.]+\]|\{\w*\}|\$\{\w+\}|\$\w+)+"
_URL_PORT = r"(?::(?:\d{1,5}|\{\w*\}|\$\{\w+\}|\$\w+))?"
_URL_HOST_TAIL = _lazyre.compile(
    rf"({_URL_HOST}){_URL_PORT}(?:,{_URL_HOST}{_URL_PORT})*(?:[?#].*|[)\]}}>,;.!:'\"]*)"
)
_URL_USER_BAD = frozenset("@?#[]")
# http://host:8080?next=a@b, host:8080,status=ok@2024: a port, then a query or a list
_PORT_AND_QUERY = _lazyre.compile(r"\d{2,5}(?:[?#,].*)?")
_NOT_URL_PASSWORDS = frozenset({"x-oauth-basic"})  # GitHub's fixed password for token-as-user URLs


def _url_password_hits(line: str) -> Iterator[Hit]:
    for m in _URL_SCHEME.finditer(line):
        begin = m.start()
        while begin > 0 and line[begin - 1] in _SCHEME_CHARS:  # jdbc:postgresql://
            begin -= 1
        quote = line[begin - 1] if begin > 0 and line[begin - 1] in _QUOTES else ""
        start = m.end()
        end = start
        limit = min(len(line), start + _MAX_AUTHORITY)
        while end < limit and line[end] not in _AUTHORITY_END and line[end] != quote:
            end += 1
        authority = line[start:end]
        colon = authority.find(":")
        if colon < 0 or "@" not in authority[colon:]:
            continue
        user = authority[:colon]
        if any(c in _URL_USER_BAD for c in user):
            continue  # ssh://git@github.com:org/repo, http://[::1]:8888
        rest = authority[colon + 1:]
        at = len(rest)
        while True:
            at = rest.rfind("@", 0, at)
            if at < 0:
                break
            tail = _URL_HOST_TAIL.fullmatch(rest, at + 1)
            if tail:
                password = rest[:at]
                if _is_url_password(password, tail.group(1), user):
                    pw_start = start + colon + 1
                    yield Hit("password in connection URL", pw_start, pw_start + at, password, 1)
                break


def _is_url_password(password: str, host: str, user: str) -> bool:
    if len(password) < 3 or password.lower() in _NOT_URL_PASSWORDS:
        return False
    if user and _PORT_AND_QUERY.fullmatch(password):
        return False  # `user` is a host
    # `{1}` in a raw password is kept (`pa#ss?w[o]rd{1}`); `{password}`, `${PW}` are templates.
    cleaned = re.sub(r"\{\d*\}", "", password)
    # A run of letters is a placeholder (`abcd`), not when punctuation makes a third of it.
    letters = sum(c.isalnum() for c in cleaned)
    if _is_placeholder(cleaned, sequences=letters * 3 >= len(cleaned) * 2):
        return False
    if not any(c.isalnum() for c in host):
        return False
    if _EXAMPLE_HOST.match("@" + host):
        # user:pass@example.com is documentation; `@host` too, unless the password is not words
        return host.lower() in ("host", "hostname") and not _is_identifier_like(password)
    return True


# -- AWS secret access keys -----------------------------------------------------------------
# 40 characters of base64 without padding. Alone, that shape is any encoded value; it is an
# AWS secret when the context says so: an access key id nearby, a secret-key word just
# before it (aws_secret_access_key, SecretAccessKey, --aws-secret-access-key ...), or an
# AWS library on the line with the value containing `/` or `+`.
_AWS_KEY_ID = _lazyre.compile(r"(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|A(?:KI|SI|BI|CC)A)[0-9A-Z]{16}(?![A-Za-z0-9])")
_AWS_SECRET_VALUE = _lazyre.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_SECRET_WORD = _lazyre.compile(r"secret[ _.\-]?(?:access[ _.\-]?)?key|aws[ _.\-]?secret")  # lower-cased text
# `secret access key` in any spelling, `aws_secret(_key)`; a plain `secret_key` only on a line
# that speaks of S3 (`_S3_CONTEXT`): Django's and Flask's SECRET_KEY are not AWS keys.
_AWS_SECRET_AFTER_WORD = _lazyre.compile(
    r"(?i:secret[ _.\-]?access[ _.\-]?key|aws[ _.\-]?secret(?:[ _.\-]?key)?|(?P<plain>secret[ _.\-]?key))"
    r"(?:[\"'`\]]{0,2}[ \t]*(?:=>|:=|<-|[:=,])?[ \t]*"
    r"(?:[rRbBuU]?[\"'`])?)(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
)
_S3_CONTEXT = _lazyre.compile(r"(?i:aws|s3|boto|minio|amazon)")
_AWS_LIBRARY = _lazyre.compile(r"(?i:botocore|boto3|\baws\b|amazonaws)")
_AWS_NEAR = 300  # how far from an access key id a secret may be (characters)


def _aws_secret_hits(line: str, near_key_id: bool) -> Iterator[Hit]:
    if near_key_id or _AWS_KEY_ID.search(line):
        candidates = [(m.start(), m.group(), False) for m in _AWS_SECRET_VALUE.finditer(line)]
    else:
        low = line.lower()
        candidates = []
        if "secret" in low:
            s3 = None
            for m in _AWS_SECRET_AFTER_WORD.finditer(line):
                if m.group("plain"):
                    s3 = bool(_S3_CONTEXT.search(line)) if s3 is None else s3
                    if not s3:
                        continue
                candidates.append((m.start("v"), m.group("v"), False))
        if not candidates and ("aws" in low or "boto" in low) and _AWS_LIBRARY.search(line):
            candidates = [(m.start(), m.group(), True) for m in _AWS_SECRET_VALUE.finditer(line)]
    for start, value, weak in candidates:
        if weak and "/" not in value and "+" not in value:
            continue
        if _is_aws_secret(value):
            yield Hit("AWS secret access key", start, start + 40, value, 0)


def _is_aws_secret(value: str) -> bool:
    if value.isupper() or value.islower() or not any(c.isdigit() for c in value):
        return False  # git SHAs and other hex, words
    if _is_placeholder(value) or _is_identifier_like(value) or _is_path_or_url(value):
        return False
    return _entropy(value) >= 4.0


# detect-secrets patterns without word boundaries: their match must be a whole word.
_UNBOUNDED_KINDS = frozenset({"AWS access key", "Twilio API key", "Mailchimp API key", "Telegram bot token"})


def _inside_longer_word(line: str, start: int, end: int) -> bool:
    return (start > 0 and line[start - 1].isalnum()) or (end < len(line) and line[end].isalnum())


_TOKEN_RUN = _lazyre.compile(r"[A-Za-z0-9_\-+/=.~]*")


def _occurrences(line: str, value: str, kind: str) -> Iterator[tuple[int, int]]:
    """Where ``value`` is in ``line``, extended to the end of the token it starts.

    A plugin may report only the start of a secret (detect-secrets' GitHub plugin reports
    the `ghp` prefix, its JWT pattern may stop before the signature); masking less than
    the whole token would leak the rest.
    """
    i = line.find(value)
    while i >= 0:
        end = i + len(value)
        if kind != "private key":
            run = _TOKEN_RUN.match(line, end)  # matches the empty string at worst
            end = run.end() if run else end
        yield i, end
        i = line.find(value, end)


def _ds_hit(kind: str, line: str, start: int, value: str, after: str, is_sequential: Any) -> Hit | None:
    end = start + len(value)
    if kind == "private key":
        if not _KEY_MATERIAL.search(line, end) and not _KEY_MATERIAL.search(after[:600]):
            return None
        return Hit(kind, start, len(line), line[start:], 0, mask_from=end)
    if _is_placeholder(value) or is_sequential(value):
        return None
    if kind == "JSON Web Token" and line[max(0, start - 3):start] == "pk.":
        return None  # a Mapbox public token
    if kind == "AWS access key":
        kind = "AWS secret access key" if len(value) == 40 else "AWS access key ID"
    if kind == "Telegram bot token" and _is_identifier_like(value.partition(":")[2]):
        return None  # `123456789:labeling-job-algorithm-specification` in an ARN
    if kind == "Slack token" and value.startswith("http"):
        kind = "Slack webhook URL"
    return Hit(kind, start, end, value, 0)


def line_hits(line: str, after: str, context: str, near_key_id: bool = False) -> list[Hit]:
    """The secrets in one line, without overlaps (a known format beats a name guess).

    ``near_key_id``: an AWS access key id is close to the line (before or after it), so a
    bare AWS-secret-shaped value in it is taken for the secret access key.
    """
    low = line.lower()
    formats = _FORMAT_ANCHORS.search(line) is not None
    # a name anchor, searched as `_anchors` does (a line whose length lower-casing changes: every detector)
    names = len(low) != len(line) or _NAME_ANCHOR.search(low) is not None
    found: list[Hit] = []
    if formats or names:
        found.extend(_pattern_hits(line, after, low, formats, names))
    if names:
        found.extend(_name_hits(line, context, [(h.start, h.end) for h in found if h.priority == 0]))
    found.extend(_aws_secret_hits(line, near_key_id))
    hits = sorted(found, key=lambda h: (h.priority, h.start))
    kept: list[Hit] = []
    for h in hits:
        i = next((i for i, k in enumerate(kept) if h.start < k.end and k.start < h.end), None)
        if i is None:
            kept.append(h)
        else:  # the same secret seen twice: one hit, masking what either saw
            k = kept[i]
            kept[i] = Hit(k.kind, min(k.start, h.start), max(k.end, h.end), k.value, k.priority, k.mask_from)
    kept.sort(key=lambda h: h.start)
    return kept


def _windows(line: str) -> Iterator[tuple[int, str]]:
    """(offset, text) pieces of ``line`` worth examining; long lines only around matches."""
    if len(line) <= _MAX_LINE:
        yield 0, line
        return
    last_end = -1
    for at in sorted(set(_anchors(line))):
        start = max(at - _WINDOW_BEFORE, last_end, 0)
        if start > at:
            continue
        end = min(at + _WINDOW_AFTER, len(line))
        last_end = end
        yield start, line[start:end]


def scan_lines(lines: list[str], starts: list[int], text: str, context: str) -> Iterator[tuple[int, list[Hit]]]:
    """(line index, hits) for the lines of ``text`` that hold secrets.

    ``lines`` and ``starts`` are the lines (without ends) and their offsets in ``text``.
    A line met again (a log repeats itself) is not examined again.
    """
    key_ids = [m.start() for m in _AWS_KEY_ID.finditer(text)] if "A" in text else []
    seen: set[int] = set()
    cache: dict[tuple[str, str, bool], list[Hit]] = {}
    for at in _with_aws_neighbours(_anchors(text), text, key_ids):
        i = bisect_right(starts, at) - 1
        if i in seen or i < 0:
            continue
        seen.add(i)
        line = lines[i]
        after_start = starts[i] + len(line)
        near = _near(key_ids, starts[i], after_start)
        hits: list[Hit] = []
        for off, piece in _windows(line):
            # what follows a line matters only under a private key header (is there key material?)
            piece_after = ""
            if ("PRIVATE" in piece or "PuTTY" in piece) and off + len(piece) >= len(line):
                piece_after = text[after_start:after_start + 800]
            key = (piece, piece_after, near)
            found = cache.get(key)
            if found is None:
                found = cache[key] = line_hits(piece, piece_after, context, near)
            for h in found:
                mask_from = None if h.mask_from is None else h.mask_from + off
                hits.append(Hit(h.kind, h.start + off, h.end + off, h.value, h.priority, mask_from))
        if hits:
            yield i, hits


def _near(key_ids: list[int], start: int, end: int) -> bool:
    """Is an AWS access key id within ``_AWS_NEAR`` characters of [start, end)?"""
    if not key_ids:
        return False
    j = bisect_right(key_ids, start - _AWS_NEAR - 20)
    return j < len(key_ids) and key_ids[j] < end + _AWS_NEAR


def _with_aws_neighbours(anchors: Iterator[int], text: str, key_ids: list[int]) -> Iterator[int]:
    """``anchors``, then the AWS-secret-shaped values near an access key id (a line of
    their own in ``~/.aws/credentials`` or a table has no other anchor)."""
    yield from anchors
    for at in key_ids:
        for m in _AWS_SECRET_VALUE.finditer(text, max(0, at - _AWS_NEAR), at + _AWS_NEAR):
            yield m.start()


def split_lines(text: str) -> tuple[list[str], list[int]]:
    """Lines as ``str.splitlines`` cuts them (so as ``Cell.lines``) and their offsets."""
    lines, starts, pos = [], [], 0
    for chunk in text.splitlines(keepends=True):
        starts.append(pos)
        lines.append(chunk.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))
        pos += len(chunk)
    return lines, starts


# -- masking ------------------------------------------------------------------------------


def secret_spans(text: str) -> list[tuple[int, int]]:
    """0-based, end-exclusive spans of the secrets in ``text`` (any number of lines).

    The engine masks these in every finding's message and source line, whatever rule
    produced it, and the build in everything it prints (see :mod:`nb2prod.masking`).
    ``text`` is read as free text (as an output is): ``TOKEN=...`` lines, ``name=value``
    anywhere in a line. A private key is masked from its header to its end marker.
    """
    if not has_anchor(text):
        return []
    lines, starts = split_lines(text)
    spans: list[tuple[int, int]] = []
    for i, hits in scan_lines(lines, starts, text, "text"):
        for h in hits:
            start = h.start if h.mask_from is None else h.mask_from
            end = h.end
            if h.kind == "private key" and "END" not in lines[i][start:]:
                end = _key_block_end(text, lines, starts, i) - starts[i]
            if start < end:
                spans.append((starts[i] + start, starts[i] + end))
    return spans


_KEY_END = _lazyre.compile(r"-*END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-*|Private-MAC:[ \t]*\S*")
_KEY_BODY_LINE = _lazyre.compile(r"[ \t\"',]*[A-Za-z0-9+/=]{16,}[ \t\"',\\n]*")
_MAX_KEY_BLOCK = 20_000


def _key_block_end(text: str, lines: list[str], starts: list[int], i: int) -> int:
    """Where the key under the header on line ``i`` ends: its end marker, or else the end of
    the lines of key material (base64, `Proc-Type:`-style headers) that follow."""
    line_end = starts[i] + len(lines[i])
    m = _KEY_END.search(text, line_end, line_end + _MAX_KEY_BLOCK)
    if m:
        return m.start() if m.group().startswith("-") else m.end()
    end = line_end
    for j in range(i + 1, min(len(lines), i + 200)):
        if not _KEY_BODY_LINE.fullmatch(lines[j]):
            break
        end = starts[j] + len(lines[j])
    return end
