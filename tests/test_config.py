from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.config import ConfigError, Overrides, settings_for, settings_from_table
from nb2prod.diagnostics import Severity
from nb2prod.engine import lint_file
from nb2prod.rules import REGISTRY


def _settings(table, overrides=Overrides()):
    return settings_from_table(table, None, overrides)


def test_defaults_select_every_rule() -> None:
    assert _settings({}).enabled(None) == frozenset(REGISTRY)


def test_cli_select_replaces_and_extends() -> None:
    s = _settings({"select": ["NB3"], "ignore": ["NB301"]}, Overrides(select=("NB7",), extend_select=("NB303",)))
    enabled = s.enabled(None)
    assert "NB303" in enabled and "NB701" in enabled and "NB302" not in enabled


def test_cli_ignore_adds_to_config_ignore() -> None:
    s = _settings({"ignore": ["NB7"]}, Overrides(ignore=("NB3",)))
    assert not any(c.startswith(("NB3", "NB7")) for c in s.enabled(None))


def test_severity_overrides_longest_prefix() -> None:
    s = _settings({"severity": {"NB7": "info", "NB701": "warning"}})
    assert s.severity_of("NB702", Severity.WARNING) is Severity.INFO
    assert s.severity_of("NB701", Severity.ERROR) is Severity.WARNING
    assert s.severity_of("NB301", Severity.WARNING) is Severity.WARNING


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"selct": ["NB1"]}, "unknown [tool.nb2prod] key 'selct'"),
        ({"select": ["NB9"]}, "unknown rule selector 'NB9'"),
        ({"select": "NB1,NB2"}, "unknown rule selector"),
        ({"ignore": [1]}, "'ignore' must be a list of strings"),
        ({"severity": {"NB1": "fatal"}}, "unknown severity"),
        ({"fail-on": "never"}, "fail-on"),
        ({"max-output-bytes": -1}, "non-negative integer"),
        ({"per-file-ignores": ["x"]}, "per-file-ignores"),
    ],
)
def test_bad_config_is_one_clear_error(table, message) -> None:
    with pytest.raises(ConfigError) as err:
        _settings(table)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_nearest_pyproject_with_table_wins(tmp_path: Path, write_nb) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nignore = ["NB7"]\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no [tool.nb2prod]: skipped
    nb = write_nb("import os", name="sub/nb.ipynb")
    s = settings_for(nb)
    assert s.config_file == tmp_path / "pyproject.toml"
    assert not any(c.startswith("NB7") for c in s.enabled(nb))


def test_per_file_ignores(tmp_path: Path, write_nb) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nb2prod]\nper-file-ignores = { "scratch/*.ipynb" = ["NB702"], "legacy/" = ["unused-import"] }\n'
    )
    kept = write_nb("import os", name="work/a.ipynb")
    dropped = write_nb("import os", name="scratch/b.ipynb")
    legacy = write_nb("import os", name="legacy/deep/c.ipynb")
    codes = lambda p: {f.code for f in lint_file(p).findings}
    assert "NB702" in codes(kept)
    assert "NB702" not in codes(dropped)
    assert "NB702" not in codes(legacy)


def test_invalid_toml_is_reported_for_the_file(tmp_path: Path, write_nb) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nb2prod\nselect=")
    nb = write_nb("x = 1")
    result = lint_file(nb)
    assert result.error is not None and "invalid TOML" in result.error and "pyproject.toml" in result.error
