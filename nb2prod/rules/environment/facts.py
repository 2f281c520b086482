"""The NB2 facts of a notebook: its imports with the distributions they need, its
install commands, the dependency files near it and what they declare. One
:class:`Environment` per notebook, a fact of its analysis (:func:`environment_of`).

The dependency files, the import -> distribution mapping and the install-command parser
live in :mod:`nb2prod.deps`; this module only connects them to the notebook's facts.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from nb2prod import _lazyre, deps
from nb2prod.analysis import Analysis, ImportFact, dotted_name
from nb2prod.code import SHELL_SCRIPT_CELL_MAGICS
from nb2prod.notebook import Cell

# -- facts shared by the rules of this family, computed once per notebook ------------------

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_INSTALL_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba"})
# `%load_ext` names that IPython itself provides.
_BUILTIN_EXTENSIONS = frozenset({"autoreload", "storemagic"})
_PATH_FUNCS = frozenset(
    {"os.path.abspath", "os.path.realpath", "os.path.normpath", "os.path.expanduser",
     "pathlib.Path", "pathlib.PurePath", "str"}
)


@dataclass(frozen=True)
class _Import:
    """A third-party module the notebook loads: an import statement or `%load_ext`."""

    cell: Cell
    target: deps.ImportTarget
    optional: bool  # inside `try: ... except ImportError:`
    node: ast.AST | None = None  # the import statement
    offset: int = 0
    line: int = 1  # for `%load_ext`, which has no node
    column: int = 1

    @property
    def verb(self) -> str:
        return "imported" if self.node is not None else "loaded by `%load_ext`"

    def where(self) -> dict[str, Any]:
        """Keyword arguments of :meth:`Rule.at` for this place."""
        if self.node is not None:
            return {"node": self.node, "offset": self.offset}
        return {"line": self.line, "column": self.column}


@dataclass(frozen=True)
class _Install:
    cell: Cell
    line: int
    column: int
    end_column: int | None
    command: str  # "`%pip install`", "`!pip install`", "`pip install` in a `%%bash` cell"
    spec: deps.InstallSpec


@dataclass(frozen=True)
class _Verdict:
    imp: _Import
    distribution: str
    declarations: tuple[deps.Requirement, ...]


class Environment:
    """The NB2xx facts of one notebook, a fact of its :class:`Analysis` (``nb.fact``)."""

    def __init__(self, nb: Analysis) -> None:
        self.nb = nb
        path = nb.path
        self.folder: Path | None = Path(os.path.abspath(path)).parent if path is not None else None
        self._installed: dict[str, tuple[str, str] | None] = {}
        self._texts: dict[Path, str | None] = {}

    @cached_property
    def dependencies(self) -> deps.DependencySet | None:
        if self.folder is None:
            return None
        return deps.find_dependencies(self.folder)

    @cached_property
    def local_modules(self) -> deps.LocalModules:
        known = self.nb.option("known-first-party", [])
        names = [n for n in known if isinstance(n, str)] if isinstance(known, list) else []
        names.extend(self._written_modules())
        if self.folder is None:
            return deps.LocalModules((), names)
        found = self.dependencies
        folders = list(deps.module_folders(self.folder, found.folder if found else None))
        folders.extend(self._sys_path_additions())
        return deps.LocalModules(folders, names)

    def _written_modules(self) -> Iterator[str]:
        """Modules the notebook writes itself: ``%%writefile helpers.py``, ``%save``."""
        for cell in self.nb.code_cells:
            for m in cell.parsed.magics:
                writes_file = (m.kind == "cell" and m.name in ("writefile", "file")) or (
                    m.kind == "line" and m.name == "save"
                )
                if not writes_file:
                    continue
                target = next((w for w in m.args.split() if not w.startswith("-")), "").strip("'\"")
                if m.name == "save" and not target.endswith(".py"):
                    target += ".py"
                parts = Path(target).with_suffix("").parts if target.endswith(".py") else ()
                if parts and parts[0] not in ("/", "~"):
                    yield parts[0]  # `import src.helpers`
                    yield parts[-1]  # `import helpers` after sys.path.append("src")

    def _sys_path_additions(self) -> Iterator[Path]:
        """Folders added by ``sys.path.append("../src")`` / ``sys.path.insert(0, ...)``."""
        assert self.folder is not None
        if not any("sys.path" in c.source for c in self.nb.code_cells):
            return  # do not make every call a fact for nothing
        for call in self.nb.calls_to("sys.path.append", "sys.path.insert"):
            args = call.node.args
            if args:
                value = self._literal_path(args[-1])
                if value:
                    yield Path(os.path.normpath(self.folder / os.path.expanduser(value)))

    def _literal_path(self, node: ast.expr, depth: int = 0) -> str | None:
        if depth > 5:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path("..") / "src"
            left, right = self._literal_path(node.left, depth + 1), self._literal_path(node.right, depth + 1)
            return os.path.join(left, right) if left is not None and right is not None else None
        if isinstance(node, ast.Call) and node.args:
            name = self.nb.qualify(dotted_name(node.func)) or dotted_name(node.func)
            parts = [self._literal_path(a, depth + 1) for a in node.args]
            if any(p is None for p in parts):
                return None
            if name == "os.path.join":
                return os.path.join(*parts)  # type: ignore[arg-type]
            if name in _PATH_FUNCS and len(parts) == 1:
                return parts[0]
        return None

    @cached_property
    def imports(self) -> list[_Import]:
        """Third-party imports (not stdlib, runtime, relative or first-party) and
        `%load_ext` extensions, in notebook order."""
        out: list[_Import] = []
        guarded: dict[int, frozenset[int]] = {}
        for fact in self.nb.imports:
            if fact.level or not fact.module:
                continue
            for module in _import_paths(fact):
                target = self._third_party(module)
                if target is None:
                    continue
                cell = fact.cell
                if cell.index not in guarded:
                    has_try = "try" in cell.source
                    guarded[cell.index] = _guarded_imports(cell.parsed.tree) if has_try else frozenset()
                optional = id(fact.node) in guarded[cell.index]
                out.append(_Import(cell, target, optional, node=fact.node, offset=fact.offset))
        for cell in self.nb.parsed_cells:
            for m in cell.parsed.magics:
                if m.kind == "line" and m.name in ("load_ext", "reload_ext"):
                    module = next(iter(m.args.split()), "")
                    target = None if module in _BUILTIN_EXTENSIONS else self._third_party(module)
                    if target is not None:
                        out.append(_Import(cell, target, False, line=m.line, column=m.column))
        out.sort(key=lambda i: (i.cell.index, i.node.lineno + i.offset if i.node else i.line))  # type: ignore[attr-defined]
        return out

    def _third_party(self, module: str) -> deps.ImportTarget | None:
        if not module.replace(".", "_").isidentifier():
            return None
        target = deps.resolve_import(module)
        if target is None or target.top in self.local_modules:
            return None
        return target

    @cached_property
    def required(self) -> list[_Import]:
        return [i for i in self.imports if not i.optional]

    @cached_property
    def verdicts(self) -> list[_Verdict]:
        """One per distribution, at its first (non-optional) import."""
        found = self.dependencies
        if found is None:
            return []
        out: list[_Verdict] = []
        seen: set[str] = set()
        for imp in self.required:
            dist, decls = found.match(imp.target)
            if dist in seen:
                continue
            seen.add(dist)
            out.append(_Verdict(imp, dist, tuple(decls)))
        return out

    @cached_property
    def installs(self) -> list[_Install]:
        """Packages named by install commands in the notebook (magics and shell)."""
        out: list[_Install] = []
        for cell in self.nb.code_cells:
            for m in cell.parsed.magics:
                if m.kind == "line" and m.name in _INSTALL_MAGICS:
                    out.extend(self._specs(cell, m.line, f"{m.name} {m.args}", m.column, f"`%{m.name} install`"))
                elif m.kind in ("shell", "shell_capture"):
                    out.extend(self._specs(cell, m.line, m.args, m.column, "`!{tool} install`"))
                elif m.kind == "cell" and m.name in SHELL_SCRIPT_CELL_MAGICS:
                    label = f"`{{tool}} install` in a `%%{m.name}` cell"
                    for i in range(m.line, len(cell.lines)):
                        out.extend(self._specs(cell, i + 1, cell.lines[i], 1, label))
        return out

    def _specs(self, cell: Cell, line: int, command: str, column: int, label: str) -> Iterator[_Install]:
        if "install" not in command:
            return
        text = cell.lines[line - 1] if 1 <= line <= len(cell.lines) else ""
        start = max(text.find("install"), 0)
        for spec in deps.parse_install_command(command):
            col = text.find(spec.spec, start) if spec.spec else -1
            how = label.replace("{tool}", spec.tool)
            if col < 0:
                yield _Install(cell, line, column, None, how, spec)
            else:
                yield _Install(cell, line, col + 1, col + 1 + len(spec.spec), how, spec)
                start = col + len(spec.spec)

    # -- what the fixes need (NB201-NB204) ------------------------------------------------

    def installed(self, distribution: str) -> tuple[str, str] | None:
        """(name, version) of ``distribution`` as installed where nb2prod runs, once per
        lint; None when it is not (see :func:`installed_release`)."""
        if distribution not in self._installed:
            self._installed[distribution] = installed_release(distribution)
        return self._installed[distribution]

    def distribution_to_pin(self, target: deps.ImportTarget) -> tuple[str, str] | None:
        """(name, version) of the one installed distribution that provides ``target``;
        None when none of its candidates is installed, or several are and the installed
        files do not tell which one the import loads."""
        candidates = target.distributions if target.known else (
            deps.installed_distributions(target.top) or target.distributions
        )
        found = {c: r for c in candidates if (r := self.installed(c)) is not None}
        if len(found) > 1:
            providers = set(deps.installed_distributions(target.top)) & set(found)
            found = {c: found[c] for c in providers}
        if len(found) != 1:
            return None
        return next(iter(found.values()))

    def dependency_text(self, path: Path) -> str | None:
        """A dependency file's text as the linter sees it (:func:`nb2prod.deps.file_text`)."""
        if path not in self._texts:
            self._texts[path] = deps.file_text(path)
        return self._texts[path]

    def requirement_fix(self, path: Path, package: str, version: str) -> bool:
        """Whether ``path`` (existing or not) can take ``package==version`` (and the edit
        changes it: a declaration already pinned is no fix)."""
        from nb2prod.fixes.depfiles import DepFileError, edit_requirements

        text = self.dependency_text(path)
        try:
            return edit_requirements(path, text, [(package, version)]) != text
        except DepFileError:
            return False

    def relative(self, path: Path) -> str:
        if self.folder is None:
            return path.name
        try:
            return Path(os.path.relpath(path, self.folder)).as_posix()
        except ValueError:  # another drive on Windows
            return str(path)


_RELEASE = _lazyre.compile(r"[0-9][0-9A-Za-z.!_-]*")


_RELEASES: dict[str, tuple[str, str] | None] = {}
_RELEASES_KEY: list[tuple[tuple[str, int], ...]] = [()]


def _site_key() -> tuple[tuple[str, int], ...]:
    """The modification times of the import path's folders: installing, upgrading or
    removing a distribution changes its folder's."""
    out = []
    for entry in sys.path:
        try:
            out.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return tuple(out)


def installed_release(distribution: str) -> tuple[str, str] | None:
    """:func:`_installed_release`, remembered until a distribution is installed or
    removed (a long-running server sees `pip install` in its kernel)."""
    key = _site_key()
    if key != _RELEASES_KEY[0]:
        _RELEASES.clear()
        _RELEASES_KEY[0] = key
    if distribution not in _RELEASES:
        _RELEASES[distribution] = _installed_release(distribution)
    return _RELEASES[distribution]


def _installed_release(distribution: str) -> tuple[str, str] | None:
    """(name as its project writes it, version) of an installed distribution that a
    package index can provide again: None when it is not installed here, or was
    installed from a local path, a URL or a VCS checkout (PEP 610 ``direct_url.json``;
    conda's own installs are fine). A local version label (``2.3.1+cu121``) is dropped:
    ``==2.3.1`` accepts that build and installs from PyPI."""
    from importlib import metadata

    try:
        dist = metadata.distribution(distribution)
        name = dist.metadata["Name"]
        version = dist.version
        installer = (dist.read_text("INSTALLER") or "").strip()
        direct = dist.read_text("direct_url.json")
    except Exception:  # not installed, or broken metadata
        return None
    if not isinstance(name, str) or not isinstance(version, str) or not name:
        return None
    if direct is not None and installer != "conda":
        return None
    version = version.split("+", 1)[0]
    if not _RELEASE.fullmatch(version):
        return None
    return name, version


def environment_of(nb: Analysis) -> Environment:
    return nb.fact(Environment)


def _import_paths(fact: ImportFact) -> Iterator[str]:
    """Dotted paths to resolve: for ``from google.cloud import storage`` the imported
    names matter (``google.cloud.storage``); elsewhere the module is enough."""
    node = fact.node
    if isinstance(node, ast.ImportFrom) and fact.module.split(".", 1)[0] in deps.SUBMODULE_ROOTS:
        for alias in node.names:
            yield fact.module if alias.name == "*" else f"{fact.module}.{alias.name}"
    else:
        yield fact.module


def _catches_import_error(handlers: Sequence[ast.ExceptHandler]) -> bool:
    for h in handlers:
        if h.type is None:
            return True
        types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
        for t in types:
            name = dotted_name(t)
            if name is not None and name.rsplit(".", 1)[-1] in _IMPORT_ERRORS:
                return True
    return False


def _guarded_imports(tree: ast.Module | None) -> frozenset[int]:
    """ids of import statements inside ``try`` blocks (or their handlers) that catch
    ImportError: optional dependencies, with a fallback."""
    if tree is None:
        return frozenset()
    found: set[int] = set()
    stack: list[tuple[ast.stmt, bool]] = [(s, False) for s in tree.body]
    while stack:
        stmt, guarded = stack.pop()
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            if guarded:
                found.add(id(stmt))
            continue
        inner = guarded
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            inner = guarded or _catches_import_error(stmt.handlers)  # type: ignore[attr-defined]
        for attr in ("body", "orelse", "finalbody"):
            stack.extend((s, inner if attr == "body" else guarded) for s in getattr(stmt, attr, None) or [])
        for h in getattr(stmt, "handlers", None) or []:
            stack.extend((s, inner) for s in h.body)
        if isinstance(stmt, ast.Match):
            for case in stmt.cases:
                stack.extend((s, guarded) for s in case.body)
    return frozenset(found)


def named(imp: _Import, dist: str) -> str:
    """`sklearn` (scikit-learn), or just `numpy` when the names agree."""
    if imp.target.name.lower().replace("_", "-") == dist:
        return f"`{imp.target.name}`"
    return f"`{imp.target.name}` ({dist})"


def or_list(items: Sequence[str], most: int = 3) -> str:
    """`a`, `a or b`, `a, b or c`, `a, b, c or 2 other files`."""
    if len(items) > most + 1:
        return ", ".join(items[:most]) + f" or {len(items) - most} other files"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def has_code(nb: Analysis) -> bool:
    return any(c.source.strip() for c in nb.code_cells)
