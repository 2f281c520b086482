"""Choose the notebooks of the precision set: ``python benchmarks/precision/choose_notebooks.py``.

Reads the repositories fetched under ``/work/.mirror/<owner>+<name>/repo`` (bare git
snapshots), takes a seeded random sample of each one's notebooks (under a size limit, so
the set stays small in this repository), copies them unchanged into ``notebooks/<owner>__<name>/<their path>``, with the
dependency files (requirements*.txt, environment*.yml, pyproject.toml, Pipfile) of the
folders above them and the repository's Python modules in and below those folders (at
most three levels down, tests and hidden folders left out), since the environment rules
read those to tell a local module from a package to install, and writes ``SOURCES.tsv``
(file, repository, commit, path, licence, sha256). The sample is drawn, not hand-picked,
so the set is not tuned to what the linter already does well.
"""

from __future__ import annotations

import hashlib
import random
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIRROR = Path("/work/.mirror")
MAX_BYTES = 800_000
SEED = 13
DEPENDENCY_FILE = re.compile(r"(requirements[^/]*\.txt|environment[^/]*\.ya?ml|pyproject\.toml|Pipfile)")

# repository -> (licence, how many, path prefix the sample is drawn from)
REPOS: dict[str, tuple[str, int, str]] = {
    "ageron/handson-ml3": ("Apache-2.0", 8, ""),
    "rasbt/machine-learning-book": ("MIT", 8, ""),
    "huggingface/notebooks": ("Apache-2.0", 8, "examples/"),
    "fchollet/deep-learning-with-python-notebooks": ("MIT", 8, ""),
    "PacktPublishing/Hands-On-Gradient-Boosting-with-XGBoost-and-Scikit-learn": ("MIT", 6, ""),
    "GokuMohandas/Made-With-ML": ("MIT", 1, ""),
    "mrdbourke/pytorch-deep-learning": ("MIT", 6, ""),
    "catboost/tutorials": ("Apache-2.0", 6, ""),
}


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def main() -> int:
    out = HERE / "notebooks"
    rows = ["file\trepository\tcommit\tpath\tlicence\tsha256"]
    for name, (licence, count, prefix) in REPOS.items():
        repo = MIRROR / name.replace("/", "+") / "repo"
        commit = git(repo, "rev-parse", "HEAD").decode().strip()
        eligible, dependency_files, modules = [], [], []
        for line in git(repo, "ls-tree", "-r", "-l", "HEAD").decode().splitlines():
            meta, path = line.split("\t", 1)
            size = meta.split()[3]
            if DEPENDENCY_FILE.fullmatch(path.rsplit("/", 1)[-1]):
                dependency_files.append(path)
            parts = path.split("/")
            if path.endswith(".py") and not any(p.startswith(".") or p == "tests" for p in parts):
                modules.append(path)
            if (path.endswith(".ipynb") and path.startswith(prefix) and ".ipynb_checkpoints/" not in path
                    and size.isdigit() and int(size) <= MAX_BYTES):
                eligible.append(path)
        chosen = sorted(random.Random(f"{SEED}:{name}").sample(sorted(eligible), min(count, len(eligible))))
        folders = {str(Path(p).parent) for p in chosen}
        above = {str(a) for f in folders for a in [Path(f), *Path(f).parents]}
        wanted = chosen + sorted(d for d in dependency_files if str(Path(d).parent) in above)
        wanted += sorted(m for m in modules
                         if any(str(a) in above for a in list(Path(m).parents)[:3]) and m not in wanted)
        for path in wanted:
            data = git(repo, "show", f"{commit}:{path}")
            target = out / name.replace("/", "__") / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            rel = target.relative_to(out).as_posix()
            rows.append(f"{rel}\t{name}\t{commit}\t{path}\t{licence}\t{hashlib.sha256(data).hexdigest()}")
    (HERE / "SOURCES.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows) - 1} files from {len(REPOS)} repositories", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
