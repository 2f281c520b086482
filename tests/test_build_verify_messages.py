"""When `--verify` fails, one line says why: `verify_failure_summary` of the verify log.

The logs are real: pytest run on small failing test files in tmp_path and pip asked for a
distribution that does not exist (`--no-index`), each through `run_step`, the function that
writes verify's log. No log here is typed by hand except a step's line of verify's own.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from nb2prod.converter.requirements import (
    LOCK_FILE,
    PYTEST_OPTIONS,
    REQUIREMENTS_FILE,
    STEP_MARK,
    TESTS_LABEL,
    run_step,
    verify,
    verify_failure_summary,
)

LONG_NAME = "test_a_name_long_enough_that_its_node_id_and_message_do_not_fit_in_eighty_columns"
MISSING = "nb2prod-no-such-distribution==1.0"


@pytest.fixture(autouse=True)
def no_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest runs here load no plugin of this environment's (hypothesis, schemathesis...): quicker."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def make_project(tmp_path: Path, **files: str) -> Path:
    """A project in tmp_path with a tests/ folder of these files (and the template's pytest options)."""
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-ra --strict-markers"\n',
                                            encoding="utf-8")
    for name, text in files.items():
        (project / "tests" / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    return project


def run_tests(project: Path, options: tuple[str, ...] = PYTEST_OPTIONS) -> str:
    """The verify log of a venv made fine, then pytest run on `project`'s tests as verify runs them."""
    log: list[str] = []
    assert run_step(log, "creating a fresh virtual environment", [sys.executable, "-c", "pass"], project)
    assert not run_step(log, TESTS_LABEL, [sys.executable, "-m", "pytest", *options, str(project / "tests")], project)
    return "\n".join(log)


def test_the_first_failing_test_and_its_first_error_line(tmp_path: Path) -> None:
    project = make_project(tmp_path, test_service=f"""
        import pytest

        def test_passes():
            assert True

        @pytest.mark.parametrize("case", ["a b"])
        def {LONG_NAME}(case):
            assert 1 + 1 == 3, "the first line of the message\\nand a second one"

        def test_fails_too():
            assert [1] == [2]
    """)
    log = run_tests(project)
    assert f"FAILED tests/test_service.py::{LONG_NAME}[a b] - AssertionError: the first line" in log  # whole
    assert verify_failure_summary(log) == (
        f"tests/test_service.py::{LONG_NAME}[a b] failed: AssertionError: the first line of the message "
        "(2 failed, 1 passed)"
    )


def test_a_message_pytest_cut_is_read_from_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At pytest's default verbosity the summary line is cut to 80 columns (here, to its node id): the
    first `E` line of the test's report says it instead. (pytest cuts nothing where `CI` or
    `BUILD_NUMBER` is set, so they are unset here, as on a user's machine.)"""
    for name in ("CI", "BUILD_NUMBER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    project = make_project(tmp_path, test_service=f"""
        def {LONG_NAME}():
            assert {{"a": 1}}.get("a") == 2
    """)
    log = run_tests(project, ("-q", "-p", "no:cacheprovider"))
    assert f"FAILED tests/test_service.py::{LONG_NAME}\n" in log
    assert verify_failure_summary(log) == (
        f"tests/test_service.py::{LONG_NAME} failed: AssertionError: assert 1 == 2 (1 failed)"
    )


def test_a_fixture_that_cannot_start_and_a_test_file_that_cannot_be_imported(tmp_path: Path) -> None:
    project = make_project(tmp_path, test_smoke="""
        import pytest

        @pytest.fixture
        def client():
            pytest.fail("the service will not become ready: the artifact model differs from the lock")

        def test_health(client):
            pass
    """)
    assert verify_failure_summary(run_tests(project)) == (
        "tests/test_smoke.py::test_health could not run (error): Failed: the service will not become ready: "
        "the artifact model differs from the lock (1 error)"
    )
    (project / "tests" / "test_broken.py").write_text("import nb2prod_no_such_module\n", encoding="utf-8")
    assert verify_failure_summary(run_tests(project)) == (
        "tests/test_broken.py could not run (error): ModuleNotFoundError: No module named 'nb2prod_no_such_module' "
        "(1 error)"
    )


def test_no_tests_and_no_pytest(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert verify_failure_summary(run_tests(project)) == "the generated tests: none was collected"
    log: list[str] = []
    assert not run_step(log, TESTS_LABEL, [str(tmp_path / "venv" / "bin" / "pytest"), "tests"], project)
    assert verify_failure_summary("\n".join(log)) == (
        f"the generated tests failed: cannot run {tmp_path / 'venv' / 'bin' / 'pytest'}: No such file or directory"
    )


def test_a_failed_pip_step_and_its_first_error_line(tmp_path: Path) -> None:
    log: list[str] = []
    assert run_step(log, "creating a fresh virtual environment", [sys.executable, "-c", "pass"], tmp_path)
    label = f"installing {REQUIREMENTS_FILE}"
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-index", MISSING]
    assert not run_step(log, label, command, tmp_path)
    text = "\n".join(log)
    error = next(line for line in text.splitlines() if line.startswith("ERROR:"))
    assert MISSING in error
    assert verify_failure_summary(text) == f"{label} failed (exit status 1): {error}"
    assert verify_failure_summary(text).startswith(
        f"{label} failed (exit status 1): ERROR: Could not find a version that satisfies the requirement {MISSING}"
    )


def test_verify_s_own_reasons_after_steps_that_went_well(tmp_path: Path) -> None:
    log: list[str] = []
    assert run_step(log, "installing the package and its test dependencies", [sys.executable, "-c", "pass"], tmp_path)
    reason = f"installed versions differ from {REQUIREMENTS_FILE}: numpy==2.0.0 (installed: 2.1.0)"
    log.append(f"{STEP_MARK}{reason}")
    assert verify_failure_summary("\n".join(log)) == reason
    note = f"{STEP_MARK}no {LOCK_FILE}: this pip cannot report a resolution; installing {REQUIREMENTS_FILE}"
    log.append(note)  # not a reason to stop: a step follows, and fails
    assert not run_step(log, f"installing {REQUIREMENTS_FILE}", [sys.executable, "-c", "print('bad'); exit(3)"],
                        tmp_path)
    assert verify_failure_summary("\n".join(log)) == f"installing {REQUIREMENTS_FILE} failed (exit status 3): bad"


def test_a_long_error_line_is_cut() -> None:
    log: list[str] = []
    assert not run_step(log, "a step", [sys.executable, "-c", "import sys; sys.exit('ERROR: ' + 'x' * 1000)"], ".")
    summary = verify_failure_summary("\n".join(log))
    assert summary.startswith("a step failed (exit status 1): ERROR: xxx") and summary.endswith("x…")
    assert len(summary) < 400 and "\n" not in summary


class Progress:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def progress(self, stage: str, message: str) -> None:
        self.seen.append(message)


@pytest.mark.slow  # makes a venv
def test_verify_stops_at_a_resolution_that_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A requirement that no index has: the resolution step fails, and verify says so at once (it does not
    go on as if pip could not report)."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # no package index is asked
    (tmp_path / REQUIREMENTS_FILE).write_text(f"{MISSING}\n", encoding="utf-8")
    progress = Progress()
    ok, log = verify(tmp_path, progress)
    assert not ok
    assert progress.seen == ["creating a fresh virtual environment", "resolving the pinned requirements (hashed lock)"]
    assert verify_failure_summary(log).startswith(
        "resolving the pinned requirements (hashed lock) failed (exit status 1): ERROR: Could not find a version "
        f"that satisfies the requirement {MISSING}"
    )
    assert not (tmp_path / LOCK_FILE).exists()
