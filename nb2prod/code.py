"""Parse a code cell the way IPython would run it.

Valid Python is parsed as is (exact lines and columns). Anything else goes through
IPython's ``TransformerManager`` first, so ``%matplotlib inline``, ``!pip install x`` and
``files = !ls`` become ordinary calls (``get_ipython().run_line_magic(...)``) instead of
syntax errors; those calls are collected as :class:`Magic` facts that rules can read.

Cell magics whose body is Python (``%%time``, ``%%capture`` ...) have their body parsed
with its real line numbers; other cell magics (``%%bash``, ``%%html`` ...) have no Python.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from dataclasses import dataclass, field

from nb2prod._ast import iter_nodes

__all__ = ["Magic", "ParsedCode", "SyntaxProblem", "parse_code", "PYTHON_BODY_CELL_MAGICS", "SHELL_SCRIPT_CELL_MAGICS"]

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


_transformer = None


def _transform(source: str) -> str:
    global _transformer
    if _transformer is None:
        from IPython.core.inputtransformer2 import TransformerManager

        _transformer = TransformerManager()
    return _transformer.transform_cell(source)


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
    except Exception:  # IPython's transformer can fail on pathological input
        code = source
    try:
        tree = _parse(code)
    except (SyntaxError, ValueError) as exc:
        return ParsedCode(tree=None, syntax_error=_problem(exc, source), code="")
    return ParsedCode(tree=tree, magics=_collect_magics(tree), code=code)


# `%name args`, `!cmd`, `x = %name args`, `x = !cmd` on a line of their own.
_SIMPLE = re.compile(r"^([ \t]*)(?:([A-Za-z_][\w.]*[ \t]*=[ \t]*))?(?:%([A-Za-z_]\w*)(.*)|!(.*))$")


def _quick_transform(source: str) -> str | None:
    """The common case of IPython syntax, rewritten as IPython would, without its
    (slow, tokenizer-based) transformer: whole lines that are a line magic or a shell
    command. Returns None when the cell has anything else; the caller then uses
    IPython's own transformer, which stays the authority.
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
        return ParsedCode(tree=None, magics=[magic], cell_magic=magic, line_offset=offset, code="")
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
