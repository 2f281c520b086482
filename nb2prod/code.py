"""Parse a code cell the way IPython would run it.

Valid Python is parsed as is (exact lines and columns). Anything else is first rewritten
as IPython rewrites it before running it (:mod:`nb2prod.ipysyntax`, which gives the code of
IPython's ``TransformerManager`` without importing IPython), so ``%matplotlib inline``,
``!pip install x`` and ``files = !ls`` become ordinary calls
(``get_ipython().run_line_magic(...)``) instead of syntax errors; those calls are collected
as :class:`Magic` facts that rules can read.

Cell magics whose body is Python (``%%time``, ``%%capture`` ...) have their body parsed
with its real line numbers; other cell magics (``%%bash``, ``%%html`` ...) have no Python.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from dataclasses import dataclass, field
from functools import cached_property

from nb2prod._ast import iter_nodes

__all__ = [
    "Magic",
    "ParsedCode",
    "SyntaxProblem",
    "parse_code",
    "is_synthetic",
    "PYTHON_BODY_CELL_MAGICS",
    "SHELL_SCRIPT_CELL_MAGICS",
]

# Cell magics whose body is ordinary Python code run in the user namespace.
PYTHON_BODY_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "skip_if", "ipytest", "python3_cell"}
)
# Cell magics whose body is a shell script (where `pip install` and `wget` are looked for).
SHELL_SCRIPT_CELL_MAGICS = frozenset({"bash", "sh", "script", "system"})


@dataclass(frozen=True)
class Magic:
    """An IPython construct in a cell.

    kind: ``line`` (``%name args``), ``cell`` (``%%name args``), ``shell`` (``!cmd``),
    ``shell_capture`` (``x = !cmd``), ``help`` (``obj?``).
    """

    kind: str
    name: str
    args: str
    line: int
    column: int


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int
    column: int


@dataclass
class ParsedCode:
    tree: ast.Module | None
    magics: list[Magic] = field(default_factory=list)
    syntax_error: SyntaxProblem | None = None
    cell_magic: Magic | None = None
    # 1 when the tree's line 1 is the cell's line 2 (body of a %%magic); add to lines.
    line_offset: int = 0
    # The Python text that ``tree`` was parsed from (after transforms), if any.
    code: str = ""
    # Names a non-Python cell magic defines in the user namespace (``%%cython``'s functions).
    foreign_names: tuple[str, ...] = ()

    @cached_property
    def name_body(self) -> list[ast.stmt]:
        """The statements every *name* analysis reads (pyflakes' undefined names and unused
        imports, the cell-order definitions): the tree's, plus what IPython magics and
        dynamic code read and bind, which the tree alone hides. See :func:`_name_body`."""
        return _name_body(self)


def _transform(source: str) -> str:
    # Imported when a cell first needs it (with textwrap: ~2 ms most lints do not spend).
    from nb2prod.ipysyntax import transform_cell

    return transform_cell(source)


def _parse(code: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our business
        try:
            tree = ast.parse(code)
        except (RecursionError, MemoryError):
            # CPython's parser gives up on pathologically nested code; so do we.
            raise SyntaxError("too deeply nested to parse") from None
    _guard_huge_ints(tree, code)
    return tree


class HugeInt(int):
    """An integer constant too long for Python to write in decimal (more digits than
    ``sys.get_int_max_str_digits()``; a decimal literal that long is a SyntaxError, a hex,
    octal or binary one is not). ``str``, ``repr`` and ``format`` give its hex literal,
    so a rule that quotes it (a message, ``ast.unparse``) cannot fail on it."""

    def __repr__(self) -> str:
        return hex(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # Power-of-two bases have no length limit; any other format shows the hex literal.
        return int.__format__(self, spec) if spec[-1:] in ("x", "X", "o", "b") else hex(self)


def _guard_huge_ints(tree: ast.Module, code: str) -> None:
    """Wrap integer constants that ``str()`` would refuse in :class:`HugeInt`.

    Such a literal has at least ``0.83 * limit`` hex digits in a row (4 bits a digit), so
    cells without a run that long are not walked."""
    limit = sys.get_int_max_str_digits()
    if not limit or len(code) < limit * 0.8:
        return
    if re.search(f"[0-9A-Fa-f_]{{{int(limit * 0.8)},}}", code) is None:
        return
    for node in iter_nodes(tree):
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value.bit_length() > limit * 3:
            try:
                str(node.value)
            except ValueError:
                node.value = HugeInt(node.value)


def parse_code(source: str) -> ParsedCode:
    """Parse one cell's source. Never raises."""
    stripped = source.lstrip()
    if stripped.startswith("%%"):
        return _parse_cell_magic(source)
    try:
        tree = _parse(source)
    except (SyntaxError, ValueError):
        pass
    else:
        return ParsedCode(tree=tree, code=source)
    quick = _quick_transform(source)
    if quick is not None:
        try:
            tree = _parse(quick)
        except (SyntaxError, ValueError):
            pass
        else:
            return ParsedCode(tree=tree, magics=_collect_magics(tree), code=quick)
    try:
        code = _transform(source)
    except Exception:  # transform_cell never raises; kept as the last guard of "never raises"
        code = source
    try:
        tree = _parse(code)
    except (SyntaxError, ValueError) as exc:
        return ParsedCode(tree=None, syntax_error=_problem(exc, source), code="")
    return ParsedCode(tree=tree, magics=_collect_magics(tree), code=code)


# `%name args`, `!cmd`, `x = %name args`, `x = !cmd` on a line of their own.
_SIMPLE = re.compile(r"^([ \t]*)(?:([A-Za-z_][\w.]*[ \t]*=[ \t]*))?(?:%([A-Za-z_]\w*)(.*)|!(.*))$")


def _quick_transform(source: str) -> str | None:
    """The common case of IPython syntax, rewritten as IPython would, without the (slower,
    tokenizer-based) :func:`nb2prod.ipysyntax.transform_cell`: whole lines that are a line
    magic or a shell command. Returns None when the cell has anything else; the caller then
    uses ``transform_cell``, which stays the authority.
    """
    lines = source.split("\n")
    changed = False
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if not stripped or stripped[0] not in "%!" and "%" not in line and "!" not in line:
            continue
        m = _SIMPLE.match(line)
        if m is None:
            if stripped[0] in "%!":
                return None
            continue
        indent, target, name, args, shell = m.groups()
        if (args or shell or "").rstrip().endswith("\\") or stripped.startswith("%%"):
            return None
        if name is not None:
            call = f"get_ipython().run_line_magic({name!r}, {args.strip()!r})"
        elif target:
            call = f"get_ipython().getoutput({shell.strip()!r})"
        else:
            call = f"get_ipython().system({shell.strip()!r})"
        lines[i] = f"{indent}{target or ''}{call}"
        changed = True
    return "\n".join(lines) if changed else None


def _problem(exc: Exception, source: str, offset: int = 0) -> SyntaxProblem:
    if isinstance(exc, SyntaxError):
        line = (exc.lineno or 1) + offset
        col = exc.offset or 1
        msg = exc.msg or "invalid syntax"
    else:  # ValueError: source contains null bytes
        line, col, msg = 1, 1, str(exc)
    n_lines = max(1, len(source.splitlines()))
    return SyntaxProblem(message=msg, line=min(max(line, 1), n_lines), column=max(col, 1))


def _parse_cell_magic(source: str) -> ParsedCode:
    lines = source.splitlines(keepends=True)
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    header = lines[first].strip()[2:] if first < len(lines) else ""
    name, _, args = header.partition(" ")
    magic = Magic("cell", name, args.strip(), first + 1, lines[first].find("%%") + 1 if first < len(lines) else 1)
    offset = first + 1
    body = "".join(lines[offset:])
    if name not in PYTHON_BODY_CELL_MAGICS:
        return ParsedCode(tree=None, magics=[magic], cell_magic=magic, line_offset=offset, code="",
                          foreign_names=_foreign_names(name, body))
    inner = parse_code(body)
    if inner.syntax_error is not None:
        err = inner.syntax_error
        inner.syntax_error = SyntaxProblem(err.message, err.line + offset, err.column)
    shifted = [Magic(m.kind, m.name, m.args, m.line + offset, m.column) for m in inner.magics]
    return ParsedCode(
        tree=inner.tree,
        magics=[magic, *shifted],
        syntax_error=inner.syntax_error,
        cell_magic=magic,
        line_offset=offset,
        code=inner.code,
    )


def _is_get_ipython_attr(func: ast.expr) -> str | None:
    """``get_ipython().NAME`` -> NAME."""
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "get_ipython"
    ):
        return func.attr
    return None


def _const(args: list[ast.expr], i: int) -> str:
    arg = args[i] if len(args) > i else None
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return ""


def _collect_magics(tree: ast.Module) -> list[Magic]:
    magics: list[Magic] = []
    for node in iter_nodes(tree):
        if not isinstance(node, ast.Call):
            continue
        attr = _is_get_ipython_attr(node.func)
        if attr is None:
            continue
        line, col = node.lineno, node.col_offset + 1
        if attr == "run_line_magic":
            name = _const(node.args, 0)
            kind = "help" if name in {"pinfo", "pinfo2", "psearch"} else "line"
            magics.append(Magic(kind, name, _const(node.args, 1), line, col))
        elif attr == "run_cell_magic":
            magics.append(Magic("cell", _const(node.args, 0), _const(node.args, 1), line, col))
        elif attr == "system":
            magics.append(Magic("shell", "!", _const(node.args, 0), line, col))
        elif attr == "getoutput":
            magics.append(Magic("shell_capture", "!", _const(node.args, 0), line, col))
    magics.sort(key=lambda m: (m.line, m.column))
    return magics


# -- what magics and dynamic code bind: the statements of the name analyses ----------------
#
# pyflakes and the cell-order analysis read Python statements. IPython turns `%time X = f()`
# into `get_ipython().run_line_magic('time', 'X = f()')`: a string, so `X` looks unbound
# and the names `f()` reads look unused. `ParsedCode.name_body` gives them the statements
# that really run: the Python argument of such magics, parsed at the magic's place, and a
# *synthetic* statement for every name a magic or dynamic code binds (`x = None`, after
# the statement that binds it), or, when the names cannot be known (`%run`, `exec`,
# `globals()[k] = v`), a synthetic star import, after which pyflakes (as for any `from m
# import *`) no longer calls a name undefined. Synthetic statements are marked: nothing is
# ever reported on them (see :func:`is_synthetic`).

_SYNTHETIC = "_nb2prod_synthetic"
_DYNAMIC_MODULE = "__nb2prod_dynamic__"

# Line magics whose argument is a Python statement run in the user namespace, with the
# options that take a value (`%timeit -n 100 f(x)`, `%prun -s cumtime f()`).
_PYTHON_ARG_LINE_MAGICS: dict[str, str] = {
    "time": "", "timeit": "nrp", "prun": "DlsT", "debug": "b", "memit": "rti",
    "mprun": "fT", "lprun": "fDTu", "snakeviz": "t",
}
# ... of which these options name a function the statement profiles (a read).
_FUNCTION_OPTIONS = {"mprun": "f", "lprun": "f"}
# Line magics after which any name may exist (they run or restore code nobody sees here).
_DYNAMIC_LINE_MAGICS = frozenset({"run", "load", "loadpy", "pylab", "recall", "rerun"})
# Extensions known to define no names in the user namespace (their magics, which may,
# are understood here). Any other `%load_ext` may define names.
_QUIET_EXTENSIONS = frozenset({
    "autoreload", "watermark", "line_profiler", "memory_profiler", "snakeviz", "tensorboard",
    "lab_black", "nb_black", "jupyter_black", "blackcellmagic", "autotime", "dotenv", "heat",
    "rpy2.ipython", "sql", "google.cloud.bigquery", "bigquery_magics", "cython", "Cython",
    "pycodestyle_magic", "pyinstrument", "ipython_memory_usage", "itables", "ipytest",
    "google.colab.data_table", "jupyter_ai", "jupyter_ai_magics", "nbqa", "wurlitzer",
})
# Cell magics whose body is a script of another program: `--out NAME`, `--err NAME` and
# `--proc NAME` bind its output (IPython's script magics).
_SCRIPT_CELL_MAGICS = frozenset({"bash", "sh", "script", "python", "python2", "python3", "pypy", "perl",
                                  "ruby", "cmd", "powershell", "pwsh"})
_SQL_TARGET = re.compile(r"^\s*([A-Za-z_]\w*)\s*<<")
_DYNAMIC_TEXT = re.compile(r"get_ipython|\bexec\b|\bexecfile\b|\bglobals\b|\blocals\b|\bvars\b|\bglobal\b")
_NO_SCOPE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def is_synthetic(stmt: ast.AST) -> bool:
    """Whether ``stmt`` is a statement of :attr:`ParsedCode.name_body` that stands for what
    a magic or dynamic code binds (no code of the cell: never report on it)."""
    return getattr(stmt, _SYNTHETIC, False)


def _mark(stmt: ast.stmt, line: int, col: int) -> ast.stmt:
    stmt.lineno, stmt.col_offset, stmt.end_lineno, stmt.end_col_offset = line, col, line, col
    ast.fix_missing_locations(stmt)
    setattr(stmt, _SYNTHETIC, True)
    return stmt


def _bind(name: str, line: int, col: int = 0) -> ast.stmt:
    return _mark(ast.Assign(targets=[ast.Name(name, ast.Store())], value=ast.Constant(None)), line, col)


def _any_name(line: int, col: int = 0) -> ast.stmt:
    return _mark(ast.ImportFrom(module=_DYNAMIC_MODULE, names=[ast.alias("*")], level=0), line, col)


def _read(expr: str, line: int, col: int) -> list[ast.stmt]:
    return [s for s in _parse_at(expr, line, col) if isinstance(s, ast.Expr)]


def _parse_at(code: str, line: int, col: int) -> list[ast.stmt]:
    """The statements of ``code`` as if written at (tree) ``line``, column ``col``; [] when
    it is not Python."""
    if not code.strip():
        return []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    for node in iter_nodes(tree):
        if "lineno" in node._attributes:
            if node.lineno == 1:  # type: ignore[attr-defined]
                node.col_offset += col  # type: ignore[attr-defined]
                if getattr(node, "end_lineno", None) == 1:
                    node.end_col_offset += col  # type: ignore[attr-defined]
            node.lineno += line - 1  # type: ignore[attr-defined]
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += line - 1  # type: ignore[attr-defined]
    return tree.body


def _split_options(args: str, with_value: str) -> tuple[str, dict[str, list[str]]]:
    """``-n 10 -r3 -o f(x)`` -> (``f(x)``, {"n": ["10"], "r": ["3"], "o": []}): the
    leading single-letter options of a line magic, the way IPython's ``parse_options``
    reads them, and the rest of the line."""
    options: dict[str, list[str]] = {}
    rest = args.lstrip()
    while rest.startswith("-") and len(rest) > 1 and rest[1].isalpha():
        token, _, tail = rest.partition(" ")
        letters = token[1:]
        for i, letter in enumerate(letters):
            if letter in with_value:
                value = letters[i + 1:]
                if not value:
                    value, _, tail = tail.lstrip().partition(" ")
                options.setdefault(letter, []).append(value)
                break
            options.setdefault(letter, [])
        rest = tail.lstrip()
    return rest, options


def _long_options(args: str, names: frozenset[str]) -> list[str]:
    """The values of ``--out NAME`` / ``--out=NAME`` style options among ``args``."""
    tokens = args.split()
    found = []
    for i, tok in enumerate(tokens):
        key, eq, value = tok.partition("=")
        if key in names:
            value = value if eq else (tokens[i + 1] if i + 1 < len(tokens) else "")
            found.append(value)
    return found


def _identifiers(values: list[str]) -> list[str]:
    return [n.strip() for v in values for n in v.split(",") if n.strip().isidentifier()]


# `{expr}` and `$name` in a shell command or a line magic's arguments: IPython puts in their
# values (and leaves the text as is when they fail: `$HOME` stays for the shell).
_EXPANSION = re.compile(r"(?<![{$])\{([^{}]+)\}(?!\})|(?<!\$)\$([A-Za-z_]\w*)")


def _expanded_reads(text: str, line: int, col: int) -> list[ast.stmt]:
    """What ``{expr}`` and ``$name`` in ``text`` read: synthetic statements, so that they
    mark names used (`!{sys.executable} -m pip ...` uses `sys`) but a name that is not
    defined is never reported (IPython then leaves the text alone)."""
    if "{" not in text and "$" not in text:
        return []
    reads: list[ast.stmt] = []
    for m in _EXPANSION.finditer(text):
        for stmt in _read(m.group(1) or m.group(2), line, col):
            reads.append(_mark(stmt, line, col))
    return reads


def _line_magic(name: str, args: str, line: int, col: int) -> list[ast.stmt]:
    """The statements a line magic runs or binds, at (tree) ``line``."""
    if name not in _PYTHON_ARG_LINE_MAGICS:
        return [*_expanded_reads(args, line, col), *_line_magic_bindings(name, args, line, col)]
    rest, options = _split_options(args, _PYTHON_ARG_LINE_MAGICS[name])
    at = col + len(name) + 2 + len(args) - len(rest)
    stmts = _parse_at(rest, line, at)
    for letter in _FUNCTION_OPTIONS.get(name, ""):
        for func in options.get(letter, []):
            stmts.extend(_read(func, line, col))
    return stmts


def _line_magic_bindings(name: str, args: str, line: int, col: int) -> list[ast.stmt]:
    words = args.split()
    if name in _DYNAMIC_LINE_MAGICS:
        return [_any_name(line, col)]
    if name in {"load_ext", "reload_ext"}:
        return [] if all(w in _QUIET_EXTENSIONS for w in words) else [_any_name(line, col)]
    if name == "store" and "-r" in words:
        names = [w for w in words if not w.startswith("-")]
        return [_bind(n, line, col) for n in names if n.isidentifier()] if names else [_any_name(line, col)]
    if name == "macro":
        names = [w for w in words if not w.startswith("-")]
        return [_bind(names[0], line, col)] if names and names[0].isidentifier() else []
    if name == "R":
        return [_bind(n, line, col) for n in _identifiers(_long_options(args, frozenset({"-o", "--output"})))]
    if name == "Rpull":
        return [_bind(w, line, col) for w in words if w.isidentifier()]
    if name == "sql":
        m = _SQL_TARGET.match(_split_options(args, "")[0])
        return [_bind(m.group(1), line, col)] if m else []
    return []


def _cell_magic_names(name: str, args: str, body: str) -> tuple[str, list[str]]:
    """(setup code run before the body, names bound after it) of a cell magic."""
    if name == "capture":
        names = [w for w in args.split() if not w.startswith("-")]
        return "", names[-1:] if names and names[-1].isidentifier() else []
    if name == "timeit":
        return _split_options(args, _PYTHON_ARG_LINE_MAGICS["timeit"])[0], []
    if name == "R":
        return "", _identifiers(_long_options(args, frozenset({"-o", "--output"})))
    if name in _SCRIPT_CELL_MAGICS:
        return "", _identifiers(_long_options(args, frozenset({"--out", "--err", "--proc"})))
    if name == "sql":
        m = _SQL_TARGET.match(args)
        return "", [m.group(1)] if m else []
    if name == "bigquery":
        tokens, i = args.split(), 0
        flags = {"--use_legacy_sql", "--use_bqstorage_api", "--use_rest_api", "--verbose", "--dry_run",
                 "--no_query_cache", "--quiet"}
        while i < len(tokens):
            tok = tokens[i]
            if tok.startswith("-"):
                i += 1 if tok in flags or "=" in tok else 2
                continue
            return "", [tok] if tok.isidentifier() else []
        return "", []
    return "", list(_foreign_names(name, body))


# `def f(`, `cpdef double f(`, `class C`, `cdef class C` at the top of a %%cython cell
# (a `cdef` function is C-only: Python never sees it).
_CYTHON_NAME = re.compile(r"^(?:c?p?def\s+(?:[\w\[\].* ]+\s+)?|(?:cdef\s+)?class\s+)([A-Za-z_]\w*)\s*[(:]", re.M)


def _foreign_names(name: str, body: str) -> tuple[str, ...]:
    """Functions and classes a ``%%cython`` cell defines for Python."""
    if name not in {"cython", "cython_pyximport"}:
        return ()
    return tuple(
        m.group(1) for m in _CYTHON_NAME.finditer(body)
        if not (m.group(0).startswith("cdef ") and m.group(0).split()[1] != "class")
    )


def _ipython_call(node: ast.Call) -> tuple[str, list[str]] | None:
    attr = _is_get_ipython_attr(node.func)
    if attr not in ("run_line_magic", "run_cell_magic"):
        return None
    return attr, [_const(node.args, i) for i in range(3)]


def _is_namespace_call(node: ast.expr) -> bool:
    """``globals()``, ``vars()``, ``locals()`` (the module namespace, at module level)."""
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id in ("globals", "vars", "locals") and not node.args
    )


def _writes_namespace(node: ast.AST) -> bool:
    """``exec(...)``, ``globals()[k] = v``, ``globals().update(...)``: names appear that no
    statement shows."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("exec", "execfile"):
            return True
        return (
            isinstance(func, ast.Attribute) and func.attr in ("update", "setdefault", "__setitem__")
            and _is_namespace_call(func.value)
        )
    return isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and _is_namespace_call(node.value)


def _after(stmt: ast.stmt, in_scope: bool) -> list[ast.stmt]:
    """What the top-level ``stmt`` runs or binds beyond its own statements."""
    extra: list[ast.stmt] = []
    dynamic = False
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global):
            extra.extend(_bind(n, node.lineno, node.col_offset) for n in node.names)
        elif _writes_namespace(node):
            dynamic = True
        elif in_scope and isinstance(node, ast.Call):
            attr = _is_get_ipython_attr(node.func)
            if attr in ("system", "getoutput"):
                extra.extend(_expanded_reads(_const(node.args, 0), node.lineno, node.col_offset))
            found = _ipython_call(node)
            if found is not None:
                attr, (name, args, body) = found
                line, col = node.lineno, node.col_offset
                if attr == "run_line_magic":
                    extra.extend(_line_magic(name, args, line, col))
                else:
                    setup, names = _cell_magic_names(name, args, body)
                    extra.extend(_parse_at(setup, line, col))
                    if name in PYTHON_BODY_CELL_MAGICS:
                        extra.extend(_parse_at(body, line, col))
                    extra.extend(_bind(n, line, col) for n in names)
        # Magics inside a function run in its scope: their statements do not belong at
        # module level (a `global` or an `exec` there still reaches the module).
        scoped = in_scope and not isinstance(node, _NO_SCOPE)
        for child in ast.iter_child_nodes(node):
            if scoped:
                stack.append(child)
            else:
                stack.extend(_unscoped(child))
    if dynamic:
        extra.append(_any_name(stmt.end_lineno or stmt.lineno, 0))
    return extra


def _unscoped(node: ast.AST) -> list[ast.AST]:
    # Below a function, only `global` and namespace writes matter: a plain walk finds them.
    return [n for n in ast.walk(node) if isinstance(n, ast.Global) or _writes_namespace(n)]


def _name_body(parsed: ParsedCode) -> list[ast.stmt]:
    tree = parsed.tree
    body: list[ast.stmt] = list(tree.body) if tree is not None else []
    if tree is not None and (parsed.magics or _DYNAMIC_TEXT.search(parsed.code)):
        body = []
        for stmt in tree.body:
            body.append(stmt)
            body.extend(_after(stmt, in_scope=True))
    cm = parsed.cell_magic
    if cm is None:
        return body
    # The %%magic line is tree line (its cell line - line_offset); its bindings come after
    # the body, its setup code before.
    line = cm.line - parsed.line_offset
    end = max((s.end_lineno or s.lineno for s in body), default=line)
    setup, names = _cell_magic_names(cm.name, cm.args, "")
    names = [*names, *parsed.foreign_names]
    before = _parse_at(setup, line, cm.column + len(cm.name) + 2)
    return [*before, *body, *(_bind(n, end, 0) for n in names)]
