"""Lint speed as whole processes and in-process, against floors and ruff measured in the same run.

    python benchmarks/lint_speed.py [CORPUS] [--repeat N] [--breakdown] [--json FILE]
                                    [--notebook PATH] [--jobs N] [--quick]

Whole processes (issue 15): each command runs as a fresh process, once to warm up (the
OS file cache, ``__pycache__``), then ``--repeat`` times; the median wall time is
reported with its ratio to the matching floor and to ``ruff check`` of the same files.
The floor is the least any notebook linter must do: a fresh ``python -c`` that reads the
notebooks with ``json`` and ``ast.parse``-s their code cells (for the corpus: one
process for every notebook, finding them included). The nb2prod rows run without the
result cache (``--no-cache``) except the warm-cache row, which first fills a fresh
``NB2PROD_CACHE_DIR`` and then times the runs that follow. Targets: one notebook cold
<= 0.15 s wall; the corpus in one process <= 3x the corpus floor; warm cache <= 1.2x it.

In-process (issue 2): ``nb2prod.engine.lint_paths`` with every rule selected, single
process and with ``--jobs``, median after a first cold run (reported too), against the
same floor run in this process; ``--breakdown`` times the cumulative stages of one lint.

``--quick`` runs everything once after its warm-up (a smoke test, not a measurement).
The machine is printed first (Python, CPUs, nb2prod commit, load average), then after
each part the CPU time other processes took meanwhile (Linux), and the load average again
at the end: figures from a loaded machine say so.
"""

from __future__ import annotations

import argparse
import ast
import gc
import importlib.util
import inspect
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_NOTEBOOK = ROOT / "examples" / "iris" / "train.ipynb"

ONE_NOTEBOOK_SECONDS = 0.15  # one notebook cold, wall
SINGLE_PROCESS_X_FLOOR = 3.0  # the corpus, --jobs 1, as a multiple of the corpus floor
WARM_X_FLOOR = 1.2  # the corpus with a warm cache, as a multiple of the corpus floor
TIMEOUT = 900  # seconds for any one process
WIDTH = 50  # of the label column


def discover(args: Sequence[str | os.PathLike[str]]) -> list[str]:
    """The notebooks named by ``args``: files as given, folders searched (sorted)."""
    found: list[str] = []
    for arg in args:
        top = os.fspath(arg)
        if not os.path.isdir(top):
            found.append(top)
            continue
        for folder, dirs, files in os.walk(top):
            dirs.sort()
            found.extend(os.path.join(folder, f) for f in sorted(files) if f.endswith(".ipynb"))
    return found


def floor(paths: Sequence[str | os.PathLike[str]]) -> int:
    """Read each notebook with json and ast.parse its code cells; the number of code cells."""
    cells = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in paths:
            try:
                with open(p, encoding="utf-8") as f:
                    data = json.load(f)
            except (OSError, ValueError, UnicodeDecodeError):
                continue
            if not isinstance(data, dict):
                continue
            for cell in data.get("cells", []) or data.get("worksheets", [{}])[0].get("cells", []):
                if cell.get("cell_type") != "code":
                    continue
                src = cell.get("source", cell.get("input", ""))
                src = "".join(src) if isinstance(src, list) else src
                try:
                    ast.parse(src)
                except (SyntaxError, ValueError):
                    pass
                cells += 1
    return cells


# The whole-process floor: the two functions above, with the imports they use and no other.
FLOOR_SCRIPT = ("from __future__ import annotations\nimport ast, json, os, sys, warnings\n\n"
                + inspect.getsource(discover) + "\n" + inspect.getsource(floor)
                + "\nfloor(discover(sys.argv[1:]))\n")


@dataclass
class Row:
    """One measured command (or in-process call) and what became of it."""

    label: str
    kind: str  # "notebook" or "corpus": which floor and which ruff row it is compared with
    command: list[str] = field(default_factory=list)
    shown: str = ""  # the command as a reader would type it
    seconds: float | None = None  # the median
    runs: list[float] = field(default_factory=list)
    warmup: float | None = None
    exit: int | None = None
    status: str = "ok"  # ok, skipped or failed
    note: str = ""
    x_floor: float | None = None
    x_ruff: float | None = None
    target: str = ""
    passed: bool | None = None
    output: bytes = field(default=b"", repr=False)  # stdout of the last run, not in --json

    def record(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("output")
        return d


class Context:
    """What every whole-process row shares: the environment, a scratch folder, the lint flags."""

    def __init__(self, scratch: Path, repeat: int) -> None:
        self.scratch = scratch
        self.repeat = repeat
        self.cwd = scratch / "cwd"  # not the checkout: a cache that ignored NB2PROD_CACHE_DIR lands here
        self.cwd.mkdir()
        self.unused_cache = scratch / "no-cache"  # --no-cache runs must leave it empty
        self.unused_cache.mkdir()
        self.env = dict(os.environ, NB2PROD_CACHE_DIR=str(self.unused_cache))
        self.env.pop("NO_COLOR", None)
        self.env.pop("FORCE_COLOR", None)
        # the warm-up run writes __pycache__ as it would for a user; without it, every run compiles
        self.bytecode_was_off = bool(self.env.pop("PYTHONDONTWRITEBYTECODE", ""))
        self.lint_flags = lint_flags(self)

    def shown(self, command: Sequence[str], env: str = "") -> str:
        words = []
        for w in command:
            if w == sys.executable:
                w = "python"
            elif w == FLOOR_SCRIPT:
                w = "<floor script>"
            else:
                w = display(w)
            words.append(w)
        return (env + " " if env else "") + shlex.join(words).replace("'<floor script>'", "<floor script>")


def display(word: str) -> str:
    """``word`` as seen from the checkout, for the printed commands (which read as run from there)."""
    for base, short in ((str(ROOT) + os.sep, ""), (str(ROOT.parent) + os.sep, "../")):
        if word.startswith(base):
            return short + word[len(base):]
    return word


def lint_flags(ctx: Context) -> set[str] | str:
    """The options ``nb2prod lint --help`` lists, or why it could not be run."""
    try:
        p = subprocess.run([sys.executable, "-m", "nb2prod", "lint", "--help"], cwd=ctx.cwd, env=ctx.env,
                           capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"nb2prod lint --help: {e}"
    if p.returncode != 0:
        return f"nb2prod lint --help exited {p.returncode}: {last_line(p.stderr)}"
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", p.stdout))


def last_line(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


def run_process(row: Row, ctx: Context, ok: set[int], env: dict[str, str] | None = None, warmup: bool = True) -> None:
    """Time ``row.command``: a warm-up run unless ``warmup`` is false, then ``ctx.repeat`` runs."""
    times: list[float] = []
    for i in range(ctx.repeat + (1 if warmup else 0)):
        t = time.perf_counter()
        try:
            p = subprocess.run(row.command, cwd=ctx.cwd, env=env or ctx.env, capture_output=True,
                               timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            row.status, row.note = "failed", str(e)
            return
        elapsed = time.perf_counter() - t
        if p.returncode not in ok:
            row.status, row.exit = "failed", p.returncode
            row.note = f"exit {p.returncode}: {last_line(p.stderr)}"
            return
        if row.exit is not None and p.returncode != row.exit:
            row.status, row.note = "failed", f"exit {p.returncode} after {row.exit} in an earlier run"
            return
        row.exit, row.output = p.returncode, p.stdout
        if warmup and i == 0:
            row.warmup = elapsed
        else:
            times.append(elapsed)
    row.runs = times
    row.seconds = statistics.median(times)


def skip(row: Row, why: str) -> Row:
    row.status, row.note = "skipped", why
    return row


def nb2prod_row(ctx: Context, label: str, kind: str, command: list[str], needs: Sequence[str]) -> Row:
    """A cold nb2prod run (``--no-cache``): skipped when this nb2prod lacks a flag it uses, failed
    when it writes to the cache all the same."""
    row = Row(label, kind, command, ctx.shown(command))
    if isinstance(ctx.lint_flags, str):
        return skip(row, ctx.lint_flags)
    missing = [f for f in needs if f not in ctx.lint_flags]
    if missing:
        return skip(row, f"not supported by this nb2prod (lint --help lists no {', '.join(missing)})")
    run_process(row, ctx, ok={0, 1})
    if any(ctx.unused_cache.iterdir()):
        row.status, row.note = "failed", "wrote to NB2PROD_CACHE_DIR despite --no-cache"
        shutil.rmtree(ctx.unused_cache)
        ctx.unused_cache.mkdir()
    return row


def warm_row(ctx: Context, label: str, corpus: Path) -> Row:
    """The corpus linted again with the cache on: one run fills a fresh NB2PROD_CACHE_DIR (its
    time is in the note), then the runs that follow are timed."""
    command = [sys.executable, "-m", "nb2prod", "lint", str(corpus), "--format", "json"]
    row = Row(label, "corpus", command, ctx.shown(command, "NB2PROD_CACHE_DIR=<fresh folder>"))
    if isinstance(ctx.lint_flags, str):
        return skip(row, ctx.lint_flags)
    if "--no-cache" not in ctx.lint_flags:
        return skip(row, "not supported by this nb2prod (no result cache: lint --help lists no --no-cache)")
    cache = ctx.scratch / "warm-cache"
    cache.mkdir()
    env = dict(ctx.env, NB2PROD_CACHE_DIR=str(cache))
    t = time.perf_counter()
    p = subprocess.run(command, cwd=ctx.cwd, env=env, capture_output=True, timeout=TIMEOUT)
    filling = time.perf_counter() - t
    if p.returncode not in (0, 1):
        row.status, row.exit, row.note = "failed", p.returncode, f"exit {p.returncode}: {last_line(p.stderr)}"
        return row
    if not any(cache.iterdir()):
        row.status, row.note = "failed", "the first run with the cache on wrote nothing to NB2PROD_CACHE_DIR"
        return row
    row.warmup = filling
    run_process(row, ctx, ok={0, 1}, env=env, warmup=False)
    if row.status == "ok":
        row.note = f"the run that filled the cache: {filling:.3f} s"
        if row.output != p.stdout:
            row.status, row.note = "failed", "a warm run printed another report than the run that filled the cache"
    return row


def ruff_command() -> tuple[list[str], str] | str:
    """How to run ruff (the binary next to this Python, else ``python -m ruff``) and its version,
    or why it cannot be run."""
    binary = Path(sys.executable).parent / ("ruff.exe" if os.name == "nt" else "ruff")
    if binary.is_file():
        base = [str(binary)]
    elif importlib.util.find_spec("ruff") is not None:
        base = [sys.executable, "-m", "ruff"]
    else:
        return "ruff is not installed (it is in nb2prod's test extra)"
    try:
        p = subprocess.run([*base, "--version"], capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"ruff --version: {e}"
    if p.returncode != 0:
        return f"ruff --version exited {p.returncode}: {last_line(p.stderr)}"
    return base, p.stdout.strip()


def ruff_row(ctx: Context, label: str, kind: str, target: Path, ruff: tuple[list[str], str] | str) -> Row:
    """``ruff check --no-cache TARGET`` with the configuration it finds above TARGET (ruff's
    default rules where there is none). Exit 1 means findings, not a failure."""
    if isinstance(ruff, str):
        return skip(Row(label, kind), ruff)
    base, version = ruff
    command = [*base, "check", "--no-cache"]
    m = re.search(r"(\d+)\.(\d+)", version)
    if m and (int(m[1]), int(m[2])) < (0, 6):  # notebooks are included by default from ruff 0.6
        command += ["--extend-include", "*.ipynb"]
    command.append(str(target))
    row = Row(label, kind, command, ctx.shown(command))
    run_process(row, ctx, ok={0, 1})
    if row.status == "ok":
        row.note = f"{version}, exit {row.exit}" + (" (findings)" if row.exit == 1 else "")
    return row


def whole_process(ctx: Context, notebook: Path, corpus: Path, jobs: int) -> list[Row]:
    py = [sys.executable]
    lint = [*py, "-m", "nb2prod", "lint"]
    ruff = ruff_command()

    floor_nb = Row("floor, one notebook", "notebook", [*py, "-c", FLOOR_SCRIPT, str(notebook)])
    floor_nb.shown = ctx.shown(floor_nb.command)
    run_process(floor_nb, ctx, ok={0})
    cold_nb = [nb2prod_row(ctx, "nb2prod lint NOTEBOOK, cold", "notebook",
                           [*lint, str(notebook), "--no-cache"], ["--no-cache"])]
    script = shutil.which("nb2prod")
    label = "nb2prod lint NOTEBOOK, cold, console script"
    if script is None:
        cold_nb.append(skip(Row(label, "notebook"), "no nb2prod console script on PATH"))
    else:
        row = nb2prod_row(ctx, label, "notebook", [script, "lint", str(notebook), "--no-cache"], ["--no-cache"])
        row.shown = ctx.shown(["nb2prod", *row.command[1:]])
        if row.status == "ok":
            row.note = script
        cold_nb.append(row)
    ruff_nb = ruff_row(ctx, "ruff check NOTEBOOK", "notebook", notebook, ruff)

    floor_corpus = Row("floor, corpus", "corpus", [*py, "-c", FLOOR_SCRIPT, str(corpus)])
    floor_corpus.shown = ctx.shown(floor_corpus.command)
    run_process(floor_corpus, ctx, ok={0})
    needs = ["--format", "--no-cache", "--jobs"]
    cpu_count = " (CPU count)" if jobs == os.cpu_count() else ""
    single, auto, explicit = (
        nb2prod_row(ctx, label, "corpus", [*lint, str(corpus), "--format", "json", "--no-cache", "--jobs", str(n)],
                    needs)
        for n, label in [(1, "nb2prod lint CORPUS, cold, --jobs 1"), (0, "nb2prod lint CORPUS, cold, --jobs 0 (auto)"),
                         (jobs, f"nb2prod lint CORPUS, cold, --jobs {jobs}{cpu_count}")])
    warm = warm_row(ctx, "nb2prod lint CORPUS, warm cache", corpus)
    ruff_corpus = ruff_row(ctx, "ruff check CORPUS", "corpus", corpus, ruff)

    if single.status == "ok":  # every report of the corpus must be the single-process one
        for other in (auto, explicit, warm):
            if other.status == "ok" and other.output != single.output:
                other.status, other.note = "failed", f"its report differs from that of {single.label}"
    floors = {"notebook": floor_nb.seconds, "corpus": floor_corpus.seconds}
    ruffs = {"notebook": ruff_nb.seconds, "corpus": ruff_corpus.seconds}
    rows = [floor_nb, *cold_nb, ruff_nb, floor_corpus, single, auto, explicit, warm, ruff_corpus]
    for row in rows:
        if row.status != "ok" or row.seconds is None:
            continue
        f, r = floors[row.kind], ruffs[row.kind]
        row.x_floor = row.seconds / f if f and floor_nb.status == floor_corpus.status == "ok" else None
        row.x_ruff = row.seconds / r if r and ruff_nb.status == ruff_corpus.status == "ok" else None
    for row in cold_nb:
        if row.seconds is not None and row.status == "ok":
            row.target, row.passed = f"<= {ONE_NOTEBOOK_SECONDS} s", row.seconds <= ONE_NOTEBOOK_SECONDS
    for row, limit in ((single, SINGLE_PROCESS_X_FLOOR), (warm, WARM_X_FLOOR)):
        if row.x_floor is not None and row.status == "ok":
            row.target, row.passed = f"<= {limit:g}x floor", row.x_floor <= limit
    return rows


def print_whole(rows: list[Row], repeat: int) -> None:
    print(f"\nwhole processes: wall seconds, median of {plural(repeat, 'run')} after a warm-up")
    print(f"{'':{WIDTH}}{'seconds':>9}{'x floor':>9}{'x ruff':>8}{'exit':>6}  target")
    for row in rows:
        if row.status == "skipped":
            print(f"{row.label:{WIDTH}}  -- {row.note}")
        elif row.status == "failed":
            print(f"{row.label:{WIDTH}}  FAILED: {row.note}")
        else:
            verdict = "" if row.passed is None else ("PASS" if row.passed else "MISS")
            print(f"{row.label:{WIDTH}}{row.seconds:9.3f}{ratio(row.x_floor):>9}{ratio(row.x_ruff):>8}{row.exit:>6}"
                  f"  {row.target} {verdict}".rstrip())
    print("commands (NOTEBOOK and CORPUS as above):")
    for row in rows:
        if row.shown:
            print(f"  {row.label}: {row.shown}" + (f"  [{row.note}]" if row.note and row.status == "ok" else ""))


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def ratio(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(cold first run, median of ``repeat`` further runs) in seconds."""
    gc.collect()
    t = time.perf_counter()
    fn()
    cold = time.perf_counter() - t
    runs = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return cold, statistics.median(runs)


def in_process(paths: list[Path], repeat: int, jobs: int, breakdown_too: bool, scratch: Path) -> dict[str, Any]:
    """The lint in this process, as before issue 15: floor, lint_paths single process and with
    ``jobs``, the cold first run, and (``breakdown_too``) the cumulative stages."""
    cache = scratch / "in-process-cache"
    cache.mkdir()
    before = os.environ.get("NB2PROD_CACHE_DIR")
    os.environ["NB2PROD_CACHE_DIR"] = str(cache)  # whatever caches lint_paths might gain, not ours to keep
    try:
        from nb2prod.engine import lint_paths

        n = len(paths)
        f_cold, f_med = timed(lambda: floor(paths), repeat)
        l_cold, l_med = timed(lambda: lint_paths(paths, jobs=1), repeat)
        j_cold, j_med = timed(lambda: lint_paths(paths, jobs=jobs), max(1, repeat // 2))
        findings = len(lint_paths(paths, jobs=1).findings)
        stages = breakdown(paths, f_med, l_med, repeat) if breakdown_too else []
    finally:
        if before is None:
            os.environ.pop("NB2PROD_CACHE_DIR", None)
        else:
            os.environ["NB2PROD_CACHE_DIR"] = before
    rows = [("floor (json + ast.parse)", f_med), ("nb2prod lint, 1 process", l_med),
            (f"nb2prod lint, --jobs {jobs}", j_med), ("nb2prod lint, 1 process, cold", l_cold)]
    print(f"\nin-process: seconds, median of {plural(repeat, 'run')} after a cold run "
          f"(--jobs: of {plural(max(1, repeat // 2), 'run')})")
    print(f"{'':{WIDTH}}{'seconds':>9}{'notebooks/s':>13}{'x floor':>9}")
    for label, secs in rows:
        print(f"{label:{WIDTH}}{secs:9.3f}{n / secs:13.0f}{secs / f_med:9.2f}")
    met = l_med <= SINGLE_PROCESS_X_FLOOR * f_med
    print(f"findings: {findings}; target (issue 2): 1 process <= {SINGLE_PROCESS_X_FLOOR:.2f}x floor: "
          f"{l_med / f_med:.2f}x {'PASS' if met else 'MISS'}")
    wrote = any(cache.iterdir())
    if wrote:
        print("note: the in-process lint wrote to NB2PROD_CACHE_DIR: its repeated runs may have been served from it")
    if stages:
        print("where the time goes (cumulative, median of runs):")
        previous = 0.0
        for label, secs in stages:
            print(f"  {label:{WIDTH - 2}}{secs:9.3f}s{secs / f_med:7.2f}x floor  (+{secs - previous:.3f}s)")
            previous = secs
    return {"notebooks": n, "findings": findings, "wrote_cache": wrote, "floor_cold": f_cold,
            "rows": [{"label": label, "seconds": secs, "x_floor": secs / f_med} for label, secs in rows],
            "jobs_cold": j_cold, "target_x_floor": SINGLE_PROCESS_X_FLOOR, "passed": met,
            "breakdown": [{"label": label, "seconds": secs, "x_floor": secs / f_med} for label, secs in stages]}


def breakdown(paths: list[Path], floor_seconds: float, lint_seconds: float, repeat: int) -> list[tuple[str, float]]:
    """Cumulative stages of a single-process lint, in seconds; the last is the whole lint."""
    from nb2prod.analysis import Analysis
    from nb2prod.notebook import read_notebook

    def stage(upto: str) -> Callable[[], object]:
        def run() -> None:
            for p in paths:
                nb = read_notebook(p)
                if upto == "read":
                    continue
                a = Analysis(nb)
                _ = a.parsed_cells
                if upto == "parse":
                    continue
                _ = a.calls, a.strings, a.module_definitions
                if upto == "facts":
                    continue
                _ = a.name_problems

        return run

    stages = []
    for label, key in [("read + validate (nbformat schema)", "read"), ("+ parse (IPython-aware)", "parse"),
                       ("+ shared facts (one AST walk)", "facts"), ("+ pyflakes over the notebook", "pyflakes")]:
        stages.append((label, timed(stage(key), repeat)[1]))
    stages.append(("+ the rules (= nb2prod lint, 1 process)", lint_seconds))
    return stages


def machine(ctx: Context) -> dict[str, Any]:
    """Python, CPUs, the nb2prod the processes import and its commit."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0], "executable": sys.executable, "platform": platform.platform(),
        "cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
    }
    p = subprocess.run([sys.executable, "-c", "import nb2prod; print(nb2prod.__version__); print(nb2prod.__file__)"],
                       cwd=ctx.cwd, env=ctx.env, capture_output=True, text=True, timeout=TIMEOUT)
    version, _, where = p.stdout.strip().partition("\n")
    info["nb2prod"] = version if p.returncode == 0 else f"not importable: {last_line(p.stderr)}"
    info["nb2prod_from"] = str(Path(where).parent) if p.returncode == 0 else None
    info["commit"], info["uncommitted"] = git_commit()
    return info


def git_commit() -> tuple[str | None, bool | None]:
    """The checkout's short commit, and whether nb2prod/ has changes not in it."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=60)
        status = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "nb2prod"],
                                capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    if head.returncode != 0:
        return None, None
    return head.stdout.strip(), bool(status.stdout.strip()) if status.returncode == 0 else None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def print_load(when: str, load: list[float] | None, cpus: int, ours: bool) -> None:
    """The load average; at the start a busy machine is flagged (later it includes this run's own)."""
    if load is None:
        print(f"load average {when}: not available on this system")
        return
    busy = "  <- the machine is busy: figures are pessimistic" if not ours and load[0] > cpus / 2 else ""
    mine = " (this run's processes included)" if ours else ""
    print(f"load average (1, 5, 15 min) {when}: {' '.join(f'{x:.2f}' for x in load)} on {cpus} CPUs{mine}{busy}")


class CpuShare:
    """CPU time the rest of the machine used while this run measured: the busy time of every
    CPU (Linux's /proc/stat) less this process's and its children's, over what the CPUs had."""

    def __init__(self) -> None:
        self.start = self.sample()

    @staticmethod
    def sample() -> tuple[float, float, float] | None:
        """(wall, machine busy CPU-seconds, our CPU-seconds), or None without /proc/stat."""
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        if len(fields) < 5:
            return None
        tick = os.sysconf("SC_CLK_TCK")
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / tick  # user..steal, less idle and iowait
        t = os.times()
        return time.perf_counter(), busy, t.user + t.system + t.children_user + t.children_system

    def others(self, cpus: int) -> dict[str, float] | None:
        """Since the previous call: other processes' CPU-seconds and their share of the capacity."""
        now, then = self.sample(), self.start
        self.start = now
        if now is None or then is None:
            return None
        wall = now[0] - then[0]
        other = max(0.0, (now[1] - then[1]) - (now[2] - then[2]))
        return {"wall": round(wall, 2), "cpu_seconds": round(other, 2),
                "share": round(other / (wall * cpus), 3) if wall > 0 else 0.0}


def print_others(what: str, others: dict[str, float] | None) -> None:
    if others is None:
        return
    busy = "  <- the machine was busy: figures are pessimistic" if others["share"] > 0.1 else ""
    print(f"other processes during {what}: {others['cpu_seconds']:.1f} CPU-s in {others['wall']:.1f} s "
          f"({others['share']:.0%} of the CPUs){busy}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS),
                        help="folder of notebooks (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after the warm-up (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="the explicit --jobs row and the in-process --jobs (default: CPU count, %(default)s)")
    parser.add_argument("--breakdown", action="store_true", help="also time the stages of one lint, in-process")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--notebook", default=str(DEFAULT_NOTEBOOK), help="the one notebook (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="one run after the warm-up: a smoke test")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    if repeat < 1 or args.jobs < 1:
        parser.error("--repeat and --jobs must be at least 1")

    corpus, notebook = Path(args.corpus).resolve(), Path(args.notebook).resolve()
    paths = [Path(p) for p in discover([corpus])]
    if not paths:
        print(f"no notebooks under {corpus}", file=sys.stderr)
        return 2
    if not notebook.is_file():
        print(f"no notebook {notebook}", file=sys.stderr)
        return 2

    load_start = load_average()
    with tempfile.TemporaryDirectory(prefix="nb2prod-lint-speed-") as tmp:
        ctx = Context(Path(tmp), repeat)
        info = machine(ctx)
        cpus = info["usable_cpus"] or 1
        changes = {True: ", with uncommitted changes in nb2prod/", False: "", None: ""}[info["uncommitted"]]
        print(f"machine: python {info['python']} ({info['executable']}), {info['cpus']} CPUs"
              + (f" ({cpus} usable)" if cpus != info["cpus"] else "") + f", {info['platform']}")
        print(f"nb2prod {info['nb2prod']} from {info['nb2prod_from'] or '?'}, "
              f"commit {info['commit'] or 'unknown'}{changes}")
        print_load("at start", load_start, cpus, ours=False)
        print(f"notebook: {display(str(notebook))} ({floor([notebook])} code cells, "
              f"{notebook.stat().st_size / 1e3:.1f} kB)")
        print(f"corpus: {display(str(corpus))} ({len(paths)} notebooks, {floor(paths)} code cells, "
              f"{sum(p.stat().st_size for p in paths) / 1e6:.1f} MB)")
        if args.quick:
            print("--quick: one run per figure, a smoke test, not a measurement")
        if ctx.bytecode_was_off:
            print("PYTHONDONTWRITEBYTECODE is set here: the measured processes run without it, so that the warm-up "
                  "run writes __pycache__ as a user's would")

        share = CpuShare()
        rows = whole_process(ctx, notebook, corpus, args.jobs)
        print_whole(rows, repeat)
        others_whole = share.others(cpus)
        print_others("the whole-process rows", others_whole)
        load_middle = load_average()
        inproc = in_process(paths, repeat, args.jobs, args.breakdown, Path(tmp))
        others_in = share.others(cpus)
        print_others("the in-process rows", others_in)

    load_end = load_average()
    print()
    print_load("at end", load_end, cpus, ours=True)
    failed = [r.label for r in rows if r.status == "failed"]
    if failed:
        print(f"failed: {'; '.join(failed)}", file=sys.stderr)
    if args.json:
        doc = {"machine": info, "load_average": {"start": load_start, "after_whole_processes": load_middle,
                                                 "end": load_end},
               "other_processes": {"whole_process": others_whole, "in_process": others_in},
               "notebook": str(notebook), "corpus": str(corpus), "notebooks": len(paths), "repeat": repeat,
               "quick": args.quick, "pythondontwritebytecode_dropped": ctx.bytecode_was_off,
               "whole_process": [r.record() for r in rows], "in_process": inproc}
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
