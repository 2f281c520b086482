"""Is the content behind a URL pinned? A classifier of URLs by host and path: code
forges and their refs (commit, tag, branch), release downloads, archives, version marks
in the path or query, and hosts that never change what they serve; and :class:`Values`, what the string expressions
that make URLs and model names hold."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from nb2prod import _lazyre
from nb2prod._ast import walk as walk_nodes
from nb2prod._ast import walk_parents

if TYPE_CHECKING:
    from nb2prod.analysis import Analysis

UNKNOWN = "\x00"  # stands for a part of a string the linter cannot know
DATA_FILE = _lazyre.compile(
    r"\.(csv|tsv|txt|data|dat|json|jsonl|ndjson|xml|xlsx?|parquet|feather|arrow|orc|h5|hdf5?|"
    r"nc|npz|npy|pkl|pickle|zip|gz|tgz|bz2|xz|zst|7z|tar|mat|sav|dta|sas7bdat|pt|pth|ckpt|"
    r"bin|safetensors|onnx|pb|tflite|joblib|avro)$",
    re.I,
)
_COMMIT = _lazyre.compile(r"^(?=[0-9a-f]*\d)[0-9a-f]{7,64}$", re.I)
_TAG = _lazyre.compile(r"^(?:v|version-|release-)?\d+(?:\.\d+)*(?:[-+][\w.]+)?$", re.I)
_ARCHIVE_EXT = _lazyre.compile(r"\.(zip|tar\.gz|tgz|tar\.bz2|tar)$", re.I)
_VERSION_MARKS = _lazyre.compile(
    r"""
    (?<![a-z0-9])v\d+(?:\.\d+)*(?![a-z])                       # v1, v2.3
    | (?<![\w.])\d+\.\d+(?:\.\d+)*(?!\w)                       # 1.2.3, /3.1/
    | (?<!\d)(?:19|20)\d\d[-_/]?(?:0[1-9]|1[0-2])[-_/]?(?:0[1-9]|[12]\d|3[01])(?!\d)  # dates
    | (?<=[a-z])(?:19|20)\d\d(?![\d])(?=[/_.-]|$)                # a release year: val2017/, coco2014.zip
    | (?<![0-9a-f])[0-9a-f]{40}(?:[0-9a-f]{24})?(?![0-9a-f])    # a commit or a sha256
    | -[0-9a-f]{8,}\.                                           # resnet18-f37072fd.pth
    | [?&\#;](?:version|v|rev|revision|commit|sha|sha1|sha256|md5|hash|checksum|ref|
                snapshot|versionid|generation|tag)=
    """,
    re.I | re.X,
)
_IMMUTABLE_HOSTS = _lazyre.compile(r"(^|\.)(zenodo\.org|doi\.org|figshare\.com|osf\.io)$", re.I)
_WAYBACK = _lazyre.compile(r"^/web/\d{8,14}", re.I)
_FORGES = frozenset({"gitlab.com", "bitbucket.org", "huggingface.co", "hf.co", "codeberg.org"})
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


# -- what a string expression holds --------------------------------------------------------
#
# A URL or a model name is seldom written in the call that reads it: it is assigned to a
# name first, at the top of the notebook or inside a function, an `if`, a `for` or a
# `try`; passed as an argument or a default; kept in a dict or a list of URLs; built with
# an f-string from a constant base. :class:`Values` follows these, statically (nothing is
# run), and returns every string an expression may hold, with the parts it cannot know
# written as ``UNKNOWN``.

_MAX_VALUES = 16
_MAX_DEPTH = 10
_MAX_STEPS = 2000  # work for one lookup: past it, the value is unknown
_Scope = ast.AST  # a FunctionDef, AsyncFunctionDef, Lambda, ClassDef or the cell's Module


@dataclass(frozen=True)
class _Binding:
    cell: int
    line: int
    unconditional: bool  # a statement of the module's body itself (not in an if/for/try)
    value: ast.expr | None  # the assigned expression (None: see kind)
    kind: str = "assign"  # "assign" | "for" (value is the iterable) | "param"
    target: ast.expr | None = None  # for "for": the loop's target, to pick tuple parts
    name: str = ""
    function: ast.AST | None = None  # for "param": the function
    stmt: ast.AST | None = None  # the assignment or `for` statement that binds


# The nodes :meth:`Values._bind` reads (every other node binds nothing and calls nothing).
_BINDING_NODES = frozenset({ast.Call, ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor,
                            ast.comprehension, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})


class Values:
    """The strings an expression of a notebook may hold (see above). Built once per
    notebook (:func:`values_of`); lookups are cheap."""

    def __init__(self, nb: Analysis) -> None:
        self.nb = nb
        self.parent: dict[int, ast.AST] = {}
        self.cell_of: dict[int, int] = {}
        self.modules: dict[int, ast.Module] = {}
        self.bindings: dict[tuple[int, str], list[_Binding]] = defaultdict(list)
        self.calls_by_name: dict[str, list[ast.Call]] = defaultdict(list)
        self._steps = 0
        self._ancestor_sets: dict[int, frozenset[int]] = {}
        for cell in nb.parsed_cells:
            if "skip" in cell.nb2prod_tags:
                continue
            tree = cell.parsed.tree
            assert tree is not None
            self.modules[cell.index] = tree
            nodes = walk_parents(tree, self.parent)
            self.cell_of.update(dict.fromkeys(map(id, nodes), cell.index))
            bind = self._bind
            for node in nodes:
                if node.__class__ in _BINDING_NODES:
                    bind(cell.index, tree, node)

    # -- the table of bindings -----------------------------------------------------------
    def _bind(self, cell: int, tree: ast.Module, node: ast.AST) -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            self.calls_by_name[node.func.id].append(node)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if value is None:
                return
            for target in targets:
                if isinstance(target, ast.Name):
                    self._add(cell, tree, node, target.id, _Binding(
                        cell, node.lineno, self._unconditional(node, tree), value, stmt=node))
                elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
                    for t, v in zip(target.elts, value.elts, strict=False):
                        if isinstance(t, ast.Name):
                            self._add(cell, tree, node, t.id, _Binding(
                                cell, node.lineno, self._unconditional(node, tree), v, stmt=node))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            line = getattr(node if not isinstance(node, ast.comprehension) else node.iter, "lineno", 0)
            for part in walk_nodes(node.target):
                if isinstance(part, ast.Name):
                    self._add(cell, tree, node.target, part.id, _Binding(
                        cell, line, False, node.iter, "for", node.target, part.id,
                        stmt=None if isinstance(node, ast.comprehension) else node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                key = (id(node), a.arg)
                self.bindings[key].append(_Binding(cell, node.lineno, False, None, "param", name=a.arg,
                                                   function=node))

    def _add(self, cell: int, tree: ast.Module, node: ast.AST, name: str, binding: _Binding) -> None:
        scope = self.scope(node)
        key = (0 if isinstance(scope, ast.Module) else id(scope), name)
        self.bindings[key].append(binding)

    def _unconditional(self, node: ast.AST, tree: ast.Module) -> bool:
        return self.parent.get(id(node)) is tree

    def scope(self, node: ast.AST) -> _Scope:
        """The function (or lambda, class, comprehension's owner) a node is in, else its module."""
        p = self.parent.get(id(node))
        while p is not None:
            if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)):
                # a function's defaults and decorators are evaluated in the enclosing scope
                if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and _in_signature(p, node):
                    node, p = p, self.parent.get(id(p))
                    continue
                return p
            node, p = p, self.parent.get(id(p))
        return ast.Module(body=[], type_ignores=[])

    def _scopes(self, node: ast.AST) -> Iterator[tuple[int, bool]]:
        """The scopes a name used at ``node`` is looked up in: (scope key, is the module)."""
        scope = self.scope(node)
        while not isinstance(scope, ast.Module):
            if not isinstance(scope, ast.ClassDef):
                yield id(scope), False
            scope = self.scope(scope)
        yield 0, True

    # -- lookups ---------------------------------------------------------------------------
    def strings(self, node: ast.expr | None) -> list[str]:
        """Every string ``node`` may hold (no duplicates, at most a few); [] when it is
        not a string the linter can follow."""
        if node is None:
            return []
        self._steps = 0
        return list(dict.fromkeys(self._strings(node, 0)))[:_MAX_VALUES]

    def string(self, node: ast.expr | None) -> str | None:
        """The one string ``node`` holds, else None (several or unknown)."""
        found = self.strings(node)
        return found[0] if len(found) == 1 else None

    def _strings(self, node: ast.expr, depth: int) -> list[str]:
        self._steps += 1
        if depth > _MAX_DEPTH or self._steps > _MAX_STEPS:
            return []  # too deep or too many branches (a hostile notebook): unknown
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else []
        if isinstance(node, ast.JoinedStr):
            out = [""]
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    out = [o + v.value for o in out]
                    continue
                inner = v.value if isinstance(v, ast.FormattedValue) else None
                known = self._strings(inner, depth + 1) if inner is not None else []
                if len(known) == 1 and UNKNOWN not in known[0] and not (
                    isinstance(v, ast.FormattedValue) and v.format_spec is not None
                ):
                    out = [o + known[0] for o in out]
                else:
                    out = [o + UNKNOWN for o in out]
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self._strings(node.left, depth + 1)
            if not left:
                return []
            right = self._strings(node.right, depth + 1) or [UNKNOWN]
            return [a + b for a in left for b in right][:_MAX_VALUES]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return [re.sub(r"%[-#0 +]*\d*(?:\.\d+)?[sdrif]", UNKNOWN, t) for t in self._strings(node.left, depth + 1)]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "format":
                return [re.sub(r"\{[^{}]*\}", UNKNOWN, t) for t in self._strings(node.func.value, depth + 1)]
            if node.func.attr in ("strip", "rstrip", "lstrip") and not node.args:
                return [getattr(t, node.func.attr)() for t in self._strings(node.func.value, depth + 1)]
            return []
        if isinstance(node, ast.Subscript):
            return [s for e in self._elements(node, depth + 1) for s in self._strings(e, depth + 1)][:_MAX_VALUES]
        if isinstance(node, ast.Name):
            return [s for e in self.exprs(node, depth + 1) for s in self._strings(e, depth + 1)][:_MAX_VALUES]
        return []

    def _elements(self, node: ast.Subscript, depth: int) -> list[ast.expr]:
        """``URLS["train"]``, ``files[0]``: the element(s) of a literal container."""
        key = node.slice
        out: list[ast.expr] = []
        for c in self.containers(node.value, depth):
            if isinstance(c, ast.Dict):
                keys = [(k.value if isinstance(k, ast.Constant) else ...) for k in c.keys if k is not None]
                if isinstance(key, ast.Constant) and key.value in keys:
                    out.append(c.values[keys.index(key.value)])
                elif not isinstance(key, ast.Constant):
                    out.extend(c.values)
            elif isinstance(c, (ast.List, ast.Tuple)):
                if isinstance(key, ast.Constant) and isinstance(key.value, int):
                    if -len(c.elts) <= key.value < len(c.elts):
                        out.append(c.elts[key.value])
                elif not isinstance(key, (ast.Constant, ast.Slice)):
                    out.extend(c.elts)
        return out

    def containers(self, node: ast.expr, depth: int = 0) -> list[ast.expr]:
        """The literal dicts, lists, tuples or sets an expression may be."""
        self._steps = 0 if depth == 0 else self._steps + 1
        if depth > _MAX_DEPTH or self._steps > _MAX_STEPS:
            return []
        if isinstance(node, (ast.Dict, ast.List, ast.Tuple, ast.Set)):
            return [node]
        if isinstance(node, ast.Name):
            return [c for e in self.exprs(node, depth + 1) for c in self.containers(e, depth + 1)]
        if isinstance(node, ast.Subscript):
            return [c for e in self._elements(node, depth + 1) for c in self.containers(e, depth + 1)]
        return []

    def exprs(self, name: ast.Name, depth: int = 0) -> list[ast.expr]:
        """The expressions a name may have been given where it is used."""
        if depth > _MAX_DEPTH:
            return []
        cell = self.cell_of.get(id(name))
        if cell is None:
            return []
        for key, is_module in self._scopes(name):
            found = self.bindings.get((key, name.id))
            if not found:
                continue
            dominating = self._dominating(name, found)
            if dominating is not None:
                found = dominating
            elif is_module and key == 0 and self.scope(name) is self.modules.get(cell):
                found = self._before(found, (cell, name.lineno))
            out: list[ast.expr] = []
            for b in found:
                out.extend(self._values(b, depth))
            return out
        return []

    def _dominating(self, use: ast.Name, found: list[_Binding]) -> list[_Binding] | None:
        """The bindings that hold where ``use`` is, found by walking up its statement
        lists: the nearest assignment above it in the same block (or an enclosing one),
        plus those in compound statements between the two (an `if` that may rebind);
        the loop's own binding inside a `for`. None when no assignment above dominates."""
        scope = self.scope(use)
        chains = {id(b): self._ancestors(b.stmt) for b in found if b.stmt is not None}
        extra: list[_Binding] = []
        node: ast.AST = use
        for _ in range(200):
            parent = self.parent.get(id(node))
            if parent is None:
                return None
            if isinstance(parent, (ast.For, ast.AsyncFor)) and any(s is node for s in parent.body):
                loop = [b for b in found if b.stmt is parent]
                if loop:
                    return loop + extra
            for field_name in ("body", "orelse", "finalbody"):
                stmts = getattr(parent, field_name, None)
                if not isinstance(stmts, list):
                    continue
                index = next((i for i, s in enumerate(stmts) if s is node), None)
                if index is None:
                    continue
                for s in reversed(stmts[:index]):
                    direct = [b for b in found if b.stmt is s and b.kind == "assign"]
                    if direct:
                        return direct + extra
                    extra.extend(b for b in found if id(s) in chains.get(id(b), ()))
            if parent is scope:
                return None
            node = parent
        return None

    def _ancestors(self, node: ast.AST) -> frozenset[int]:
        known = self._ancestor_sets.get(id(node))
        if known is not None:
            return known
        out: set[int] = set()
        p = self.parent.get(id(node))
        while p is not None:
            out.add(id(p))
            p = self.parent.get(id(p))
        self._ancestor_sets[id(node)] = found = frozenset(out)
        return found

    @staticmethod
    def _before(found: list[_Binding], where: tuple[int, int]) -> list[_Binding]:
        """Module-level bindings that can hold at ``where``: from the last unconditional
        one above it on (those in an `if` or a loop after it may or may not have run)."""
        above = [b for b in found if (b.cell, b.line) <= where]
        for i in range(len(above) - 1, -1, -1):
            if above[i].unconditional:
                return above[i:]
        return above

    def _values(self, b: _Binding, depth: int) -> list[ast.expr]:
        if b.kind == "assign":
            return [b.value] if b.value is not None else []
        if b.kind == "for" and b.value is not None and b.target is not None:
            return self._loop_values(b.value, b.target, b.name, depth)
        if b.kind == "param" and b.function is not None:
            return self._arguments(b.function, b.name)
        return []

    def _loop_values(self, iterable: ast.expr, target: ast.expr, name: str, depth: int) -> list[ast.expr]:
        attr = "keys"
        source = iterable
        if (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute)
                and iterable.func.attr in ("items", "values", "keys") and not iterable.args):
            attr, source = iterable.func.attr, iterable.func.value
        elements: list[ast.expr] = []
        for c in self.containers(source, depth + 1):
            if isinstance(c, ast.Dict):
                pairs = [(k, v) for k, v in zip(c.keys, c.values, strict=False) if k is not None]
                if attr == "items":
                    elements.extend(ast.Tuple(elts=[k, v], ctx=ast.Load()) for k, v in pairs)
                else:
                    elements.extend(v if attr == "values" else k for k, v in pairs)
            else:
                elements.extend(c.elts)  # type: ignore[attr-defined]
        if isinstance(target, ast.Name):
            return elements
        out: list[ast.expr] = []
        for e in elements:
            picked = _pick(target, e, name)
            if picked is not None:
                out.append(picked)
        return out

    def _arguments(self, function: ast.AST, name: str) -> list[ast.expr]:
        """A parameter's default and what the notebook's calls pass for it."""
        assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        args = function.args
        positional = [*args.posonlyargs, *args.args]
        out: list[ast.expr] = []
        names = [a.arg for a in positional]
        if name in names:
            i = names.index(name)
            first_default = len(positional) - len(args.defaults)
            if i >= first_default:
                out.append(args.defaults[i - first_default])
        else:
            kwonly = [a.arg for a in args.kwonlyargs]
            if name in kwonly:
                d = args.kw_defaults[kwonly.index(name)]
                if d is not None:
                    out.append(d)
            i = -1
        if isinstance(function, ast.Lambda):
            return out
        offset = 1 if names and names[0] in ("self", "cls") else 0
        for call in self.calls_by_name.get(function.name, ()):
            if any(isinstance(a, ast.Starred) for a in call.args):
                continue
            for k in call.keywords:
                if k.arg == name:
                    out.append(k.value)
                    break
            else:
                j = i - offset
                if 0 <= j < len(call.args):
                    out.append(call.args[j])
        return out


def _in_signature(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, node: ast.AST) -> bool:
    args = function.args
    parts: list[ast.AST] = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
    if not isinstance(function, ast.Lambda):
        parts.extend(function.decorator_list)
    return any(node is p for p in parts)


def _pick(target: ast.expr, value: ast.expr, name: str) -> ast.expr | None:
    """The part of ``value`` that a tuple target gives ``name``: ``for key, url in ...``."""
    if isinstance(target, ast.Name):
        return value if target.id == name else None
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
        for t, v in zip(target.elts, value.elts, strict=False):
            found = _pick(t, v, name)
            if found is not None:
                return found
    return None


def values_of(nb: Analysis) -> Values:
    """The :class:`Values` of a notebook, built on first use and shared by NB107 and NB108."""
    return nb.fact(Values)
