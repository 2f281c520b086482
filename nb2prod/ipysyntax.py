"""IPython's input syntax turned into Python, without importing IPython.

:func:`transform_cell` gives the code IPython runs for a cell: the text that
``IPython.core.inputtransformer2.TransformerManager().transform_cell`` returns (IPython 9),
written here so that the linter does not import IPython (about fifteen packages, and a
tenth of a second of every start). The steps, in IPython's order:

1. cleanup: leading blank lines dropped, the common indentation removed, pasted prompts
   removed (``>>>`` / ``...`` doctest prompts outside triple-quoted strings, and
   ``In [3]:`` / ``...:`` IPython prompts);
2. ``%%name args`` on the first line: the whole cell becomes one
   ``get_ipython().run_cell_magic(name, args, body)`` line;
3. one construct at a time, the earliest in the cell first, the cell tokenized again after
   each (what follows IPython syntax may not tokenize as Python until it is rewritten):

   - ``x = %name args`` and ``x = !cmd`` (the first ``=`` outside brackets of a logical
     line): ``x = get_ipython().run_line_magic(...)`` / ``.getoutput(...)``;
   - a logical line starting with ``%``, ``!``, ``!!``, ``?``, ``??``, or an autocall
     escape ``,`` ``;`` ``/``: ``run_line_magic``, ``system``, ``getoutput``, help
     (``pinfo``), ``f("a", "b")``, ``f("a b")``, ``f(a, b)``;
   - a logical line whose last token is ``?``: help on the name before it (``obj?``,
     ``obj.attr??``, ``%magic?``); this comes before an escape at the same place.

   A line continued with a backslash is one command (its pieces joined by spaces).

Where IPython raises (a tokenizer's IndentationError, an assertion, more than 499 rewrites
in a cell), :func:`transform_cell` returns the cell unchanged: the caller then reports the
syntax error of the cell itself.
"""

from __future__ import annotations

import sys
import textwrap
import tokenize
from collections.abc import Callable
from tokenize import TokenInfo

from nb2prod import _lazyre

__all__ = ["transform_cell"]

# Python 3.12's tokenizer (the C one) reads `!` as an operator; before, it was an error token.
_BANG_IS_OP = sys.version_info >= (3, 12)

# IPython gives up on a cell after this many rewrites (a guard against looping).
_MAX_REWRITES = 500

# Messages of the tokenizer's errors after which IPython adds an empty error token to the
# tokens read so far (Python 3.12+ only: older tokenizers have no such messages).
_NOTED_ERRORS = (
    "unterminated string literal", "invalid non-printable character", "after line continuation character",
    "invalid decimal literal", "invalid binary literal", "invalid octal literal", "invalid hexadecimal literal",
    "in binary literal", "in octal literal", "expected EOF",
)

_SKIPPED = frozenset({tokenize.INDENT, tokenize.DEDENT})
_ESCAPES = frozenset("!?%,;/")
_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")

_DOCTEST_PS1 = _lazyre.compile(r"^\s*>>>[ \t]?")
_DOCTEST_PS2 = _lazyre.compile(r"^\s*\.\.\.[ \t]?")
_DOCTEST_START = _lazyre.compile(r"^\s*>>>")
_TRIPLE_QUOTE = _lazyre.compile(r"(?<!\\)(\"\"\"|''')")
_STRING_PREFIX = _lazyre.compile(r"(?i)^[rubf]*$")
# `In [12]: ` (after an optional vi-mode `[nav] ` / `[ins] `), or `...: ` with any indent.
_IPYTHON_PROMPT = _lazyre.compile(r"^(?:(?:(?:\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}: ?)")
_CELL_MAGIC_HELP = _lazyre.compile(r"%%\w+\?")
# What `?` / `??` at the end of a line asks about: `name`, `%magic`, `a.b[0].c`, `np.*load*`.
_HELP_TARGET = _lazyre.compile(r"(%{0,2}(?!\d)[\w*]+(?:\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")


class _Refused(Exception):
    """IPython would raise here: the cell is left as it is."""


class _NotThis(Exception):
    """This rewrite does not apply after all; IPython tries the next one found."""


def transform_cell(source: str) -> str:
    """The Python code IPython runs for the cell ``source``. Never raises."""
    try:
        return _transform_cell(source)
    except Exception:  # _Refused, or the tokenizer's IndentationError (a dedent to no outer level), TabError
        return source


def _transform_cell(source: str) -> str:
    cell = source if source.endswith("\n") else source + "\n"
    lines = cell.splitlines(keepends=True)
    lines = _without_leading_blank_lines(lines)
    lines = textwrap.dedent("".join(lines)).splitlines(keepends=True)
    lines = _without_doctest_prompts(lines)
    lines = _without_ipython_prompts(lines)
    lines = _cell_magic(lines)
    for _ in range(_MAX_REWRITES):
        rewritten = _rewrite_first(lines)
        if rewritten is None:
            return "".join(lines)
        lines = rewritten
    raise _Refused("still rewriting after the limit")


# -- cleanup ----------------------------------------------------------------------------------


def _without_leading_blank_lines(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if not line.isspace():
            return lines[i:]
    return lines  # nothing but blank lines: kept


def _in_strings(lines: list[str]) -> list[bool]:
    """For each line, whether it is (heuristically) inside a triple-quoted string that a
    prompt removal must leave alone: the string opens after nothing but a string prefix
    (with or without a prompt, but not after a prompt once prompts have been seen)."""
    inside: list[bool] = []
    quote: str | None = None
    keep = False
    prompts_seen = False
    for line in lines:
        inside.append(quote is not None and keep)
        for m in _TRIPLE_QUOTE.finditer(line):
            if quote is None:
                quote = m.group(1)
                before = line[: m.start()]
                bare = _DOCTEST_PS1.sub("", before, count=1)
                bare = _DOCTEST_PS2.sub("", bare, count=1)
                after_prompt = bare != before and prompts_seen
                keep = not after_prompt and _STRING_PREFIX.match(bare.strip()) is not None
                inside[-1] = keep
            elif m.group(1) == quote:
                quote = None
                keep = False
        if not prompts_seen and _DOCTEST_START.match(line):
            prompts_seen = True
    return inside


def _without_doctest_prompts(lines: list[str]) -> list[str]:
    """``>>> `` and ``... `` prompts removed when a ``>>>`` line (outside strings) is there;
    each run of lines that lost a prompt is then dedented."""
    if not any(">>>" in line for line in lines):
        return lines
    inside = _in_strings(lines)
    if not any(not ins and _DOCTEST_START.match(line) for line, ins in zip(lines, inside, strict=True)):
        return lines
    out: list[str] = []
    stripped: list[bool] = []
    for line, ins in zip(lines, inside, strict=True):
        new = line
        if not ins:
            m = _DOCTEST_PS1.match(line) or _DOCTEST_PS2.match(line)
            if m is not None:
                new = line[m.end():]
        out.append(new)
        stripped.append(new != line)
    result: list[str] = []
    start = 0
    while start < len(out):
        end = start
        while end < len(out) and inside[end] == inside[start]:
            end += 1
        run = out[start:end]
        if not inside[start] and any(stripped[start:end]):
            run = textwrap.dedent("".join(run)).splitlines(keepends=True)
        result.extend(run)
        start = end
    return result


def _without_ipython_prompts(lines: list[str]) -> list[str]:
    if _IPYTHON_PROMPT.match(lines[0]) or (len(lines) > 1 and _IPYTHON_PROMPT.match(lines[1])):
        return [_IPYTHON_PROMPT.sub("", line, count=1) for line in lines]
    return lines


def _cell_magic(lines: list[str]) -> list[str]:
    first = lines[0]
    if not first.startswith("%%") or _CELL_MAGIC_HELP.match(first):  # `%%time?` is help
        return lines
    name, _, args = first[2:].rstrip().partition(" ")
    return [f"get_ipython().run_cell_magic({name!r}, {args!r}, {''.join(lines[1:])!r})\n"]


# -- tokens -------------------------------------------------------------------------------------


def _logical_lines(lines: list[str]) -> list[list[TokenInfo]]:
    """The cell's tokens, one list per logical line (a bracket spans lines; a comment or
    blank line outside brackets is a line of its own). A tokenizer error ends the tokens
    (an unclosed string or bracket: what comes before still counts)."""
    groups: list[list[TokenInfo]] = [[]]
    depth = 0
    last: TokenInfo | None = None
    try:
        for tok in tokenize.generate_tokens(iter(lines).__next__):
            last = tok
            groups[-1].append(tok)
            kind = tok.type
            if kind == tokenize.NEWLINE or (kind == tokenize.NL and depth == 0):
                groups.append([])
            elif kind == tokenize.OP:
                if tok.string in _OPENING:
                    depth += 1
                elif tok.string in _CLOSING and depth:
                    depth -= 1
    except tokenize.TokenError as exc:
        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
        if any(known in message for known in _NOTED_ERRORS):
            where = (last.start[0], last.end[0]) if last is not None else (1, 0)
            groups[-1].append(TokenInfo(tokenize.ERRORTOKEN, "", where, where, last.line if last else ""))
    if not groups[-1]:
        groups.pop()
    return groups


def _first_token(group: list[TokenInfo]) -> TokenInfo | None:
    for tok in group:
        if tok.type not in _SKIPPED:
            return tok
    return None


def _assignment(group: list[TokenInfo]) -> int | None:
    """Index of the first ``=`` outside brackets (bracket tokens counted by their text)."""
    depth = 0
    for i, tok in enumerate(group):
        text = tok.string
        if text == "=" and depth == 0:
            return i
        if text in _OPENING:
            depth += 1
        elif text in _CLOSING and depth:
            depth -= 1
    return None


# A rewrite found: (line index, column, priority, kind, line index of the `?` of a help).
_Found = tuple[int, int, int, str, int]


def _find_magic_assign(groups: list[list[TokenInfo]]) -> _Found | None:
    for group in groups:
        i = _assignment(group)
        if i is None or i + 1 >= len(group) or group[i + 1].string != "%":
            continue
        if i + 2 >= len(group):
            raise _Refused("`= %` ends the tokens")  # IPython: IndexError
        if group[i + 2].type == tokenize.NAME:
            row, col = group[i + 1].start
            return row - 1, col, 10, "magic_assign", 0
    return None


def _find_system_assign(groups: list[list[TokenInfo]]) -> _Found | None:
    for group in groups:
        i = _assignment(group)
        if i is None or i + 1 >= len(group) or group[i].line.strip().startswith("="):
            continue
        if _BANG_IS_OP:
            bang = group[i + 1] if group[i + 1].type == tokenize.OP and group[i + 1].string == "!" else None
        else:
            # `!` is an error token, and so is each space the tokenizer could not skip before it.
            bang = None
            for tok in group[i + 1:]:
                if tok.type != tokenize.ERRORTOKEN:
                    break
                if tok.string == "!":
                    bang = tok
                    break
                if not tok.string.isspace():
                    break
        if bang is not None:
            row, col = bang.start
            return row - 1, col, 10, "system_assign", 0
    return None


def _find_escape(groups: list[list[TokenInfo]]) -> _Found | None:
    for group in groups:
        first = _first_token(group)
        if first is not None and first.string in _ESCAPES:
            row, col = first.start
            return row - 1, col, 10, "escape", 0
    return None


def _find_help(groups: list[list[TokenInfo]]) -> _Found | None:
    for group in groups:
        if len(group) > 2 and group[-2].string == "?":
            first = _first_token(group)
            assert first is not None  # the `?` itself
            row, col = first.start
            return row - 1, col, 5, "help", group[-2].start[0] - 1
    return None


_FINDERS = (_find_magic_assign, _find_system_assign, _find_escape, _find_help)


def _rewrite_first(lines: list[str]) -> list[str] | None:
    """The cell with its earliest IPython construct rewritten, or None when there is none
    (or none of the constructs found can be rewritten)."""
    groups = _logical_lines(lines)
    found = [f for f in (finder(groups) for finder in _FINDERS) if f is not None]
    found.sort(key=lambda f: f[:3])  # stable: at one place, the finders' order
    for row, col, _, kind, q_row in found:
        try:
            return _REWRITES[kind](lines, row, col, q_row)
        except _NotThis:
            continue
    return None


# -- rewrites -----------------------------------------------------------------------------------


def _command_text(lines: list[str], row: int, col: int) -> tuple[str, int]:
    """The command from (``row``, ``col``) to the end of its backslash-continued line, its
    pieces joined by a space, and the index of its last line."""
    end = row
    while end < len(lines) and lines[end].endswith("\\\n"):
        end += 1
    pieces = [lines[row][col:], *lines[row + 1:end + 1]]
    joined = [p.rstrip()[:-1] for p in pieces[:-1]]
    joined.append(pieces[-1].rstrip())
    return " ".join(joined), end


def _replace(lines: list[str], row: int, end: int, new_line: str) -> list[str]:
    return [*lines[:row], new_line + "\n", *lines[end + 1:]]


def _rewrite_magic_assign(lines: list[str], row: int, col: int, _q: int) -> list[str]:
    text, end = _command_text(lines, row, col)
    if not text.startswith("%"):
        raise _Refused("no `%` where the tokens put it")  # IPython: AssertionError
    name, _, args = text[1:].partition(" ")
    return _replace(lines, row, end, f"{lines[row][:col]}get_ipython().run_line_magic({name!r}, {args!r})")


def _rewrite_system_assign(lines: list[str], row: int, col: int, _q: int) -> list[str]:
    text, end = _command_text(lines, row, col)
    if not text.startswith("!"):
        raise _Refused("no `!` where the tokens put it")  # IPython: AssertionError
    return _replace(lines, row, end, f"{lines[row][:col]}get_ipython().getoutput({text[1:]!r})")


def _help_call(target: str, escape: str) -> str:
    if escape == "??":
        method = "pinfo2"
    else:
        method = "psearch" if "*" in target else "pinfo"
    return f"get_ipython().run_line_magic({method!r}, {target!r})"


def _help(content: str, escape: str) -> str:
    return _help_call(content, escape) if content else "get_ipython().show_usage()"


def _magic(content: str) -> str:
    name, _, args = content.partition(" ")
    return f"get_ipython().run_line_magic({name!r}, {args!r})"


def _quote_words(content: str) -> str:
    name, _, args = content.partition(" ")
    return name + '("' + '", "'.join(args.split()) + '")'


def _quote_line(content: str) -> str:
    name, _, args = content.partition(" ")
    return name + '("' + args + '")'


def _call_words(content: str) -> str:
    name, _, args = content.partition(" ")
    if not name:
        raise _NotThis("`/` needs a callable's name")
    return name + "(" + ", ".join(args.split()) + ")"


_ESCAPED: dict[str, Callable[[str], str]] = {
    "!": lambda content: f"get_ipython().system({content!r})",
    "!!": lambda content: f"get_ipython().getoutput({content!r})",
    "?": lambda content: _help(content, "?"),
    "??": lambda content: _help(content, "??"),
    "%": _magic,
    ",": _quote_words,
    ";": _quote_line,
    "/": _call_words,
}


def _rewrite_escape(lines: list[str], row: int, col: int, _q: int) -> list[str]:
    text, end = _command_text(lines, row, col)
    escape = text[:2] if text[:2] in ("!!", "??") else text[:1]
    rewrite = _ESCAPED.get(escape)
    # No escape where the tokens put one (columns of odd characters): IPython empties the line.
    call = rewrite(text[len(escape):]) if rewrite is not None else ""
    return _replace(lines, row, end, lines[row][:col] + call)


def _rewrite_help(lines: list[str], row: int, col: int, q_row: int) -> list[str]:
    piece = "".join(lines[row:q_row + 1])
    m = _HELP_TARGET.search(piece, col)
    if m is None:
        raise _NotThis("no name before the `?`")
    return _replace(lines, row, q_row, piece[:col] + _help_call(m.group(1), m.group(2)))


_REWRITES: dict[str, Callable[[list[str], int, int, int], list[str]]] = {
    "magic_assign": _rewrite_magic_assign,
    "system_assign": _rewrite_system_assign,
    "escape": _rewrite_escape,
    "help": _rewrite_help,
}
