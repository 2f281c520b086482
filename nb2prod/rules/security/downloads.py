"""NB605, NB606: downloaded files handled unsafely: an archive extracted without a filter
(path traversal), a pickle-based file deserialised (code execution).

Both rules ask one question of a path: did the notebook fetch it from the network?
:func:`downloads` answers it once per notebook, from what the code shows, never by
running it:

* a URL given to the loader itself (`pd.read_pickle("https://...")`), or a download
  call anywhere in the argument (`pickle.loads(requests.get(url).content)`,
  `tarfile.open(fileobj=urlopen(url))`);
* a name bound to what a download call returns, or to an expression of such a name
  (`path = get_file(...)`, `r = requests.get(url)`, `data = io.BytesIO(r.content)`,
  `root = os.path.join(path, "x")`);
* a file a download call or a shell download wrote: `urlretrieve(url, "m.pkl")`,
  `!wget -O m.pkl URL`, `!wget URL/m.pkl`, `!curl -o m.pkl URL`, and `open("m.pkl", "wb")`
  whose handle is given a downloaded response (`f.write(r.content)`).

A file the notebook writes itself before it reads it (`joblib.dump(model, "m.pkl")`,
`tar.add`, `torch.save`) is not downloaded, whatever else it downloads.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field

from nb2prod import _lazyre
from nb2prod._ast import walk as walk_nodes
from nb2prod.analysis import Analysis, CallFact, dotted_name
from nb2prod.notebook import Cell

__all__ = ["Downloads", "basename", "downloads", "is_downloaded", "keyword_is", "literal_path"]

# Calls whose result is downloaded content or the path of a downloaded file; with the
# (position, keyword) of the file they write, when they write one the caller names.
_DOWNLOADERS: dict[str, tuple[int, str] | None] = {
    "urllib.request.urlretrieve": (1, "filename"),
    "urllib.urlretrieve": (1, "filename"),
    "wget.download": (1, "out"),
    "gdown.download": (1, "output"),
    "torch.hub.download_url_to_file": (1, "dst"),
    "tensorflow.keras.utils.get_file": (0, "fname"),
    "keras.utils.get_file": (0, "fname"),
    "tf_keras.utils.get_file": (0, "fname"),
    "keras.utils.data_utils.get_file": (0, "fname"),
    "huggingface_hub.hf_hub_download": (1, "filename"),
    "pooch.retrieve": (3, "fname"),
    "urllib.request.urlopen": None,
    "urllib.urlopen": None,
    "urllib2.urlopen": None,
    "requests.get": None,
    "requests.request": None,
    "httpx.get": None,
    "fsspec.open": None,
}
# What a notebook calls to write a file it later reads (position of the path).
_WRITERS: dict[str, int] = {
    "pickle.dump": 1, "joblib.dump": 1, "dill.dump": 1, "cloudpickle.dump": 1, "torch.save": 1,
    "numpy.save": 0, "numpy.savez": 0, "numpy.savez_compressed": 0,
}
_URL = _lazyre.compile(r"(?:https?|ftp)://[^\s'\"<>|;)`]+", re.I)
_SHELL_FETCH = _lazyre.compile(r"(?:^|[\s;&|(])(wget|curl)\s")


def basename(path: str) -> str:
    path = path.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return posixpath.basename(path.replace("\\", "/"))


@dataclass
class Downloads:
    names: set[str] = field(default_factory=set)  # names bound to downloaded things
    files: set[str] = field(default_factory=set)  # base names of downloaded files
    written: dict[str, tuple[int, int]] = field(default_factory=dict)  # base name -> first write (cell, line)
    handles: dict[str, ast.expr] = field(default_factory=dict)  # `with open(P) as f`: f -> P
    strings: dict[str, ast.expr] = field(default_factory=dict)  # name -> last value assigned
    calls: dict[int, CallFact] = field(default_factory=dict)  # id(call node) -> fact


def downloads(nb: Analysis) -> Downloads:
    """What the notebook downloads (computed once per notebook)."""
    return nb.fact(_downloads_of)


def _downloads_of(nb: Analysis) -> Downloads:
    d = Downloads()
    d.calls = {id(c.node): c for c in nb.calls}
    for cell in nb.parsed_cells:
        _shell_downloads(cell, d)
        tree = cell.parsed.tree
        assert tree is not None
        for node in nb.nodes_of(cell, ast.Assign):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                d.strings[node.targets[0].id] = node.value
        _walk_statements(tree.body, cell, d)
    for c in nb.calls:
        where = _DOWNLOADERS.get(c.qualname or "")
        if where is not None:
            target = _arg(c, *where)
            name = literal_path(target, d) if target is not None else None
            if name:
                d.files.add(basename(name))
        pos = _WRITERS.get(c.qualname or "")
        if pos is not None:
            target = _arg(c, pos, "file" if pos else "f")
            if target is not None:
                _note_written(target, c.cell, c.node.lineno + c.offset, d)
    return d


def _walk_statements(body: list[ast.stmt], cell: Cell, d: Downloads) -> None:
    """Bindings of downloaded things, in order (a name bound from a downloaded one is too)."""
    for stmt in body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if _tainted(stmt.value, d):
                for t in targets:
                    d.names.update(n.id for n in walk_nodes(t) if isinstance(n, ast.Name))
            for t in targets:
                if isinstance(t, ast.Name) and _is_open(stmt.value, d):
                    d.handles[t.id] = stmt.value.args[0] if stmt.value.args else stmt.value  # type: ignore[attr-defined]
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                var = item.optional_vars
                if isinstance(var, ast.Name):
                    if _tainted(item.context_expr, d):
                        d.names.add(var.id)
                    if _is_open(item.context_expr, d):
                        call = item.context_expr
                        assert isinstance(call, ast.Call)
                        if call.args:
                            d.handles[var.id] = call.args[0]
                            if _writes_binary(call) and _body_writes_download(stmt.body, var.id, d):
                                name = literal_path(call.args[0], d)
                                if name:
                                    d.files.add(basename(name))
            _walk_statements(stmt.body, cell, d)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            # open("m.pkl", "wb").write(requests.get(url).content)
            call = stmt.value
            func = call.func
            if (isinstance(func, ast.Attribute) and func.attr == "write" and _is_open(func.value, d)
                    and any(_tainted(a, d) for a in call.args)):
                opened = func.value
                assert isinstance(opened, ast.Call)
                name = literal_path(opened.args[0], d) if opened.args else None
                if name:
                    d.files.add(basename(name))
        elif isinstance(stmt, (ast.For, ast.While, ast.If, ast.Try, ast.FunctionDef, ast.AsyncFunctionDef)):
            for block in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, block, None)
                if inner:
                    _walk_statements(inner, cell, d)
            for handler in getattr(stmt, "handlers", ()):
                _walk_statements(handler.body, cell, d)


def _body_writes_download(body: list[ast.stmt], handle: str, d: Downloads) -> bool:
    for node in walk_nodes(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "write" and dotted_name(func.value) == handle:
                if any(_tainted(a, d) for a in node.args):
                    return True
            if dotted_name(func) in ("shutil.copyfileobj",) and any(_tainted(a, d) for a in node.args[:1]):
                return True
    return False


def _is_open(node: ast.expr, d: Downloads) -> bool:
    """``open(...)``, ``io.open(...)``, ``gzip.open``/``bz2.open``/``lzma.open`` (a pickle is
    often compressed)."""
    if not isinstance(node, ast.Call):
        return False
    return dotted_name(node.func) == "open" or _qual(node, d) in _OPENERS


_OPENERS = frozenset({"io.open", "gzip.open", "bz2.open", "lzma.open", "builtins.open"})


def _writes_binary(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "w" in mode.value


def _qual(node: ast.Call, d: Downloads) -> str | None:
    fact = d.calls.get(id(node))
    return fact.qualname if fact is not None else None


def _tainted(node: ast.AST, d: Downloads) -> bool:
    """Does the expression hold downloaded content: a download call, a downloaded name?"""
    for sub in walk_nodes(node):
        if isinstance(sub, ast.Call) and (_qual(sub, d) or "") in _DOWNLOADERS:
            return True
        if isinstance(sub, ast.Name) and sub.id in d.names:
            return True
    return False


def _arg(call: CallFact, position: int, keyword: str) -> ast.expr | None:
    if keyword in call.keywords:
        return call.keywords[keyword]
    args = call.node.args
    if position < len(args) and not any(isinstance(a, ast.Starred) for a in args[: position + 1]):
        return args[position]
    return None


def literal_path(node: ast.expr, d: Downloads, depth: int = 0) -> str | None:
    """The path an expression names, as far as literals tell (its last literal part)."""
    if depth > 6:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        tail = node.values[-1] if node.values else None
        return tail.value if isinstance(tail, ast.Constant) and isinstance(tail.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
        return literal_path(node.right, d, depth + 1)
    if isinstance(node, ast.Call) and node.args:
        name = dotted_name(node.func) or ""
        if name.endswith(("path.join", "Path", "joinpath")):
            return literal_path(node.args[-1], d, depth + 1)
    if isinstance(node, ast.Name) and node.id in d.strings:
        return literal_path(d.strings[node.id], d, depth + 1)
    return None


def _note_written(node: ast.expr, cell: Cell, line: int, d: Downloads) -> None:
    if isinstance(node, ast.Call) and _is_open(node, d) and node.args:
        node = node.args[0]
    elif isinstance(node, ast.Name) and node.id in d.handles:
        node = d.handles[node.id]
    name = literal_path(node, d)
    if name:
        d.written.setdefault(basename(name), (cell.index, line))


def _shell_downloads(cell: Cell, d: Downloads) -> None:
    """``!wget URL``, ``!wget -O name URL``, ``!curl -o name URL``, ``!curl -O URL``."""
    for m in cell.parsed.magics:
        if m.kind not in ("shell", "shell_capture") or not _SHELL_FETCH.search(" " + m.args):
            continue
        try:
            import shlex  # only here: not imported by every lint
            words = shlex.split(m.args, comments=True)
        except ValueError:
            words = m.args.split()
        named = False
        for i, w in enumerate(words):
            if w in ("-O", "-o", "--output", "--output-document") and i + 1 < len(words):
                if not (w == "-O" and words[0] == "curl"):
                    d.files.add(basename(words[i + 1]))
                    named = True
            elif w.startswith(("--output-document=", "--output=")):
                d.files.add(basename(w.partition("=")[2]))
                named = True
        if not named:
            for url in _URL.findall(m.args):
                if basename(url):
                    d.files.add(basename(url))


def is_downloaded(node: ast.expr, call: CallFact, d: Downloads) -> str | None:
    """What makes ``node`` (a loader's path or file argument) downloaded, as a phrase for
    the message, or None when it is not known to be."""
    if _tainted(node, d):
        return "downloaded content"
    target = node
    if isinstance(target, ast.Call) and _is_open(target, d) and target.args:
        target = target.args[0]
    elif isinstance(target, ast.Name) and target.id in d.handles:
        target = d.handles[target.id]
        if _tainted(target, d):
            return "a downloaded file"
    text = literal_path(target, d)
    if text is None:
        return None
    if _URL.match(text):
        return f"`{_short(text)}`"
    base = basename(text)
    if not base or base not in d.files:
        return None
    written = d.written.get(base)
    if written is not None and written < (call.cell.index, call.node.lineno + call.offset):
        return None  # the notebook wrote it itself
    return f"the downloaded file `{_short(base)}`"


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:40] + "..." + text[-17:]


def keyword_is(call: CallFact, name: str, value: object) -> bool:
    node = call.keywords.get(name)
    return isinstance(node, ast.Constant) and node.value is value

