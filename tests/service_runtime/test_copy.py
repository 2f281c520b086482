"""nb2prod/converter/runtime.py: the runtime is copied verbatim into a project whose template asks for it,
and stays out of the rest of nb2prod (fastapi, uvicorn and prometheus-client are not nb2prod's dependencies)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.converter.errors import BuildError
from nb2prod.converter.runtime import RUNTIME_DIR, copy_runtime, runtime_files, template_wants_runtime

ROOT = Path(__file__).resolve().parents[2]
THIRD_PARTY = {"fastapi", "h11", "joblib", "prometheus_client", "psycopg", "pydantic", "skops", "starlette", "uvicorn",
               "pandas", "pyarrow", "pyspark"}
"""The serving stack; pandas (for a notebook's predict_batch), pyarrow and pyspark (the Spark scorer) are imported
only inside the functions that need them."""


def template(folder: Path, **declared: object) -> Path:
    folder.mkdir()
    (folder / "cookiecutter.json").write_text(json.dumps({"project_name": "x", **declared}), encoding="utf-8")
    return folder


def test_copied_byte_for_byte_when_asked(tmp_path: Path) -> None:
    (tmp_path / "proj" / "pkg").mkdir(parents=True)
    asking = template(tmp_path / "asking", _runtime=True)
    written = copy_runtime(tmp_path / "proj", "pkg", str(asking))
    assert [path.name for path in written] == [path.name for path in runtime_files()]
    assert {"__init__.py", "app.py", "batch.py", "cli.py", "drift.py", "lockfile.py", "observability.py", "quality.py",
            "schema.py", "serializers.py", "service.py", "settings.py", "spark.py", "store.py", "v2.py",
            "vectorised.py"} == {path.name for path in written}
    for copy in written:
        assert copy.read_bytes() == (RUNTIME_DIR / copy.name).read_bytes()
    with pytest.raises(BuildError, match="rendered pkg/runtime/ itself"):
        copy_runtime(tmp_path / "proj", "pkg", str(asking))


def test_only_a_template_that_asks_gets_it(tmp_path: Path) -> None:
    (tmp_path / "proj" / "pkg").mkdir(parents=True)
    for name, declared in (("silent", {}), ("string", {"_runtime": "yes"}), ("off", {"_runtime": False})):
        assert copy_runtime(tmp_path / "proj", "pkg", str(template(tmp_path / name, **declared))) == []
        assert not template_wants_runtime(str(tmp_path / name))
    assert not (tmp_path / "proj" / "pkg" / "runtime").exists()
    assert template_wants_runtime(str(ROOT / "templates" / "service"))


def test_the_runtime_imports_only_itself_the_standard_library_and_the_serving_stack() -> None:
    for path in runtime_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: another module of the runtime
                    assert node.module is None or (RUNTIME_DIR / f"{node.module}.py").is_file(), (path, node.module)
                    continue
                tops = {(node.module or "").split(".")[0]}
            else:
                continue
            assert tops <= THIRD_PARTY | set(sys.stdlib_module_names) | {"__future__"}, (path.name, tops)


def test_nothing_else_in_nb2prod_imports_it() -> None:
    code = ("import sys, nb2prod.cli, nb2prod.converter.pipeline, nb2prod.converter.runtime; "
            "print(sorted(m for m in sys.modules if m.startswith(('nb2prod.service_runtime', 'fastapi', "
            "'uvicorn', 'prometheus_client', 'starlette', 'psycopg'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
    for path in (ROOT / "nb2prod").rglob("*.py"):
        if RUNTIME_DIR not in path.parents:
            assert "service_runtime import" not in path.read_text(encoding="utf-8"), path
