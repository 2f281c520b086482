"""The CI entry points outside the package: the pre-commit hooks, the GitHub Action, the
JUnit report as CI systems read it, and the copy-paste configurations of docs/ci.md."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from _notebooks import code, md, stream, write

import nb2prod.pytest_plugin as plugin
from nb2prod.cli import build_parser
from nb2prod.cli import main as cli_main
from nb2prod.config import Overrides
from nb2prod.diagnostics import Severity
from nb2prod.engine import lint_paths

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _flags(command: str) -> set[str]:
    return {s for a in _subcommands()[command]._actions for s in a.option_strings}


def _clean_wired() -> bool:
    return "clean" in _subcommands()


def write_notebook(path: Path, *sources: str, outputs: bool = False) -> Path:
    """A titled notebook of code cells; with ``outputs``, each ran in order and printed ``out``."""
    cells = [code(s, count=i, outputs=[stream("out\n")]) if outputs else code(s)
             for i, s in enumerate(sources, start=1)]
    return write(path, md("# A notebook"), *cells)


def doc_blocks(section: str, lang: str) -> list[str]:
    """The fenced ``lang`` blocks under the ``## section`` heading of docs/ci.md."""
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"docs/ci.md has no section {section!r}"
    return re.findall(rf"^```{lang}\n(.*?)^```", m.group(1), re.S | re.M)


# -- pre-commit ---------------------------------------------------------------------


def test_pre_commit_hooks_are_well_formed() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {h["id"]: h for h in hooks}
    assert set(by_id) == {"nb2prod-lint", "nb2prod-fix", "nb2prod-clean"}
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python"  # pre-commit installs the repository itself
        assert hook["types_or"] == ["jupyter"]
        program, command, *rest = shlex.split(hook["entry"])
        assert program == "nb2prod" and (not rest or hook["id"] == "nb2prod-fix")
    assert shlex.split(by_id["nb2prod-fix"]["entry"])[1:] == ["lint", "--fix-only"]
    assert "--fix-only" in _flags("lint")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^nb2prod = "nb2prod\.cli:main"$', pyproject, re.M)  # the console script
    assert shlex.split(by_id["nb2prod-lint"]["entry"])[1] in _subcommands()
    assert _clean_wired()
    assert "--check" in _flags("clean")


def test_pre_commit_validates_the_manifest() -> None:
    if importlib.util.find_spec("pre_commit") is None:
        pytest.skip("pre-commit is not installed (it is in the test extra)")
    r = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """This checkout as pre-commit sees a hook repository: a git repo holding what the
    wheel needs and the manifest, committed (uncommitted work included). Returns
    (repo, commit, PRE_COMMIT_HOME shared by the tests, so nb2prod installs once)."""
    if importlib.util.find_spec("pre_commit") is None or shutil.which("git") is None:
        pytest.skip("pre-commit or git is not installed (pre-commit is in the test extra)")
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("nb2prod", "templates"):
        shutil.copytree(ROOT / name, repo / name, ignore=ignore)
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "-m", "hooks", cwd=repo)
    return repo, _git("rev-parse", "HEAD", cwd=repo), tmp_path_factory.mktemp("pre-commit-home")


def _pre_commit(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    env.pop("VIRTUAL_ENV", None)
    r = subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=project, capture_output=True,
                       text=True, env=env, timeout=900)
    if r.returncode == 3:  # pre-commit's "unexpected error": most often installing the hook's environment
        log = (home / "pre-commit.log").read_text(encoding="utf-8", errors="replace") if (
            home / "pre-commit.log").is_file() else ""
        if re.search(r"Failed to establish a new connection|Temporary failure in name resolution|"
                     r"No matching distribution found|Network is unreachable", log):
            pytest.skip("pre-commit could not install nb2prod's dependencies (no package index reachable)")
    return r


def _project(tmp_path: Path, hook_repo: tuple[Path, str, Path], hooks: list[str]) -> Path:
    """A git repository whose .pre-commit-config.yaml is the one of docs/ci.md, pointed
    at the local hook repository, with only ``hooks`` kept."""
    repo, rev, _home = hook_repo
    config = yaml.safe_load(doc_blocks("pre-commit", "yaml")[0])
    entry = config["repos"][0]
    entry["repo"], entry["rev"] = str(repo), rev
    entry["hooks"] = [h for h in entry["hooks"] if h["id"] in hooks]
    assert [h["id"] for h in entry["hooks"]] == hooks
    project = tmp_path / "project"
    project.mkdir()
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (project / "pyproject.toml").write_text('[tool.nb2prod]\nselect = ["NB7"]\n', encoding="utf-8")
    _git("init", "-q", cwd=project)
    return project


@pytest.mark.slow
def test_pre_commit_runs_the_lint_hook(tmp_path: Path, hook_repo) -> None:
    project = _project(tmp_path, hook_repo, ["nb2prod-lint"])
    write_notebook(project / "nb" / "dirty.ipynb", "y = nope")
    write_notebook(project / "clean.ipynb", "x = 1")
    (project / "notes.txt").write_text("not a notebook\n", encoding="utf-8")
    _git("add", "-A", cwd=project)
    r = _pre_commit(project, hook_repo[2], "run", "--all-files")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "nb2prod lint" in r.stdout and "Failed" in r.stdout
    assert "nb/dirty.ipynb:cell 2:1:5: NB701" in r.stdout
    assert "clean.ipynb:cell" not in r.stdout and "clean.ipynb: readiness 100/100" in r.stdout
    write_notebook(project / "nb" / "dirty.ipynb", "y = 1")
    _git("add", "-A", cwd=project)
    r = _pre_commit(project, hook_repo[2], "run", "--all-files")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Passed" in r.stdout


@pytest.mark.slow
def test_pre_commit_runs_the_clean_hook(tmp_path: Path, hook_repo) -> None:
    assert _clean_wired()
    project = _project(tmp_path, hook_repo, ["nb2prod-clean"])
    nb = write_notebook(project / "a.ipynb", "print('hi')", outputs=True)
    _git("add", "-A", cwd=project)
    r = _pre_commit(project, hook_repo[2], "run", "--all-files")
    assert r.returncode == 1 and "files were modified by this hook" in r.stdout, r.stdout + r.stderr
    cleaned = nbformat.read(nb, as_version=4)
    assert cleaned.cells[1].outputs == [] and cleaned.cells[1].execution_count is None
    _git("add", "-A", cwd=project)
    r = _pre_commit(project, hook_repo[2], "run", "--all-files")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.slow
def test_pre_commit_runs_the_fix_hook(tmp_path: Path, hook_repo) -> None:
    project = _project(tmp_path, hook_repo, ["nb2prod-fix"])
    (project / "pyproject.toml").write_text('[tool.nb2prod]\nselect = ["NB102"]\n', encoding="utf-8")
    nb = write_notebook(project / "a.ipynb", "import numpy as np", "x = np.random.rand(3)")
    _git("add", "-A", cwd=project)
    r = _pre_commit(project, hook_repo[2], "run", "--all-files")
    assert r.returncode == 1 and "files were modified by this hook" in r.stdout, r.stdout + r.stderr
    fixed = nbformat.read(nb, as_version=4)
    assert fixed.cells[1].source == "import numpy as np\nnp.random.seed(0)"
    _git("add", "-A", cwd=project)
    r = _pre_commit(project, hook_repo[2], "run", "--all-files")
    assert r.returncode == 0, r.stdout + r.stderr


# -- the GitHub Action ----------------------------------------------------------------


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def test_action_is_a_well_formed_composite_action() -> None:
    action = _action()
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {"paths", "fail-on", "sarif", "python-version", "version", "args"} <= set(inputs)
    assert all("description" in spec and "default" in spec for spec in inputs.values())
    steps = action["runs"]["steps"]
    ids = {s["id"] for s in steps if "id" in s}
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash"  # composite steps must name their shell
        refs = _EXPR.findall(yaml.safe_dump(step)) + ([step["if"]] if "if" in step else [])
        for ref in refs:
            for name in re.findall(r"\binputs\.([\w-]+)", ref):
                assert name in inputs, f"step {step.get('name')} uses undeclared input {name}"
            for sid in re.findall(r"\bsteps\.([\w-]+)\.", ref):
                assert sid in ids
    for out in action["outputs"].values():
        assert re.fullmatch(r"\$\{\{ steps\.lint\.outputs\.[\w-]+ \}\}", out["value"])
    uses = [s["uses"] for s in steps if "uses" in s]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert "sarif_file" in upload["with"]
    install = next(s for s in steps if s.get("id") == "install")
    assert "github.action_path" in install["env"]["ACTION_PATH"]
    # Every nb2prod command line in the scripts uses flags `nb2prod lint` has.
    lint_flags = _flags("lint")
    for step in steps:
        for line in step.get("run", "").splitlines():
            if line.strip().startswith("nb2prod lint"):
                for flag in re.findall(r"(?<![\w-])(--[\w-]+)", line):
                    assert flag in lint_flags, flag


def _evaluate(expr: str, ctx: dict[str, str]) -> str:
    """The few expression forms action.yml uses: a context value, `a == 'b'`,
    `a != ''`, joined with `&&`."""
    if "&&" in expr:
        return "true" if all(_evaluate(p, ctx) == "true" for p in expr.split("&&")) else "false"
    m = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", expr)
    if m:
        equal = ctx.get(m.group(1), "") == m.group(3)
        return "true" if equal == (m.group(2) == "==") else "false"
    key = expr.strip()
    assert re.fullmatch(r"[\w.-]+", key), f"unsupported expression {expr!r}"
    return ctx.get(key, "")


def run_action(workdir: Path, **inputs: str) -> tuple[int, str, dict[str, str], list[str]]:
    """Run the action's steps as the runner would (bash -eo pipefail, GITHUB_OUTPUT,
    expressions filled in), with nb2prod already installed: the install step and the
    `uses:` steps are recorded, not run. Returns (exit code of the job, its log,
    the lint step's outputs, the `uses:` steps that would have run)."""
    action = _action()
    ctx = {f"inputs.{k}": str(v["default"]) for k, v in action["inputs"].items()}
    ctx.update({f"inputs.{k}": v for k, v in inputs.items()})
    ctx["github.action_path"] = str(ROOT)
    log, used = [], []
    outputs: dict[str, str] = {}
    for step in action["runs"]["steps"]:
        if "if" in step and _evaluate(step["if"], ctx) != "true":
            continue
        if "uses" in step:
            used.append(step["uses"].split("@")[0])
            continue
        if step.get("id") == "install":
            continue
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
        for key, value in step.get("env", {}).items():
            env[key] = _EXPR.sub(lambda m: _evaluate(m.group(1), ctx), str(value))
        out_file = workdir / f".github-output-{step.get('id', 'step')}"
        out_file.write_text("", encoding="utf-8")
        env["GITHUB_OUTPUT"] = str(out_file)
        env["GITHUB_STEP_SUMMARY"] = str(workdir / ".step-summary")
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=workdir,
                           env=env, capture_output=True, text=True, timeout=300)
        log.append(r.stdout + r.stderr)
        for line in out_file.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if step.get("id"):
                ctx[f"steps.{step['id']}.outputs.{key}"] = value
            if step.get("id") == "lint":
                outputs[key] = value
        if r.returncode != 0:
            return r.returncode, "".join(log), outputs, used
    return 0, "".join(log), outputs, used


@pytest.mark.slow
def test_action_annotates_uploads_sarif_and_fails_with_nb2prods_exit_code(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nbs" / "dirty.ipynb", "import os", "y = nope")
    write_notebook(tmp_path / "nbs" / "clean.ipynb", "x = 1")
    code, log, outputs, used = run_action(tmp_path, paths="nbs", sarif="true", args="--select NB7")
    assert code == 1 and outputs["exit-code"] == "1"
    assert re.search(r"^::error file=nbs/dirty\.ipynb,line=\d+,title=NB701 undefined-name::", log, re.M)
    assert re.search(r"^::warning file=nbs/dirty\.ipynb,line=\d+,title=NB702", log, re.M)
    assert "nb2prod lint exited 1" in log
    # The SARIF report is written and uploaded even though the lint failed.
    assert outputs["sarif-file"] == "nb2prod.sarif"
    sarif = json.loads((tmp_path / "nb2prod.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"NB701", "NB702"}
    assert used == ["actions/setup-python", "github/codeql-action/upload-sarif"]
    assert (tmp_path / ".step-summary").read_text(encoding="utf-8").startswith("nb2prod: readiness ")

    # fail-on has the CLI's meaning: a warning fails only at `warning`.
    write_notebook(tmp_path / "nbs" / "dirty.ipynb", "import os")
    assert run_action(tmp_path, paths="nbs", args="--select NB7")[0] == 0
    code, _log, outputs, used = run_action(tmp_path, paths="nbs", args="--select NB7", **{"fail-on": "warning"})
    assert code == 1 and "sarif-file" not in outputs and used == ["actions/setup-python"]
    # A usage error is exit 2, and the SARIF of the earlier run is not uploaded again.
    assert (tmp_path / "nb2prod.sarif").is_file()
    code, log, outputs, used = run_action(tmp_path, paths="nbs", sarif="true", args="--select NB999")
    assert code == 2 and "unknown rule selector 'NB999'" in log
    assert "sarif-file" not in outputs and "github/codeql-action/upload-sarif" not in used
    assert not (tmp_path / "nb2prod.sarif").exists()


def test_documented_workflow_uses_the_actions_inputs() -> None:
    action = _action()
    workflow = yaml.safe_load(doc_blocks("GitHub Actions", "yaml")[0])
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["nb2prod"]["steps"]
    ours = next(s for s in steps if s.get("uses", "").startswith("nb2prod/nb2prod@"))
    assert set(ours["with"]) <= set(action["inputs"])
    plain = yaml.safe_load(doc_blocks("GitHub Actions", "yaml")[1])
    for step in plain["jobs"]["notebooks"]["steps"]:
        if step.get("run", "").startswith("nb2prod lint"):
            build_parser().parse_args(shlex.split(step["run"])[1:])


def test_sarif_uris_are_percent_encoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """Code scanning resolves each result's artifact URI against the repository: a file name with
    spaces or non-ASCII letters must be percent-encoded (RFC 3986) to find the file."""
    write_notebook(tmp_path / "ünï code.ipynb", "import os")
    monkeypatch.chdir(tmp_path)
    cli_main(["lint", ".", "--format", "sarif"])
    doc = json.loads(capsys.readouterr().out)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert uris == {"%C3%BCn%C3%AF%20code.ipynb"}


# -- JUnit as CI systems read it --------------------------------------------------------


@pytest.mark.parametrize("fail_on", ["error", "warning"])
def test_junit_read_by_a_junit_consumer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on: str) -> None:
    """junitparser (the library CI tools and report mergers build on) reads one test
    case per notebook and one failure per finding at or above --fail-on."""
    junitparser = pytest.importorskip("junitparser", reason="junitparser is in the test extra")
    monkeypatch.chdir(tmp_path)
    paths = [write_notebook(tmp_path / "both.ipynb", "import os", "y = nope", "z = nada"),
             write_notebook(tmp_path / "warn.ipynb", "import sys"),
             write_notebook(tmp_path / "clean.ipynb", "x = 1")]
    (tmp_path / "broken.ipynb").write_text("{oops", encoding="utf-8")
    args = ["--select", "NB7", "--fail-on", fail_on, "--format", "junit"]
    code = cli_main(["lint", *[p.name for p in paths], "broken.ipynb", *args, "--output", "report.xml"])
    assert code == 2  # the unreadable file
    assert cli_main(["lint", *[p.name for p in paths], *args, "-q"]) == 1

    level = Severity.parse(fail_on)
    run = lint_paths([Path(p.name) for p in paths], Overrides(select=("NB7",)))
    expected = {nb.path: sorted(f.code for f in nb.failing(level)) for nb in run.notebooks}
    assert expected["both.ipynb"] == (["NB701", "NB701"] if fail_on == "error" else ["NB701", "NB701", "NB702"])

    xml = junitparser.JUnitXml.fromfile(str(tmp_path / "report.xml"))
    cases = {case.name: case for suite in xml for case in suite}
    assert set(cases) == {"both.ipynb", "warn.ipynb", "clean.ipynb", "broken.ipynb"}  # one per notebook
    for name, codes in expected.items():
        failures = [r for r in cases[name].result if isinstance(r, junitparser.Failure)]
        assert sorted(f.type for f in failures) == codes, name
        assert all(f.message.startswith(f.type) for f in failures)
        assert cases[name].is_passed == (not codes)
    assert cases["clean.ipynb"].is_passed
    errors = [r for r in cases["broken.ipynb"].result if isinstance(r, junitparser.Error)]
    assert len(errors) == 1 and "invalid JSON" in errors[0].message
    suite = next(iter(xml))
    assert suite.tests == 4 and suite.errors == 1
    assert suite.failures == sum(1 for codes in expected.values() if codes)  # failed test cases, as JUnit counts


@pytest.mark.slow
def test_documented_gitlab_job_writes_a_junit_report_and_fails(tmp_path: Path) -> None:
    """The GitLab job of docs/ci.md, its script run line by line as the runner does
    (stopping at the first failing line), nb2prod already installed."""
    junitparser = pytest.importorskip("junitparser", reason="junitparser is in the test extra")
    job = yaml.safe_load(doc_blocks("GitLab CI", "yaml")[0])["nb2prod"]
    report = job["artifacts"]["reports"]["junit"]
    assert job["artifacts"]["when"] == "always"
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nselect = ["NB7"]\n', encoding="utf-8")
    write_notebook(tmp_path / "notebooks" / "a.ipynb", "y = nope")
    write_notebook(tmp_path / "notebooks" / "b.ipynb", "x = 1")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    status, log = 0, ""
    for line in job["script"]:
        if "pip install" in line:
            continue
        r = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        log += r.stdout + r.stderr
        if r.returncode != 0:
            status = r.returncode
            break
    assert status == 1 and "notebooks/a.ipynb:cell 2:1:5: NB" in log
    cases = {c.name: c for suite in junitparser.JUnitXml.fromfile(str(tmp_path / report)) for c in suite}
    assert set(cases) == {"notebooks/a.ipynb", "notebooks/b.ipynb"}
    assert not cases["notebooks/a.ipynb"].is_passed and cases["notebooks/b.ipynb"].is_passed
    for path in job["artifacts"]["paths"]:
        json.loads((tmp_path / path).read_text(encoding="utf-8"))  # the SARIF artifact
    pytest_job = yaml.safe_load(doc_blocks("GitLab CI", "yaml")[1])["notebooks"]
    assert pytest_job["artifacts"]["reports"]["junit"] in " ".join(pytest_job["script"])


# -- the documented pytest configuration --------------------------------------------------


def test_documented_pytest_configuration_works(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (snippet,) = doc_blocks("pytest plugin", "toml")
    pytester.makepyprojecttoml(snippet + '\n[tool.nb2prod]\nselect = ["NB7"]\n')
    write_notebook(pytester.path / "notebooks" / "a.ipynb", "y = nope")
    write_notebook(pytester.path / "notebooks" / "b.ipynb", "x = 1")
    result = pytester.runpytest("-p", "no:cacheprovider", "-v", "--junitxml=report.xml", plugins=[plugin])
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*notebooks/a.ipynb::lint FAILED*", "*notebooks/b.ipynb::lint PASSED*"])
    report = (pytester.path / "report.xml").read_text(encoding="utf-8")
    assert report.count("<testcase") == 2 and "NB701" in report


# -- .ci/run and the README -----------------------------------------------------------------


def test_ci_runs_the_readmes_commands_verbatim() -> None:
    """.ci/run runs, line for line, the README's test, lint and type-check commands (ruff and
    mypy before the tests) and its quick-start command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    blocks = [b.strip().splitlines() for b in re.findall(r"^ *```bash\n(.*?)^ *```", readme, re.S | re.M)]
    commands = [line.strip() for block in blocks for line in block]
    test = "python -m pip install -e '.[test]' && python -m pytest"
    ruff, mypy = "ruff check nb2prod tests benchmarks tools", "mypy"
    for command in (test, ruff, mypy, 'python -m pytest -m "not slow"'):
        assert command in commands, f"the README shows no `{command}`"
    for command in (test, ruff, mypy):
        assert command in ci_lines, f".ci/run does not run `{command}`"
    assert ci_lines.index(ruff) < ci_lines.index(test) and ci_lines.index(mypy) < ci_lines.index(test)
    quick_start = next(c for c in commands if c.startswith("python -m pip install -e '.[build]' -r examples/iris"))
    assert quick_start in ci_lines
