"""Is the content behind a URL pinned? A classifier of URLs by host and path: code
forges and their refs (commit, tag, branch), release downloads, archives, version marks
in the path or query, and hosts that never change what they serve."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

UNKNOWN = "\x00"  # stands for a part of a string the linter cannot know
DATA_FILE = re.compile(
    r"\.(csv|tsv|txt|data|dat|json|jsonl|ndjson|xml|xlsx?|parquet|feather|arrow|orc|h5|hdf5?|"
    r"nc|npz|npy|pkl|pickle|zip|gz|tgz|bz2|xz|zst|7z|tar|mat|sav|dta|sas7bdat|pt|pth|ckpt|"
    r"bin|safetensors|onnx|pb|tflite|joblib|avro)$",
    re.I,
)
_COMMIT = re.compile(r"^(?=[0-9a-f]*\d)[0-9a-f]{7,64}$", re.I)
_TAG = re.compile(r"^(?:v|version-|release-)?\d+(?:\.\d+)*(?:[-+][\w.]+)?$", re.I)
_ARCHIVE_EXT = re.compile(r"\.(zip|tar\.gz|tgz|tar\.bz2|tar)$", re.I)
_VERSION_MARKS = re.compile(
    r"""
    (?<![a-z0-9])v\d+(?:\.\d+)*(?![a-z])                       # v1, v2.3
    | (?<![\w.])\d+\.\d+(?:\.\d+)*(?!\w)                       # 1.2.3, /3.1/
    | (?<!\d)(?:19|20)\d\d[-_/]?(?:0[1-9]|1[0-2])[-_/]?(?:0[1-9]|[12]\d|3[01])(?!\d)  # dates
    | (?<![0-9a-f])[0-9a-f]{40}(?:[0-9a-f]{24})?(?![0-9a-f])    # a commit or a sha256
    | -[0-9a-f]{8,}\.                                           # resnet18-f37072fd.pth
    | [?&\#;](?:version|v|rev|revision|commit|sha|sha1|sha256|md5|hash|checksum|ref|
                snapshot|versionid|generation|tag)=
    """,
    re.I | re.X,
)
_IMMUTABLE_HOSTS = re.compile(r"(^|\.)(zenodo\.org|doi\.org|figshare\.com|osf\.io)$", re.I)
_WAYBACK = re.compile(r"^/web/\d{8,14}", re.I)
_FORGES = frozenset({"gitlab.com", "bitbucket.org", "huggingface.co", "codeberg.org"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})


# -- is a URL pinned? ------------------------------------------------------------------


def looks_like_data(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return bool(DATA_FILE.search(parts.path)) or host in (
        "raw.githubusercontent.com", "gist.githubusercontent.com"
    )


def unpinned(url: str) -> str | None:
    """Why the content behind ``url`` can change (a phrase), or None when it looks pinned
    or the linter cannot tell."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not host or host in _LOCAL_HOSTS or UNKNOWN in host:
        return None
    segments = [s for s in parts.path.split("/") if s]
    ref = _repository_ref(host, segments)
    if ref is not None:
        kind, name = ref
        if kind == "pinned":
            return None
        if kind == "branch":
            return (
                f"from branch `{name}`, which moves: use a commit SHA or a tag in the URL, "
                "or check a checksum"
            )
        return f"from {name}, which changes: use a URL with a fixed version"
    if _IMMUTABLE_HOSTS.search(host) or (host == "web.archive.org" and _WAYBACK.match(parts.path)):
        return None
    if UNKNOWN in url:
        return None  # part of the URL is computed: it may well hold the version
    if _VERSION_MARKS.search(parts.path) or _VERSION_MARKS.search("?" + parts.query + "#" + parts.fragment):
        return None
    return (
        "with no version, commit or checksum in it, so the data can change between runs: "
        "keep a copy with the project, or verify a checksum"
    )


def _ref(name: str) -> tuple[str, str] | None:
    """Classify a git ref as written in a URL."""
    if UNKNOWN in name or not name:
        return None
    if _COMMIT.match(name) or _TAG.match(name):
        return ("pinned", name)
    return ("branch", name)


def _refs_path(rest: list[str]) -> tuple[str, str] | None:
    """``refs/heads/main/...``, ``refs/tags/v1/...``, or ``<ref>/...``."""
    if not rest:
        return None
    if rest[0] == "refs" and len(rest) >= 3:
        return ("pinned", rest[2]) if rest[1] == "tags" else _ref(rest[2])
    if rest[0] in ("branch", "tag", "commit") and len(rest) >= 2:  # Codeberg / Gitea
        return _ref(rest[1]) if rest[0] == "branch" else ("pinned", rest[1])
    return _ref(rest[0])


def _repository_ref(host: str, segs: list[str]) -> tuple[str, str] | None:
    """For URLs into a code or dataset repository: ("pinned"|"branch"|"latest", name)."""
    if host == "raw.githubusercontent.com":
        return _refs_path(segs[2:]) if len(segs) >= 4 else None
    if host == "gist.githubusercontent.com":
        if len(segs) >= 3 and segs[2] == "raw":
            if len(segs) >= 5 and _COMMIT.match(segs[3]):
                return ("pinned", segs[3])
            return ("latest", "the gist's latest revision")
        return None
    if host in ("github.com", "www.github.com") and len(segs) >= 4:
        kind, rest = segs[2], segs[3:]
        if kind in ("blob", "raw") and len(rest) >= 2:
            return _refs_path(rest)
        if kind == "releases":
            if rest[:2] == ["latest", "download"]:
                return ("latest", "the latest release")
            if rest[0] == "download" and len(rest) >= 2:
                return None if UNKNOWN in rest[1] else ("pinned", rest[1])
            return None
        if kind == "archive":
            last = _ARCHIVE_EXT.sub("", rest[-1])
            return _refs_path([*rest[:-1], last])
        return None
    if host == "cdn.jsdelivr.net" and len(segs) >= 3 and segs[0] == "gh":
        _, at, ref = segs[2].partition("@")
        return _ref(ref) if at else ("latest", "the repository's default branch")
    # GitLab (/-/raw/<ref>/), Bitbucket (/raw/<ref>/), Hugging Face (/resolve/<ref>/), Gitea.
    if not (host in _FORGES or host.startswith(("gitlab.", "gitea.", "git."))):
        return None
    for i, s in enumerate(segs[:-2]):
        if i >= 1 and s in ("raw", "resolve", "blob") and not DATA_FILE.search(segs[i + 1]):
            return _refs_path(segs[i + 1 :])
    return None
