"""Fuzz ``nb2prod lint`` through its command line, over mutations of real notebooks.

    python benchmarks/fuzz_lint.py [--count N] [--seed S] [--corpus DIR] [--batch N] [--keep DIR]

Takes the notebooks of ../shared/corpus and writes ``--count`` mutated files (default
10,000): truncated; a field of every kind replaced by a value of the wrong JSON type; other
encodings (UTF-16, Latin-1, a BOM, invalid bytes); lone surrogates; integers of more than
4300 digits (in the JSON and in the code); deep nesting; huge outputs; control characters;
nbformat versions from 0 to 5; odd file names (newlines, escape sequences, bytes that are
not UTF-8, workflow commands). Known fake secrets (a GitHub token, an AWS key pair, a
password in a URL) are planted in code cells and outputs of some files.

The files are linted in batches (one ``python -m nb2prod lint FOLDER`` per batch, the
formats in turn, two at a time), and odd file types (a FIFO, a link to /dev/zero, link
loops, broken links, a folder named ``x.ipynb``) are linted one by one, named on the
command line and inside a folder. Each run has a timeout. Counted:

- tracebacks: ``Traceback (most recent call last)`` on stderr (``NB2PROD_DEBUG=1`` is set,
  so the CLI's last-resort handler shows them instead of a one-line internal error);
- internal errors: rules that failed (reported in the report, exit 2);
- bad exits: exit codes other than 0, 1 and 2;
- hangs: runs that hit the timeout;
- bad reports: json/sarif that do not parse, junit that is not XML, text that is not UTF-8;
- unmasked secrets: a planted secret that appears in full on stdout or stderr;
- peak memory: the largest resident set of any nb2prod process (``RUSAGE_CHILDREN``).

Target: zero of each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
FORMATS = ["text", "json", "sarif", "github", "junit"]
TRACEBACK = "Traceback (most recent call last)"

# Fake secrets, in the shapes the security rules know. None may be printed in full.
SECRETS = {
    "github": "ghp_" + "Zx8Kq2Lm9Pw4Rt6Yv1Bn3Cd5Fg7Hj0Nk2Qs4",
    "aws_key": "AKIA" + "QWERTYUIOPASDFGH",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "ZZFUZZKEY1",
    "url_password": "Fuzz3dS3cretPassw0rd",
}
SECRET_LINES = [
    f"token = '{SECRETS['github']}'",
    f"AWS_ACCESS_KEY_ID = '{SECRETS['aws_key']}'\nAWS_SECRET_ACCESS_KEY = '{SECRETS['aws_secret']}'",
    f"engine = create_engine('postgresql://admin:{SECRETS['url_password']}@db.internal:5432/prod')",
]
HOSTILE = ["\ud800", "\udcff", "\x00", "\x1b[2J", "\r", "\n::error file=README.md::x", "\u2028", "\x85", "\ufeff",
           "\uffff", "%0A", "😀", "\t"]
ODD_NAMES = ["new\nline.ipynb", "esc\x1b[31m.ipynb", "::error file=README.md::x.ipynb", "-dash.ipynb",
             "sp ace,comma:colon%25.ipynb", "e\u0301\u202e.ipynb", "x" * 200 + ".ipynb", "cr\r.ipynb"]


@dataclass
class Tally:
    files: int = 0
    runs: int = 0
    tracebacks: int = 0
    internal_errors: int = 0
    bad_exits: int = 0
    hangs: int = 0
    bad_reports: int = 0
    unmasked_secrets: int = 0
    planted: int = 0  # files with a planted secret
    secret_findings: int = 0  # NB6xx findings in the json reports (the secrets were seen, and masked)
    exits: Counter = field(default_factory=Counter)
    mutations: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        if len(self.examples) < 20:
            self.examples.append(what)


# -- mutations ---------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys/indexes) to a value inside ``value``."""
    out = []
    stack = [(value, prefix)]
    while stack:
        v, p = stack.pop()
        if p:
            out.append(p)
        if isinstance(v, dict):
            stack.extend((x, (*p, k)) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, (*p, i)) for i, x in enumerate(v))
    return out


def _set(data: Any, path: tuple, value: Any) -> None:
    for k in path[:-1]:
        data = data[k]
    data[path[-1]] = value


def _get(data: Any, path: tuple) -> Any:
    for k in path:
        data = data[k]
    return data


def _wrong_type(rng: random.Random, current: Any) -> Any:
    choices = [None, True, 0, -1, 2**63, 1.5, "", "x", [], ["a", 1], {}, {"k": None}]
    return rng.choice([c for c in choices if type(c) is not type(current)])


def _code_cells(data: Any) -> list[dict]:
    cells = data.get("cells") if isinstance(data, dict) else None
    return [c for c in cells or [] if isinstance(c, dict) and c.get("cell_type") == "code"] if isinstance(
        cells, list) else []


def _add_source(rng: random.Random, data: Any, text: str) -> bool:
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return False
    code = _code_cells(data)
    if code and rng.random() < 0.7:
        cell = rng.choice(code)
        src = cell.get("source")
        src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else src or ""
        cell["source"] = src + ("\n" if src and not src.endswith("\n") else "") + text
    else:
        cells.insert(rng.randrange(len(cells) + 1), {"cell_type": "code", "metadata": {}, "execution_count": None,
                                                     "outputs": [], "source": text})
    return True


def _add_output(rng: random.Random, data: Any, text: str) -> bool:
    code = _code_cells(data)
    if not code:
        return False
    cell = rng.choice(code)
    outputs = cell.get("outputs")
    if not isinstance(outputs, list):
        outputs = cell["outputs"] = []
    kind = rng.choice(["stream", "execute_result", "error"])
    if kind == "stream":
        outputs.append({"output_type": "stream", "name": "stdout", "text": text})
    elif kind == "execute_result":
        outputs.append({"output_type": "execute_result", "execution_count": 1, "metadata": {},
                        "data": {"text/plain": text, "text/html": f"<pre>{text}</pre>"}})
    else:
        outputs.append({"output_type": "error", "ename": "ValueError", "evalue": text, "traceback": [text]})
    return True


def mutate(rng: random.Random, raw: bytes, data: Any) -> tuple[str, bytes, bool]:
    """(mutation name, bytes of the new file, whether a secret was planted)."""
    # Huge outputs are rare (1 in 50): each costs megabytes of disk and seconds of lint.
    kind = "huge_output" if rng.random() < 0.02 else rng.choice([
        "truncate", "wrong_type", "wrong_type", "wrong_type", "encoding", "surrogates", "huge_int", "deep",
        "controls", "secrets", "secrets", "nbformat", "bytes", "cell_type", "source_lines"])
    data = json.loads(json.dumps(data))
    secret = False
    if kind == "truncate":
        return kind, raw[: rng.randrange(len(raw) + 1)], False
    if kind == "bytes":
        b = bytearray(raw)
        for _ in range(rng.randint(1, 20)):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        return kind, bytes(b), False
    if kind == "encoding":
        text = json.dumps(data, indent=1, ensure_ascii=False)
        enc = rng.choice(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "bom", "utf-8-invalid"])
        if enc == "bom":
            return kind, b"\xef\xbb\xbf" + text.encode("utf-8"), False
        if enc == "utf-8-invalid":
            b = text.encode("utf-8")
            at = rng.randrange(len(b) + 1)
            return kind, b[:at] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]) + b[at:], False
        return kind, text.encode(enc, "replace"), False
    paths = _paths(data)
    if kind == "wrong_type" and paths:
        for _ in range(rng.randint(1, 3)):
            p = rng.choice(paths)
            try:
                _set(data, p, _wrong_type(rng, _get(data, p)))
            except (KeyError, IndexError, TypeError):
                pass
            paths = _paths(data) or [()]
            if paths == [()]:
                break
    elif kind == "surrogates":
        for _ in range(rng.randint(1, 5)):
            s = rng.choice(["\ud800", "\udfff", "\udc80", "a\ud83d", "\ude00z"])
            if not (_add_source(rng, data, f"x = '{s}'  # {s}") if rng.random() < 0.5 else False):
                strings = [p for p in _paths(data) if isinstance(_get(data, p), str)]
                if strings:
                    p = rng.choice(strings)
                    _set(data, p, _get(data, p) + s)
        if isinstance(data, dict) and rng.random() < 0.3:
            data.setdefault("metadata", {})["k\ud800"] = ["\udcff"]
    elif kind == "huge_int":
        digits = rng.choice([4301, 5000, 20000])
        choice = rng.random()
        if choice < 0.4:
            _add_source(rng, data, rng.choice([
                "x = 0x" + "f" * digits, f"random.seed(0x{'a' * digits})",
                f"from sklearn.svm import LinearSVC\nLinearSVC(dual=0x{'1' * digits})", "y = " + "9" * digits,
                f"assert 0b{'1' * (digits * 4)} == 1", f"import numpy as np\nnp.random.seed(0o{'7' * digits})"]))
        else:  # in the JSON: a count, a version, an image size...
            text = json.dumps(data)
            numbers = list(re.finditer(r'(?<=": )-?\d+(?=[,}\n])', text))
            if numbers:
                m = rng.choice(numbers)
                text = text[: m.start()] + "9" * digits + text[m.end():]
            return kind, text.encode("utf-8"), False
    elif kind == "deep":
        depth = rng.choice([50, 150, 250, 1000, 5000, 100000])
        deep: Any = "leaf"
        if depth <= 250:  # as values (json.dumps recurses); deeper ones are written as text
            for _ in range(depth):
                deep = [deep] if rng.random() < 0.5 else {"k": deep}
            target = rng.choice(paths) if paths and rng.random() < 0.7 else None
            if target is not None:
                try:
                    _set(data, target, deep)
                except (KeyError, IndexError, TypeError):
                    pass
            elif isinstance(data, dict):
                data.setdefault("metadata", {})
                if isinstance(data["metadata"], dict):
                    data["metadata"]["deep"] = deep
            return kind, json.dumps(data).encode("utf-8"), False
        text = json.dumps(data)
        at = text.find('"metadata": ')
        if at >= 0:
            at += len('"metadata": ')
            text = text[:at] + '{"deep": ' + "[" * depth + "]" * depth + ", " + text[at + 1:]
        return kind, text.encode("utf-8"), False
    elif kind == "huge_output":
        size = rng.choice([300_000, 2_000_000, 12_000_000])
        line = rng.choice(["a" * 99 + "\n", "é" * 50 + "\n", "\x1b[2K\r" * 10 + "\n"])
        _add_output(rng, data, line * (size // len(line)))
    elif kind == "controls":
        for _ in range(rng.randint(1, 4)):
            h = rng.choice(HOSTILE)
            where = rng.randrange(3)
            if where == 0:
                _add_source(rng, data, f"open('/Users/alice/{h}.csv')  # {h}")
            elif where == 1:
                _add_source(rng, data, f"import os{h}")
            else:
                _add_output(rng, data, f"line{h}end")
    elif kind == "secrets":
        for _ in range(rng.randint(1, 3)):
            text = rng.choice(SECRET_LINES)
            if rng.random() < 0.6:
                secret |= _add_source(rng, data, text + rng.choice(["", "\n", "  # noqa", "\nx = (", "\n%cd /x"]))
            else:
                secret |= _add_output(rng, data, rng.choice([text, f"connecting with {text}", f"env: {text}"]))
    elif kind == "nbformat" and isinstance(data, dict):
        data["nbformat"] = rng.choice([0, 1, 2, 3, 5, 99, -1, "4", 4.0, None])
        if data["nbformat"] in (1, 2, 3) and rng.random() < 0.7:
            cells = data.pop("cells", [])
            for c in cells if isinstance(cells, list) else []:
                if isinstance(c, dict) and c.get("cell_type") == "code":
                    c["input"] = c.pop("source", "")
                    c["prompt_number"] = c.pop("execution_count", None)
                    c["language"] = "python"
            data["worksheets"] = [{"cells": cells, "metadata": {}}]
    elif kind == "cell_type":
        for c in _code_cells(data)[:3]:
            c["cell_type"] = rng.choice(["heading", "", "markdown", "raw", "CODE", None])
    elif kind == "source_lines":
        for c in _code_cells(data):
            src = c.get("source")
            if isinstance(src, str):
                c["source"] = [line + rng.choice(["", "\n", "\r\n", "\r"]) for line in src.splitlines()]
    text = json.dumps(data, indent=rng.choice([None, 1]), ensure_ascii=rng.random() < 0.7)
    return kind, text.encode("utf-8", "surrogatepass"), secret


# -- running -------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1", "NB2PROD_DEBUG": "1", "PYTHONPATH": str(ROOT)}
    env.pop("FORCE_COLOR", None)
    return env


def run_cli(args: list[str | bytes], cwd: Path, timeout: float) -> tuple[int | None, bytes, bytes]:
    cmd = [sys.executable, "-m", "nb2prod", "lint", *args]
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, env=_env())
    except subprocess.TimeoutExpired as exc:
        return None, exc.stdout or b"", exc.stderr or b""
    return r.returncode, r.stdout, r.stderr


def judge(tally: Tally, what: str, fmt: str, code: int | None, out: bytes, err: bytes, secrets: bool) -> None:
    tally.runs += 1
    tally.exits[code] += 1
    if code is None:
        tally.hangs += 1
        tally.note(f"hang: {what}")
        return
    err_text = err.decode("utf-8", "replace")
    if TRACEBACK in err_text:
        tally.tracebacks += 1
        tally.note(f"traceback: {what}: {err_text.strip().splitlines()[-1][:200]}")
    if code not in (0, 1, 2):
        tally.bad_exits += 1
        tally.note(f"exit {code}: {what}")
    try:
        text = out.decode("utf-8")
        if fmt in ("json", "sarif"):
            doc = json.loads(text)
            if fmt == "json":
                tally.secret_findings += sum(1 for nb in doc["notebooks"] for f in nb["findings"]
                                             if f["code"].startswith("NB6"))
                tally.internal_errors += doc["summary"]["internal_errors"]
                if doc["summary"]["internal_errors"]:
                    tally.note(f"internal error: {what}: " + next(
                        e for nb in doc["notebooks"] for e in nb["internal_errors"])[:200])
        elif fmt == "junit":
            ET.fromstring(out)
        elif fmt == "text" and "internal error:" in text:
            tally.internal_errors += text.count(": internal error:")
            tally.note(f"internal error: {what}")
    except (ValueError, ET.ParseError, KeyError, StopIteration) as exc:
        tally.bad_reports += 1
        tally.note(f"bad {fmt} report: {what}: {exc}"[:200])
    if secrets:
        both = out + err
        for name, value in SECRETS.items():
            if value.encode() in both:
                tally.unmasked_secrets += 1
                tally.note(f"unmasked {name}: {what}")


def odd_file_types(tally: Tally, work: Path, sample: bytes) -> None:
    """FIFOs, devices, link loops...: named on the command line and met in a folder."""
    d = work / "odd"
    d.mkdir()
    (d / "good.ipynb").write_bytes(sample)
    made = []
    if hasattr(os, "mkfifo"):
        os.mkfifo(d / "fifo.ipynb")
        made.append("fifo.ipynb")
    for name, target in (("zero.ipynb", "/dev/zero"), ("null.ipynb", "/dev/null"), ("urandom.ipynb", "/dev/urandom"),
                         ("loop1.ipynb", "loop2.ipynb"), ("loop2.ipynb", "loop1.ipynb"),
                         ("broken.ipynb", "does-not-exist.ipynb"), ("self.ipynb", "self.ipynb")):
        try:
            (d / name).symlink_to(target)
            made.append(name)
        except OSError:
            pass
    (d / "folder.ipynb").mkdir()
    (d / "sub").mkdir()
    (d / "sub" / "up").symlink_to("..", target_is_directory=True)
    (d / "sub" / "deeper").symlink_to(d, target_is_directory=True)
    made += ["folder.ipynb", "sub"]
    for name in ODD_NAMES:
        try:
            (d / name).write_bytes(sample)
            made.append(name)
        except OSError:
            pass
    try:
        raw_name = os.path.join(os.fsencode(d), b"latin\xe9-\xff.ipynb")
        with open(raw_name, "wb") as fh:
            fh.write(sample)
        made.append(os.fsdecode(b"latin\xe9-\xff.ipynb"))
    except OSError:
        pass
    tally.files += len(made)
    for i, name in enumerate(made):
        fmt = FORMATS[i % len(FORMATS)]
        code, out, err = run_cli(["--format", fmt, "--", name, "good.ipynb"], d, timeout=30)
        judge(tally, f"odd file {name!r} ({fmt})", fmt, code, out, err, False)
    for fmt in FORMATS:
        code, out, err = run_cli([".", "--format", fmt], d, timeout=60)
        judge(tally, f"odd folder ({fmt})", fmt, code, out, err, False)
    # and /dev/zero, /dev/stdin named directly
    for name in ("/dev/zero", "/dev/stdin", "/proc/self/mem"):
        code, out, err = run_cli([name], d, timeout=30)
        judge(tally, f"device {name}", "text", code, out, err, False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="mutated files to lint (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of real notebooks")
    parser.add_argument("--batch", type=int, default=250, help="files per nb2prod run (default 250)")
    parser.add_argument("--parallel", type=int, default=2, help="nb2prod runs at once (default 2)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per batch run (default 600)")
    parser.add_argument("--keep", type=Path, help="write the mutated files here instead of a temporary folder")
    args = parser.parse_args()

    sources = sorted(args.corpus.rglob("*.ipynb"))
    if not sources:
        print(f"no notebooks under {args.corpus}", file=sys.stderr)
        return 2
    originals = []
    for p in sources:
        raw = p.read_bytes()
        try:
            originals.append((raw, json.loads(raw.decode("utf-8-sig"))))
        except ValueError:
            originals.append((raw, None))
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="nb2prod-fuzz-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    tally = Tally()
    started = time.perf_counter()

    batches: list[tuple[Path, str, bool]] = []
    n_batches = (args.count + args.batch - 1) // args.batch
    for b in range(n_batches):
        d = work / f"batch{b:03d}"
        d.mkdir()
        planted = False
        for i in range(min(args.batch, args.count - b * args.batch)):
            raw, data = rng.choice(originals)
            if data is None:
                kind, new, secret = "raw", raw, False
            else:
                kind, new, secret = mutate(rng, raw, data)
            planted |= secret
            tally.planted += secret
            tally.mutations[kind] += 1
            name = f"{i:04d}-{kind}.ipynb"
            if rng.random() < 0.03:
                name = f"{i:04d}-" + rng.choice(ODD_NAMES)
            if rng.random() < 0.05:
                sub = d / rng.choice(["nested/a", "nested/b/c", ".hidden", "node_modules", "with space"])
                sub.mkdir(parents=True, exist_ok=True)
                target = sub / name
            else:
                target = d / name
            target.write_bytes(new)
            tally.files += 1
        batches.append((d, FORMATS[b % len(FORMATS)], planted))

    def run_batch(item: tuple[Path, str, bool]) -> tuple[str, str, int | None, bytes, bytes, bool]:
        d, fmt, planted = item
        code, out, err = run_cli([".", "--format", fmt, "--jobs", "1"], d, timeout=args.timeout)
        return d.name, fmt, code, out, err, planted

    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        for name, fmt, code, out, err, planted in pool.map(run_batch, batches):
            judge(tally, f"{name} ({fmt})", fmt, code, out, err, planted)
            print(f"  {name} {fmt:<6} exit {code}  ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    odd_file_types(tally, work, originals[0][0])

    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
    rows = [
        ("files", tally.files), ("nb2prod runs", tally.runs), ("tracebacks", tally.tracebacks),
        ("internal errors", tally.internal_errors), ("exits other than 0/1/2", tally.bad_exits),
        ("hangs (timeouts)", tally.hangs), ("bad reports", tally.bad_reports),
        ("files with planted secrets", tally.planted), ("NB6xx findings (json batches)", tally.secret_findings),
        ("unmasked secrets", tally.unmasked_secrets), ("peak memory (MB)", round(peak_mb)),
        ("wall time (s)", round(elapsed)),
    ]
    print(f"nb2prod fuzz_lint: seed {args.seed}, {len(sources)} corpus notebooks")
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value:>8}")
    print("  exit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.exits.items(), key=str)))
    print("  mutations:  " + ", ".join(f"{k} {v}" for k, v in sorted(tally.mutations.items())))
    for e in tally.examples:
        print(f"  ! {e!r}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    bad = tally.tracebacks + tally.internal_errors + tally.bad_exits + tally.hangs + tally.bad_reports
    return 1 if bad + tally.unmasked_secrets else 0


if __name__ == "__main__":
    raise SystemExit(main())
