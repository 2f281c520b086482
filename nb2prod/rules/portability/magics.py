"""Directory changes, shell commands and magics: which a service would not have."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from nb2prod import _lazyre
from nb2prod.analysis import Analysis, CallFact, dotted_name
from nb2prod.code import PYTHON_BODY_CELL_MAGICS, Magic
from nb2prod.notebook import Cell

CHDIR_MAGICS = frozenset({"cd", "pushd", "popd"})
CHDIR_CALLS = frozenset({"os.chdir", "os.fchdir"})
# Package managers belong to NB2xx (environment), not here.
_PACKAGE_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba", "uv"})
_PACKAGE_COMMAND = _lazyre.compile(
    r"""^\s*(?:sudo\s+)?(?:(?:\{[^}]*\}|\S*python[\d.]*|py)\s+-m\s+)?
        (?:pip[\d.]*|conda|mamba|micromamba|uv(?:\s+pip)?)(?:\s|$)""",
    re.X,
)
# Line magics that run a shell (`%system`, `%sx`) and IPython's default shell aliases.
SHELL_LINE_MAGICS = frozenset(
    {"system", "sx", "sc", "ls", "ll", "lf", "lk", "ldir", "lx", "cat", "cp", "mv", "rm",
     "rmdir", "mkdir", "less", "more", "man"}
)
# Cell magics that hand the cell to another program (IPython's %%script family).
SHELL_CELL_MAGICS = frozenset(
    {"bash", "sh", "zsh", "script", "system", "!", "sx", "perl", "ruby", "python", "python2",
     "python3", "pypy", "cmd", "powershell", "pwsh"}
)
# Magics that only display, time, profile or configure the session: dropping them does not
# change what the notebook computes.
HARMLESS_LINE_MAGICS = frozenset(
    {"matplotlib", "config", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport",
     "time", "timeit", "prun", "lprun", "memit", "mprun", "precision", "pprint", "xmode", "pdb",
     "debug", "tb", "who", "whos", "who_ls", "lsmagic", "magic", "quickref", "pdef", "pdoc",
     "psource", "pfile", "pinfo", "pinfo2", "psearch", "colors", "automagic", "autocall",
     "autoawait", "autosave", "doctest_mode", "ipytest", "watermark", "reset", "reset_selective",
     "pwd", "dirs", "dhist", "page", "history", "tensorboard", "gui", "clear", "connect_info",
     "qtconsole", "killbgscripts", "code_wrap", "alias_magic"}
)
HARMLESS_CELL_MAGICS = PYTHON_BODY_CELL_MAGICS | frozenset(
    {"html", "HTML", "javascript", "js", "latex", "markdown", "svg"}
)
# Magics known to change state a service cannot reproduce, with the reason.
NON_PORTABLE: dict[str, str] = {
    "run": "runs another script or notebook, which the service will not have",
    "load": "pastes code from a file or URL into the cell",
    "loadpy": "pastes code from a file or URL into the cell",
    "store": "passes variables between notebooks through IPython's private database",
    "env": "sets environment variables only inside this kernel",
    "set_env": "sets environment variables only inside this kernel",
    "writefile": "writes a file as a side effect of running the cell",
    "file": "writes a file as a side effect of running the cell",
    "bookmark": "names a folder of this machine",
    "macro": "replays IPython input history",
    "recall": "replays IPython input history",
    "rerun": "replays IPython input history",
    "rep": "replays IPython input history",
    "save": "writes cells to a file",
    "notebook": "writes the session to a file",
    "alias": "defines a shell alias",
    "unalias": "removes a shell alias",
    "rehashx": "turns the machine's executables into shell aliases",
    "logstart": "logs the session to a file",
}
UNKNOWN_MAGIC = "is not an IPython built-in: it needs an extension the service will not load"


def acts(m: Magic) -> bool:
    """False for the listing forms: `%env`, `%env NAME`, `%store`, `%alias`, `%bookmark -l`."""
    args = m.args.split()
    if m.name in ("env", "set_env"):
        return "=" in m.args or len(args) >= 2
    if m.name in ("store", "alias"):
        return bool(args)
    if m.name == "bookmark":
        return bool(args) and args[0] != "-l"
    return True


def magic_text(m: Magic) -> str:
    if m.kind in ("shell", "shell_capture"):
        return f"!{m.args}"
    prefix = "%%" if m.kind == "cell" else "%"
    return f"{prefix}{m.name} {m.args}".rstrip()


def _explicit_ipython_call(call: CallFact) -> Magic | None:
    """`get_ipython().system("ls")` written out in valid Python, as a Magic."""
    func = call.node.func
    if not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and dotted_name(func.value.func) == "get_ipython"
    ):
        return None
    args = call.node.args

    def const(i: int) -> str:
        arg = args[i] if len(args) > i else None
        return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else ""

    line, col = call.node.lineno + call.offset, call.node.col_offset + 1
    if func.attr == "run_line_magic":
        return Magic("line", const(0), const(1), line, col)
    if func.attr == "run_cell_magic":
        return Magic("cell", const(0), const(1), line, col)
    if func.attr == "system":
        return Magic("shell", "!", const(0), line, col)
    if func.attr == "getoutput":
        return Magic("shell_capture", "!", const(0), line, col)
    return None


def all_magics(nb: Analysis) -> Iterator[tuple[Cell, Magic]]:
    """Every magic and shell escape in notebook order, including explicit
    ``get_ipython().…`` calls in cells that are plain Python."""
    seen: set[tuple[int, int, int]] = set()
    explicit: dict[int, list[Magic]] = {}
    for call in nb.calls:
        if call.local_name is None:
            m = _explicit_ipython_call(call)
            if m is not None:
                explicit.setdefault(call.cell.index, []).append(m)
    for cell in nb.code_cells:
        for m in cell.parsed.magics:
            seen.add((cell.index, m.line, m.column))
            yield cell, m
        for m in explicit.get(cell.index, ()):
            if (cell.index, m.line, m.column) not in seen:
                yield cell, m


# Programs that only show something (files, the machine, versions): a `!cmd` made of these
# alone, its output not captured, changes nothing a later cell reads, and a failing `!cmd`
# does not stop an IPython run, so a service does not miss it.
INSPECTION_PROGRAMS = frozenset(
    {"ls", "ll", "dir", "pwd", "cat", "head", "tail", "less", "more", "wc", "du", "df", "free",
     "nvidia-smi", "nproc", "lscpu", "lsblk", "uname", "whoami", "hostname", "which", "whereis",
     "type", "echo", "printf", "tree", "file", "stat", "env", "printenv", "date", "uptime", "ps",
     "md5sum", "sha1sum", "sha256sum", "grep", "egrep", "sort", "uniq", "cut", "zcat", "column",
     "lsb_release", "id", "groups", "locale", "nvcc", "top", "htop", "watch", "ldd", "jq", "true"}
)
# Read-only subcommands of tools that can also change things.
_INSPECTION_SUBCOMMANDS = {
    "git": frozenset({"status", "log", "diff", "show", "rev-parse", "describe", "branch", "remote"}),
    "saved_model_cli": frozenset({"show"}),
    "conda": frozenset({"list", "info", "env"}),
    "pip": frozenset({"list", "freeze", "show", "--version", "-V"}),
    "python": frozenset({"--version", "-V"}),
    "python3": frozenset({"--version", "-V"}),
    "jupyter": frozenset({"--version", "kernelspec"}),
}
_SEGMENT_SPLIT = _lazyre.compile(r"&&|\|\||;|\|")
_ENV_ASSIGNMENT = _lazyre.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")


def is_inspection_command(m: Magic) -> bool:
    """A `!cmd` (output not captured) or shell alias that only shows something: `!ls -lh`,
    `!nvidia-smi`, `!head data.csv`, `!git log -1`. Redirections (`>`), command
    substitution and anything not in :data:`INSPECTION_PROGRAMS` make it a real command."""
    if m.kind == "line" and m.name in {"ls", "ll", "lf", "lk", "ldir", "lx", "cat", "less", "more", "man"}:
        return ">" not in m.args
    if m.kind != "shell":
        return False
    text = m.args.strip()
    if not text or any(ch in text for ch in (">", "`", "$(")):
        return False
    for segment in _SEGMENT_SPLIT.split(text):
        words = [w for w in segment.split() if not _ENV_ASSIGNMENT.match(w)]
        if words and words[0] == "sudo":
            words = words[1:]
        if not words:
            continue
        program = words[0].rsplit("/", 1)[-1]
        if program in INSPECTION_PROGRAMS:
            continue
        sub = _INSPECTION_SUBCOMMANDS.get(re.sub(r"[\d.]+$", "", program) if program.startswith("python") else program)
        if sub is not None and len(words) > 1 and words[1] in sub:
            continue
        return False
    return True


def is_package_command(m: Magic) -> bool:
    if m.kind in ("line", "cell") and m.name in _PACKAGE_MAGICS:
        return True
    return bool(_PACKAGE_COMMAND.match(m.args)) and (
        m.kind in ("shell", "shell_capture") or m.name in SHELL_LINE_MAGICS
    )


def allowed_magics(nb: Analysis) -> frozenset[str]:
    raw = nb.option("allowed-magics", [])
    if not isinstance(raw, (list, tuple)):
        return frozenset()
    return frozenset(a.strip().lstrip("%") for a in raw if isinstance(a, str) and a.strip())
