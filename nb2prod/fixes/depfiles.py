"""Add a pinned requirement to a dependency file, or pin one in place, in the file's syntax.

:func:`edit_requirements` is what a :class:`~nb2prod.fixes.model.Requirement` edit does:
for each ``(package, version)`` the file declares ``package==version`` afterwards. A
package the file does not declare is added (pinned); one it declares without an exact
version is pinned where it is declared (its extras, markers and comments kept); one it
already pins is left alone, so applying an edit twice is applying it once.

The text is edited in place, never parsed and dumped again: every byte the edit does not
mean to change (comments, order, quoting, indentation, line endings, a trailing comma, a
missing final newline) stays as it was. The kinds, by file name:

``requirements*.txt``, ``requirements*.in``
    pip syntax; a new requirement goes at the end. A file compiled by pip-compile or
    ``uv pip compile`` is not edited (its source file is).
``pyproject.toml``
    the ``[project]`` ``dependencies`` array (PEP 508 strings, in the array's own layout)
    or, without one, ``[tool.poetry.dependencies]`` (``name = "1.2.3"``); a declaration in
    optional dependencies, dependency groups or Poetry groups is pinned there.
``environment*.yml``
    conda: a conda package is pinned as ``name=1.2.3``; a new package goes in the ``- pip:``
    list as ``name==1.2.3`` (a PyPI distribution name is not always the conda package's
    name), which is created when missing.
``Pipfile``
    ``[packages]``: ``name = "==1.2.3"``.
``setup.cfg``
    ``install_requires`` (and ``extras_require``) written one requirement a line.

A file that cannot be edited safely (dynamic dependencies, a layout this module does not
understand, a declared range that excludes the installed version, hashes) raises
:class:`DepFileError`: the rule then offers no fix. :func:`can_edit` asks without editing.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nb2prod import _lazyre, deps

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["DepFileError", "edit_requirements", "can_edit", "check_edit", "kind_of", "pin_requirement"]


class DepFileError(Exception):
    """The file cannot take the edit safely; ``str()`` is one line saying why."""


def kind_of(path: Path) -> str | None:
    """requirements | pyproject | conda | pipfile | setup.cfg | setup.py, or None."""
    return deps.dependency_kind(path.name)


def edit_requirements(path: Path, text: str | None, requirements: Sequence[tuple[str, str]]) -> str:
    """The new text of dependency file ``path`` (now ``text``; None: it does not exist and
    is created as a requirements file) declaring each ``(package, version)`` pinned."""
    path = Path(path)
    if text is None:
        if kind_of(path) not in ("requirements", None):
            raise DepFileError(f"{path.name} does not exist; only a requirements file is created")
        text = ""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    kind = kind_of(path) or "requirements"
    editor = _EDITORS.get(kind)
    if editor is None:
        raise DepFileError(f"{path.name} is code: declare the dependency in it by hand")
    for package, version in requirements:
        if not _VERSION.fullmatch(version):
            raise DepFileError(f"`{version}` is not a version to pin")
        if not deps.pip_requirement(package, path) or not _NAME.fullmatch(package):
            raise DepFileError(f"`{package}` is not a distribution name")
        new = editor(path, body, package, version)
        if new != body:
            _verify(path, body, new, package)
        body = new
    return bom + body


@lru_cache(maxsize=16)
def _parsed(path: Path, text: str) -> deps.DependencyFile:
    """The file before the edit, read once for every package a lint asks about."""
    return deps.parse_dependency_text(path, text)


def _verify(path: Path, before: str, after: str, package: str) -> None:
    """The edited file reads as the old one with ``package`` declared pinned, and nothing
    else changed: what an editor got wrong becomes "no fix", never a damaged file."""
    old = _parsed(path, before)
    new = deps.parse_dependency_text(path, after)
    if old.error is not None:
        raise DepFileError(f"{path.name} {old.error}")
    if new.error is not None:
        raise DepFileError(f"the edit would leave {path.name} unreadable")
    name = deps.canonical(package)
    mine = [r for r in new.requirements if r.name == name]
    if not mine or not all(r.pinned for r in mine):
        raise DepFileError(f"the edit would not pin `{package}` in {path.name}")
    # (a conda file given a `- pip:` list also lists pip itself)
    skip = {name, "pip"} if new.kind == "conda" else {name}
    if sorted((r.name, r.spec) for r in old.requirements if r.name not in skip) != sorted(
        (r.name, r.spec) for r in new.requirements if r.name not in skip
    ):
        raise DepFileError(f"the edit would change other declarations of {path.name}")


def check_edit(path: Path, text: str | None, requirements: Sequence[tuple[str, str]]) -> None:
    """Raise :class:`DepFileError` when :func:`edit_requirements` would."""
    edit_requirements(path, text, requirements)


def can_edit(path: Path, text: str | None, requirements: Sequence[tuple[str, str]]) -> bool:
    """Whether the file can take the edit (the rules attach a fix only then)."""
    try:
        edit_requirements(path, text, requirements)
    except DepFileError:
        return False
    return True


# -- shared pieces ---------------------------------------------------------------------------

_NAME = _lazyre.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_VERSION = _lazyre.compile(r"[0-9A-Za-z!][0-9A-Za-z.!+_-]*")
_REQ_HEAD = _lazyre.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\s*\[[^\]]*\])?")
_COMMENT = _lazyre.compile(r"(^|\s+)#.*$")
_TRAILING_OPTION = _lazyre.compile(r"\s+--?[A-Za-z]")
_LINE = _lazyre.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> list[tuple[str, str]]:
    """(content, line ending) of each physical line."""
    out = []
    for m in _LINE.finditer(text):
        s = m.group(0)
        content = s.rstrip("\r\n")
        out.append((content, s[len(content):]))
    return out


def _newline(text: str) -> str:
    m = re.search(r"\r\n|\r|\n", text)
    return m.group(0) if m else "\n"


def _join(lines: list[tuple[str, str]]) -> str:
    return "".join(c + e for c, e in lines)


def _satisfies(spec: str, version: str, written: str) -> None:
    """Raise unless ``version`` is inside the range ``spec`` (PEP 440) the file declares."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    text = spec.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    try:
        ok = SpecifierSet(text).contains(Version(version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        raise DepFileError(f"cannot tell whether {version} is inside `{written.strip()}`") from None
    if not ok:
        raise DepFileError(f"the installed version {version} is outside `{written.strip()}`: pin it by hand")


def _same(a: str, b: str) -> bool:
    return deps.canonical(a) == deps.canonical(b)


@lru_cache(maxsize=4096)
def _pip_requirement(spec: str) -> deps.Requirement | None:
    return deps.pip_requirement(spec, Path("."))


def pin_requirement(spec: str, package: str, version: str) -> str | None:
    """``spec`` (one PEP 508 requirement, no comment) pinned to ``version``; ``spec``
    itself when already pinned; None when it declares another distribution."""
    req = _pip_requirement(spec)
    if req is None or req.name != deps.canonical(package):
        return None
    if req.pinned:
        return spec
    m = _REQ_HEAD.match(spec)
    if not m or not _same(m.group(1), package) or "@" in spec[m.end():].split(";", 1)[0] or "://" in spec:
        raise DepFileError(f"`{spec.strip()}` is installed from a URL: pin it to a commit or a file by hand")
    rest_at = m.end()
    rest = spec[rest_at:]
    semi = rest.find(";")
    body = rest if semi < 0 else rest[:semi]
    if body.strip():
        _satisfies(body, version, spec)
        end = rest_at + len(body.rstrip())
        return spec[:rest_at] + "==" + version + spec[end:]
    return spec[:rest_at] + "==" + version + spec[rest_at:]


@dataclass
class _Hits:
    """What a file says about one package: pinned somewhere, or unpinned places."""

    pinned: bool = False
    edits: list[tuple[int, int, str]] | None = None  # (start, end, new text) in the file

    def add(self, start: int, end: int, new: str) -> None:
        if self.edits is None:
            self.edits = []
        self.edits.append((start, end, new))


def _pin_code(hits: _Hits, path: Path, content: str, start: int, package: str, version: str) -> None:
    """Record in ``hits`` what the pip requirement in ``content`` (one line from file
    offset ``start``, maybe with a trailing comment) says of ``package``."""
    m = _COMMENT.search(content)
    code = content[: m.start()] if m else content
    new = _pip_line(path, code, package, version)
    if new is None:
        return
    if new == code:
        hits.pinned = True
    else:
        hits.add(start, start + len(code), new)


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _offsets(lines: list[tuple[str, str]]) -> list[int]:
    out, at = [], 0
    for c, e in lines:
        out.append(at)
        at += len(c) + len(e)
    return out


# -- requirements files ------------------------------------------------------------------------

_COMPILED = _lazyre.compile(r"autogenerated by pip-compile|uv pip compile|autogenerated by uv|pip-compile-multi", re.I)
_EDITABLE = _lazyre.compile(r"^\s*(?:-e|--editable)(?:\s*=\s*|\s+)(\S.*)$")


def _pip_line(path: Path, code: str, package: str, version: str) -> str | None:
    """A requirements line's code (comment removed) pinned, itself, or None (other)."""
    stripped = code.strip()
    if not stripped:
        return None
    if stripped.startswith("-"):
        m = _EDITABLE.match(code)
        if m:
            r = deps.pip_requirement(m.group(1).strip(), path)
            if r is not None and r.name == deps.canonical(package) and not r.pinned:
                raise DepFileError(f"`{stripped}` is an editable install: pin it by hand")
            if r is not None and r.name == deps.canonical(package):
                return code
        return None
    opt = _TRAILING_OPTION.search(code)
    req_part, options = (code[: opt.start()], code[opt.start():]) if opt else (code, "")
    new = pin_requirement(req_part, package, version)
    if new is None or new == req_part:
        return None if new is None else code
    if "--hash" in options:
        raise DepFileError(f"`{stripped}` has hashes that pinning would invalidate: recompile the file")
    return new + options


def _edit_requirements_txt(path: Path, text: str, package: str, version: str) -> str:
    head = "\n".join(text.splitlines()[:12])
    if _COMPILED.search(head):
        raise DepFileError(f"{path.name} is compiled by a tool: add `{package}` to its source file and compile it")
    lines = _lines(text)
    starts = _offsets(lines)
    hits = _Hits()
    i = 0
    while i < len(lines):
        group = [i]
        code = _COMMENT.sub("", lines[i][0])
        while code.endswith("\\") and group[-1] + 1 < len(lines):
            group.append(group[-1] + 1)
            code = code[:-1] + " " + _COMMENT.sub("", lines[group[-1]][0])
        i = group[-1] + 1
        if len(group) > 1:
            if _pip_line(path, code, package, version) is not None:
                raise DepFileError(f"`{package}` is declared over several lines: pin it by hand")
            continue
        _pin_code(hits, path, lines[group[0]][0], starts[group[0]], package, version)
    if hits.pinned:
        return text
    if hits.edits:
        return _apply(text, hits.edits)
    last = _COMMENT.sub("", lines[-1][0]) if lines else ""
    if last.endswith("\\") and not lines[-1][1]:
        raise DepFileError(f"{path.name} ends in a line continuation")
    nl = _newline(text)
    line = f"{package}=={version}"
    if not text:
        return line + nl
    if lines[-1][1]:
        return text + line + nl
    return text + nl + line  # the file had no final newline: it still has none


# -- TOML (pyproject.toml, Pipfile) ---------------------------------------------------------------


@dataclass(frozen=True)
class _Stmt:
    path: tuple[str, ...]  # table + key
    table: tuple[str, ...]
    start: int
    value_start: int
    value_end: int


class _Toml:
    """The top-level statements of a TOML document, located without re-dumping it. The
    document was valid TOML for the reader in :mod:`nb2prod.deps`; what this scanner does
    not follow raises :class:`DepFileError`."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.stmts: list[_Stmt] = []
        self.headers: dict[tuple[str, ...], tuple[int, int]] = {}  # [table] -> (start, end of line)
        self._scan()

    def fail(self, why: str = "has a layout the fix cannot edit") -> DepFileError:
        return DepFileError(f"{self.name} {why}")

    def _ws(self, i: int, newlines: bool = False) -> int:
        t = self.text
        while i < len(t):
            c = t[i]
            if c in " \t" or (newlines and c in "\r\n"):
                i += 1
            elif newlines and c == "#":
                while i < len(t) and t[i] not in "\r\n":
                    i += 1
            else:
                break
        return i

    def _string_end(self, i: int) -> int:
        t = self.text
        q = t[i]
        if t.startswith(q * 3, i):
            end = t.find(q * 3, i + 3)
            while end >= 0 and q == '"' and _escaped(t, end):
                end = t.find(q * 3, end + 1)
            if end < 0:
                raise self.fail()
            end += 3
            while end < len(t) and t[end] == q:  # `""""` closes with quotes inside
                end += 1
            return end
        j = i + 1
        while j < len(t) and t[j] not in "\r\n":
            if q == '"' and t[j] == "\\":
                j += 2
                continue
            if t[j] == q:
                return j + 1
            j += 1
        raise self.fail()

    def _key(self, i: int) -> tuple[tuple[str, ...], int]:
        t = self.text
        parts: list[str] = []
        while True:
            i = self._ws(i)
            if i < len(t) and t[i] in "\"'":
                end = self._string_end(i)
                parts.append(_toml_string(t[i:end]))
                i = end
            else:
                m = re.compile(r"[A-Za-z0-9_-]+").match(t, i)
                if not m:
                    raise self.fail()
                parts.append(m.group(0))
                i = m.end()
            i = self._ws(i)
            if i < len(t) and t[i] == ".":
                i += 1
                continue
            return tuple(parts), i

    def value_end(self, i: int) -> int:
        t = self.text
        if i >= len(t):
            raise self.fail()
        c = t[i]
        if c in "\"'":
            return self._string_end(i)
        if c == "[":
            j = i + 1
            while True:
                j = self._ws(j, newlines=True)
                if j >= len(t):
                    raise self.fail()
                if t[j] == "]":
                    return j + 1
                j = self.value_end(j)
                j = self._ws(j, newlines=True)
                if j < len(t) and t[j] == ",":
                    j += 1
        if c == "{":
            j = i + 1
            while True:
                j = self._ws(j)
                if j < len(t) and t[j] == "}":
                    return j + 1
                _, j = self._key(j)
                if j >= len(t) or t[j] != "=":
                    raise self.fail()
                j = self.value_end(self._ws(j + 1))
                j = self._ws(j)
                if j < len(t) and t[j] == ",":
                    j += 1
        m = re.compile(r"[^\s,\]\}#]+").match(t, i)
        if not m:
            raise self.fail()
        return m.end()

    def _scan(self) -> None:
        t = self.text
        table: tuple[str, ...] = ()
        i = 0
        while True:
            i = self._ws(i, newlines=True)
            if i >= len(t):
                return
            start = i
            if t[i] == "[":
                double = t.startswith("[[", i)
                key, j = self._key(i + (2 if double else 1))
                close = "]]" if double else "]"
                if not t.startswith(close, j):
                    raise self.fail()
                j += len(close)
                table = key
                if not double:
                    self.headers[key] = (start, _line_end(t, j))
                i = j
                continue
            key, j = self._key(i)
            if j >= len(t) or t[j] != "=":
                raise self.fail()
            vs = self._ws(j + 1)
            ve = self.value_end(vs)
            self.stmts.append(_Stmt(table + key, table, start, vs, ve))
            i = ve

    def array_items(self, start: int, end: int) -> list[tuple[int, int]]:
        """(start, end) of each item of the array ``text[start:end]``."""
        t = self.text
        items: list[tuple[int, int]] = []
        j = start + 1
        while True:
            j = self._ws(j, newlines=True)
            if t[j] == "]":
                return items
            e = self.value_end(j)
            items.append((j, e))
            j = self._ws(e, newlines=True)
            if t[j] == ",":
                j += 1

    def inline_entries(self, start: int) -> list[tuple[tuple[str, ...], int, int]]:
        t = self.text
        out: list[tuple[tuple[str, ...], int, int]] = []
        j = start + 1
        while True:
            j = self._ws(j)
            if t[j] == "}":
                return out
            key, j = self._key(j)
            vs = self._ws(j + 1)
            ve = self.value_end(vs)
            out.append((key, vs, ve))
            j = self._ws(ve)
            if t[j] == ",":
                j += 1


def _escaped(t: str, i: int) -> bool:
    n = 0
    while i - 1 - n >= 0 and t[i - 1 - n] == "\\":
        n += 1
    return n % 2 == 1


@lru_cache(maxsize=4096)
def _toml_string(raw: str) -> str:
    value = tomllib.loads("x = " + raw)["x"]
    assert isinstance(value, str)
    return value


def _line_end(t: str, i: int) -> int:
    """The offset just past the end of the line holding ``i`` (its newline included)."""
    m = re.compile(r"\r\n|\r|\n").search(t, i)
    return m.end() if m else len(t)


def _simple_string(raw: str) -> bool:
    """A one-line string whose text is written as is (no escapes)."""
    return len(raw) >= 2 and raw[0] in "\"'" and raw[-1] == raw[0] and not raw.startswith(raw[0] * 3) and (
        raw[0] == "'" or "\\" not in raw
    )


def _is_dependency_array(path: tuple[str, ...]) -> bool:
    return (
        path == ("project", "dependencies")
        or (len(path) == 3 and path[:2] == ("project", "optional-dependencies"))
        or (len(path) == 2 and path[0] == "dependency-groups")
        or path == ("tool", "uv", "dev-dependencies")
        or (len(path) == 4 and path[:3] == ("tool", "pdm", "dev-dependencies"))
    )


def _is_poetry_entry(path: tuple[str, ...]) -> bool:
    return (
        (len(path) == 4 and path[:2] == ("tool", "poetry") and path[2] in ("dependencies", "dev-dependencies"))
        or (len(path) == 6 and path[:3] == ("tool", "poetry", "group") and path[4] == "dependencies")
    )


def _is_pipfile_entry(path: tuple[str, ...]) -> bool:
    return len(path) == 2 and path[0] not in ("source", "requires", "pipenv", "scripts")


@lru_cache(maxsize=16)
def _toml_doc(text: str, name: str) -> _Toml:
    """The scanned document (not changed after the scan), once per text: a lint asks
    about each undeclared import in turn."""
    return _Toml(text, name)


def _edit_toml(path: Path, text: str, package: str, version: str) -> str:
    doc = _toml_doc(text, path.name)
    hits = _Hits()
    pipfile = kind_of(path) == "pipfile"
    for st in doc.stmts:
        if not pipfile and _is_dependency_array(st.path):
            if text[st.value_start] != "[":
                raise doc.fail(f"declares `{'.'.join(st.path)}` in a form the fix cannot edit")
            for s, e in doc.array_items(st.value_start, st.value_end):
                raw = text[s:e]
                if raw[:1] not in "\"'":
                    raise doc.fail()
                value = _toml_string(raw)
                new = pin_requirement(value, package, version)
                if new is None:
                    continue
                if new == value:
                    hits.pinned = True
                elif not _simple_string(raw):
                    raise doc.fail(f"writes `{value}` in a string the fix does not rewrite")
                else:
                    hits.add(s + 1, e - 1, new)
        elif (_is_pipfile_entry(st.path) if pipfile else _is_poetry_entry(st.path)) and _same_key(st.path[-1], package):
            _pin_table_entry(doc, st, package, version, hits, pipfile)
    if hits.pinned:
        return text
    if hits.edits:
        return _apply(text, hits.edits)
    return _add_toml(doc, package, version, pipfile)


def _same_key(key: str, package: str) -> bool:
    return bool(_NAME.fullmatch(key)) and _same(key, package)


_POETRY_EXACT = _lazyre.compile(r"^\s*(?:==?)?\s*(\d[0-9A-Za-z.!+_-]*)\s*$")


def _table_pinned(value: str, pipfile: bool) -> bool:
    v = value.strip()
    if v.startswith("==="):
        return bool(v[3:].strip())
    m = _POETRY_EXACT.match(v)
    return m is not None and "*" not in m.group(1)


def _pin_table_entry(doc: _Toml, st: _Stmt, package: str, version: str, hits: _Hits, pipfile: bool) -> None:
    t = doc.text
    raw = t[st.value_start: st.value_end]
    new_value = f"=={version}" if pipfile else version
    if raw[:1] in "\"'":
        target = (st.value_start, st.value_end)
    elif raw[:1] == "{":
        entries = doc.inline_entries(st.value_start)
        keys = {k[0] for k, _, _ in entries}
        if keys & {"git", "path", "url", "file", "hg", "svn", "bzr"}:
            hits.pinned = True  # a direct reference
            return
        found = [(s, e) for k, s, e in entries if k == ("version",)]
        if not found:
            raise doc.fail(f"declares `{st.path[-1]}` without a version the fix can pin")
        target = found[0]
    else:
        raise doc.fail(f"declares `{st.path[-1]}` in a form the fix cannot edit")
    s, e = target
    value_raw = t[s:e]
    if not _simple_string(value_raw):
        raise doc.fail(f"declares `{st.path[-1]}` in a form the fix cannot edit")
    value = value_raw[1:-1]
    if _table_pinned(value, pipfile):
        hits.pinned = True
        return
    _satisfies(_poetry_range(value, doc.name), version, f"{st.path[-1]} = {value_raw}")
    hits.add(s + 1, e - 1, new_value)


def _poetry_range(value: str, name: str) -> str:
    """A Poetry/Pipfile constraint as a PEP 440 specifier set (``^1.2`` -> ``>=1.2,<2``)."""
    out = []
    for part in value.split(","):
        p = part.strip()
        if p in ("*", ""):
            continue
        m = re.fullmatch(r"([\^~])\s*(\d+(?:\.\d+)*)(?:\.\*)?", p)
        if m is None:
            if "|" in p or "^" in p or (p.startswith("~") and not p.startswith("~=")):
                raise DepFileError(f"cannot read the version range `{value}` in {name}")
            out.append(p if p[:1] in "<>=!~" else f"=={p}")
            continue
        nums = [int(x) for x in m.group(2).split(".")]
        if m.group(1) == "^":
            first = next((k for k, n in enumerate(nums) if n != 0), len(nums) - 1)
            upper = nums[: first + 1]
            upper[-1] += 1
        else:
            upper = nums[:2] if len(nums) > 1 else nums[:1]
            upper[-1] += 1
        out += [f">={m.group(2)}", "<" + ".".join(map(str, upper))]
    return ",".join(out)


def _add_toml(doc: _Toml, package: str, version: str, pipfile: bool) -> str:
    t = doc.text
    if pipfile:
        return _add_table_entry(doc, ("packages",), package, f'"=={version}"')
    main = [s for s in doc.stmts if s.path == ("project", "dependencies")]
    if main:
        return _add_array_item(doc, main[0], f"{package}=={version}")
    if ("tool", "poetry", "dependencies") in doc.headers:
        return _add_table_entry(doc, ("tool", "poetry", "dependencies"), package, f'"{version}"')
    dynamic = [s for s in doc.stmts if s.path == ("project", "dynamic")]
    if dynamic and "dependencies" in t[dynamic[0].value_start: dynamic[0].value_end]:
        raise doc.fail("declares its dependencies dynamically: add the package where they are read from")
    raise doc.fail("has no [project] dependencies array or [tool.poetry.dependencies] table to add to")


def _add_table_entry(doc: _Toml, table: tuple[str, ...], key: str, value: str) -> str:
    t = doc.text
    if table not in doc.headers:
        raise doc.fail(f"has no [{'.'.join(table)}] table")
    inside = [s for s in doc.stmts if s.table == table]
    at = _line_end(t, inside[-1].value_end) if inside else doc.headers[table][1]
    nl = _newline(t)
    line = f"{key} = {value}"
    if at == len(t) and not t.endswith(("\n", "\r")):
        return t + nl + line
    return t[:at] + line + nl + t[at:]


def _add_array_item(doc: _Toml, st: _Stmt, requirement: str) -> str:
    t = doc.text
    items = doc.array_items(st.value_start, st.value_end)
    close = st.value_end - 1
    nl = _newline(t)
    if not items:
        quoted = f'"{requirement}"'
        if "\n" in t[st.value_start: close] or "\r" in t[st.value_start: close]:
            line_start = t.rfind("\n", 0, st.start) + 1
            indent = re.match(r"[ \t]*", t[line_start:]).group(0) + "    "  # type: ignore[union-attr]
            return t[: st.value_start + 1] + nl + indent + quoted + "," + t[st.value_start + 1:]
        return t[: st.value_start + 1] + quoted + t[close:]
    last_s, last_e = items[-1]
    quote = t[last_s] if t[last_s] in "\"'" else '"'
    quoted = f"{quote}{requirement}{quote}"
    j = doc._ws(last_e, newlines=True)
    comma = t[j] == ","
    after_comma = j + 1 if comma else last_e
    tail = t[after_comma:close]
    if "\n" in tail or "\r" in tail:  # the closing bracket on a line of its own
        line_start = max(t.rfind("\n", 0, last_s), t.rfind("\r", 0, last_s)) + 1
        lead = t[line_start:last_s]
        indent = lead if lead.strip() == "" else re.match(r"[ \t]*", lead).group(0)  # type: ignore[union-attr]
        eol = _line_end(t, after_comma)
        eol_text = t[max(after_comma, eol - 2):eol]
        cut = eol - (2 if eol_text.endswith("\r\n") else 1 if eol_text[-1:] in "\r\n" else 0)
        if comma and ("\n" in t[last_e:j] or "\r" in t[last_e:j]):
            raise doc.fail("puts a comma on its own line in the dependencies array")
        new_line = nl + indent + quoted + ("," if comma else "")
        if comma:
            return t[:cut] + new_line + t[cut:]
        return t[:last_e] + "," + t[last_e:cut] + new_line + t[cut:]
    sep = ", "
    if len(items) > 1:
        between = t[items[0][1]: items[1][0]]
        sep = between if between.strip() == "," and "\n" not in between else ", "
    if comma:
        return t[:after_comma] + sep[1:] + quoted + "," + t[after_comma:]
    return t[:last_e] + sep + quoted + t[last_e:]


# -- environment.yml -------------------------------------------------------------------------------

_YAML_KEY = _lazyre.compile(r"^dependencies\s*:\s*(#.*)?$")
_YAML_ITEM = _lazyre.compile(r"^( *)-(?:\s+(.*))?$")


def _yaml_scalar(value: str) -> tuple[int, int] | None:
    """(start, end) of the scalar's text in ``value`` (an item after `- `), quotes excluded;
    None when it is not a plain or quoted scalar."""
    if not value:
        return None
    if value[0] in "\"'":
        end = value.find(value[0], 1)
        if end < 0 or (value[0] == '"' and "\\" in value[1:end]):
            return None
        rest = value[end + 1:].strip()
        if rest and not rest.startswith("#"):
            return None
        return 1, end
    if value[0] in "[{&*!|>%@`":
        return None
    m = re.search(r"\s#", value)
    text = value[: m.start()] if m else value
    return 0, len(text.rstrip())


def _pin_conda(spec: str, package: str, version: str, name: str) -> str | None:
    req = deps.conda_requirement(spec, Path("."))
    if req is None or req.name != deps.canonical(package):
        return None
    if req.pinned:
        return spec
    channel = spec[: spec.index("::") + 2] if "::" in spec else ""
    body = spec[len(channel):]
    m = re.match(r"\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*)", body)
    assert m is not None
    rest = body[m.end():].strip()
    if "[" in rest or "|" in rest or rest.count("=") - 2 * rest.count("==") > 1:
        raise DepFileError(f"`{spec}` in {name} has a version the fix does not rewrite")
    if rest:
        if rest[:1].isdigit():
            rest = "==" + rest
        if rest.startswith("=") and not rest.startswith("=="):
            rest = "==" + rest[1:] + ("" if rest.endswith("*") else ".*")
        _satisfies(rest.replace(" ", ""), version, spec)
    pin = f"={version}" if len(version.split(".")) >= 3 else f"=={version}"
    return channel + body[: m.end()] + pin


def _conda_name(spec: str) -> str | None:
    m = re.match(r"\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*)", spec.split("::", 1)[-1])
    return m.group(1).lower() if m else None


def _edit_conda(path: Path, text: str, package: str, version: str) -> str:
    name = path.name
    lines = _lines(text)
    starts = _offsets(lines)
    keys = [i for i, (c, _) in enumerate(lines) if _YAML_KEY.match(c)]
    if len(keys) != 1:
        if any(re.match(r"^dependencies\s*:", c) for c, _ in lines):
            raise DepFileError(f"{name} writes its dependencies in a form the fix cannot edit")
        raise DepFileError(f"{name} has no `dependencies:` list")
    key = keys[0]
    item_indent: int | None = None
    pip_line: int | None = None  # the `- pip:` item
    sub_indent: int | None = None
    last_item = key  # the last line of the list
    last_pip = None  # the last line of the pip list
    has_pip = False
    hits = _Hits()
    for i in range(key + 1, len(lines)):
        c = lines[i][0]
        if not c.strip() or c.lstrip().startswith("#"):
            continue
        if "\t" in c[: len(c) - len(c.lstrip())]:
            raise DepFileError(f"{name} indents with tabs")
        m = _YAML_ITEM.match(c)
        ind = len(c) - len(c.lstrip(" "))
        if m is None:
            if ind == 0:
                break  # the next top-level key
            raise DepFileError(f"{name} has a dependency the fix cannot read (line {i + 1})")
        if item_indent is None:
            item_indent = ind
        value = m.group(2) or ""
        if ind == item_indent:
            pip_line = None
            last_item = i
            if re.fullmatch(r"pip\s*:\s*(#.*)?", value):
                pip_line = i
                last_pip = i
                continue
            if re.search(r"(?<!:):(?:\s|$)", value.split(" #", 1)[0]) and not value.startswith(("'", '"')):
                raise DepFileError(f"{name} has a dependency the fix cannot read (line {i + 1})")
            pip = False
        elif pip_line is not None and ind > item_indent and (sub_indent is None or ind == sub_indent):
            sub_indent = ind
            last_item = last_pip = i
            pip = True
        else:
            raise DepFileError(f"{name} has a dependency the fix cannot read (line {i + 1})")
        span = _yaml_scalar(value)
        if span is None:
            raise DepFileError(f"{name} has a dependency the fix cannot read (line {i + 1})")
        spec = value[span[0]: span[1]]
        if not pip and _conda_name(spec) == "pip":
            has_pip = True
        new = _pip_line(path, spec, package, version) if pip else _pin_conda(spec, package, version, name)
        if new is None:
            continue
        if new == spec:
            hits.pinned = True
        else:
            at = starts[i] + m.start(2) + span[0]
            hits.add(at, at + len(spec), new)
    if hits.pinned:
        return text
    if hits.edits:
        return _apply(text, hits.edits)
    nl = _newline(text)
    item = " " * (2 if item_indent is None else item_indent)
    if last_pip is not None:
        sub = " " * (sub_indent if sub_indent is not None else len(item) + 2)
        block = [f"{sub}- {package}=={version}"]
        after = last_pip
    else:
        block = ([] if has_pip else [f"{item}- pip"]) + [f"{item}- pip:", f"{item}  - {package}=={version}"]
        after = last_item
    head = _join(lines[: after + 1])
    tail = _join(lines[after + 1:])
    if not lines[after][1]:
        return head + nl + nl.join(block) + tail
    return head + nl.join(block) + nl + tail


# -- setup.cfg ----------------------------------------------------------------------------------------

_SECTION = _lazyre.compile(r"^\[\s*([^\]]+?)\s*\]")
_CFG_KEY = _lazyre.compile(r"^([A-Za-z0-9_.-]+)\s*[=:]\s*(.*)$")


def _edit_setup_cfg(path: Path, text: str, package: str, version: str) -> str:
    lines = _lines(text)
    starts = _offsets(lines)
    section = None
    hits = _Hits()
    install: tuple[int, int] | None = None  # (key line, last value line)
    i = 0
    while i < len(lines):
        c = lines[i][0]
        sm = _SECTION.match(c)
        if sm:
            section = sm.group(1)
            i += 1
            continue
        km = _CFG_KEY.match(c)
        wanted = (section == "options" and km is not None and km.group(1) == "install_requires") or (
            section == "options.extras_require" and km is not None
        )
        if not wanted or km is None:
            i += 1
            continue
        value_lines: list[tuple[int, int]] = []  # (line, column of the value)
        first = km.group(2)
        if first.strip():
            if first.strip().startswith(("file:", "attr:")) or ";" in _COMMENT.sub("", first):
                raise DepFileError(f"{path.name} reads `{km.group(1)}` from elsewhere or on one line: edit it by hand")
            value_lines.append((i, km.start(2)))
        j = i + 1
        last = i
        while j < len(lines):
            cj = lines[j][0]
            if cj.strip() and cj[:1] in " \t":
                last = j
                if not cj.lstrip().startswith(("#", ";")):
                    value_lines.append((j, len(cj) - len(cj.lstrip())))
                j += 1
            elif not cj.strip():
                j += 1
            else:
                break
        for line, col in value_lines:
            _pin_code(hits, path, lines[line][0][col:], starts[line] + col, package, version)
        if section == "options":
            install = (i, last)
        i = j
    if hits.pinned:
        return text
    if hits.edits:
        return _apply(text, hits.edits)
    if install is None:
        raise DepFileError(f"{path.name} has no install_requires to add to")
    key, last = install
    nl = _newline(text)
    indent = "    "
    if last != key:
        lc = lines[last][0]
        indent = lc[: len(lc) - len(lc.lstrip())]
    head, tail = _join(lines[: last + 1]), _join(lines[last + 1:])
    added = f"{indent}{package}=={version}"
    if not lines[last][1]:
        return head + nl + added + tail
    return head + added + nl + tail


_EDITORS = {
    "requirements": _edit_requirements_txt,
    "pyproject": _edit_toml,
    "pipfile": _edit_toml,
    "conda": _edit_conda,
    "setup.cfg": _edit_setup_cfg,
}
