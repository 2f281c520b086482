"""The default service template, tested like code: bake it (cookiecutter, then the runtime copy, as the
build does), then check what it renders.

The context is the one `nb2prod build` would pass for an iris notebook. The test trains
the model itself, serialises it into the rendered project as the build does, and records
what the notebook's `predict` returned for each example.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import pytest
from _services import free_port, running_service
from cookiecutter.main import cookiecutter

import nb2prod
from nb2prod.converter._capture import _nb2prod_profile
from nb2prod.converter.execute import REFERENCE_SAMPLE
from nb2prod.converter.model_card import model_card, summarize_metrics
from nb2prod.converter.pipeline import profile_bytes, write_profile, write_reference_sample
from nb2prod.converter.plan import Field
from nb2prod.converter.records import LOCK_FILE, Lock, write_lock
from nb2prod.converter.requirements import SERVICE_DISTRIBUTIONS
from nb2prod.converter.runtime import RUNTIME_DIR, copy_runtime

pytestmark = pytest.mark.slow  # bakes projects and runs their test suites

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "service"
CONTRACT = ROOT / "docs" / "templates.md"
PACKAGE = "iris_service"
NOTEBOOK_SHA256 = hashlib.sha256(b"the notebook").hexdigest()
ADDED_KEYS = ("version", "notebook_sha256", "max_batch_size")  # keys the template added to the contract

SERVE_CELL = """\
# --- notebook cell 1 (serve) ---
from typing import Literal

import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
"""

PREDICT_CELL = '''\
# --- notebook cell 9 (predict) ---
CM_PER_UNIT = {"cm": 1.0, "mm": 0.1}


def predict(
    sepal_length: float,
    sepal_width: float,
    petal_length: float,
    petal_width: float = 0.2,
    unit: Literal["cm", "mm"] = "cm",
) -> dict:
    """The iris species of one flower, and how sure the model is."""
    row = np.array([[sepal_length, sepal_width, petal_length, petal_width]]) * CM_PER_UNIT[unit]
    probabilities = model.predict_proba(row)[0]
    return {"species": str(model.classes_[probabilities.argmax()]), "probability": probabilities.max()}


def predict_batch(frame):
    """The same answers for many flowers, with one call of the model."""
    scale = frame["unit"].map(CM_PER_UNIT).to_numpy()[:, None]
    rows = frame[["sepal_length", "sepal_width", "petal_length", "petal_width"]].to_numpy() * scale
    return [{"species": str(model.classes_[p.argmax()]), "probability": p.max()} for p in model.predict_proba(rows)]
'''

TRAIN_CODE = """\
# --- notebook cell 2 ---
C = 1.0
test_size = 0.25
seed = 42

# --- notebook cell 4 ---
iris = load_iris()
X, y = iris.data, iris.target_names[iris.target]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)

# --- notebook cell 7 ---
model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))
model.fit(X_train, y_train)
accuracy = model.score(X_test, y_test)
print(f"accuracy: {accuracy:.3f}")
"""

TEST_CODE = """\
# --- notebook cell 11 (test) ---
def test_cell_11() -> None:
    assert predict(**example)["species"] == "setosa"
    assert np.isclose(model.predict_proba(np.array([[5.1, 3.5, 1.4, 0.2]])).sum(axis=1), 1.0).all()


# --- notebook cell 12 (test) ---
def test_every_example_is_a_species() -> None:
    for kwargs in examples:
        assert predict(**kwargs)["species"] in {"setosa", "versicolor", "virginica"}
"""

FIELDS = [
    {"name": name, "annotation": "float", "required": True, "default": None, "default_repr": ""}
    for name in ("sepal_length", "sepal_width", "petal_length")
] + [
    {"name": "petal_width", "annotation": "float", "required": False, "default": 0.2, "default_repr": "0.2"},
    {"name": "unit", "annotation": "Literal['cm', 'mm']", "required": False, "default": "cm", "default_repr": "'cm'"},
]

EXAMPLE_INPUTS = [
    {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
    {"sepal_length": 67.0, "sepal_width": 31.0, "petal_length": 44.0, "petal_width": 14.0, "unit": "mm"},
    {"sepal_length": 7.7, "sepal_width": 3.0, "petal_length": 6.1},
]

EXPECTED_TREE = [
    ".dockerignore",
    ".gitignore",
    "Dockerfile",
    "MODEL_CARD.md",
    "README.md",
    "deploy/README.md",
    "deploy/grafana/dashboard.json",
    "deploy/grafana/dashboards.yaml",
    "deploy/kserve/inferenceservice.yaml",
    "deploy/kubernetes/deployment.yaml",
    "deploy/kubernetes/hpa.yaml",
    "deploy/kubernetes/service.yaml",
    "deploy/prometheus/prometheusrule.yaml",
    "deploy/prometheus/rules.yml",
    f"{PACKAGE}/__init__.py",
    f"{PACKAGE}/__main__.py",
    f"{PACKAGE}/app.py",
    f"{PACKAGE}/artifacts/model.joblib",
    f"{PACKAGE}/cli.py",
    f"{PACKAGE}/metadata.json",
    f"{PACKAGE}/model.py",
    f"{PACKAGE}/nb2prod.lock.json",
    f"{PACKAGE}/profile.json",
    f"{PACKAGE}/py.typed",
    *sorted(f"{PACKAGE}/runtime/{path.name}" for path in RUNTIME_DIR.glob("*.py")),
    f"{PACKAGE}/schema.py",
    f"{PACKAGE}/service.py",
    f"{PACKAGE}/spark.py",
    f"{PACKAGE}/train.py",
    "pyproject.toml",
    "requirements.txt",
    "tests/conftest.py",
    "tests/reference_sample.json",
    "tests/test_batch.py",
    "tests/test_drift.py",
    "tests/test_metrics.py",
    "tests/test_notebook.py",
    "tests/test_parity.py",
    "tests/test_smoke.py",
]


@dataclass(frozen=True)
class Baked:
    """A rendered project, and the context it was rendered with."""

    project: Path
    context: dict[str, Any]

    @property
    def package(self) -> Path:
        return self.project / PACKAGE


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def to_json(value: Any) -> Any:
    """What the build records as an example's output: the value, JSON-encoded and decoded."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist()))


def run_notebook() -> dict[str, Any]:
    """The namespace of the notebook after it ran: the trained `model` and `predict`."""
    namespace: dict[str, Any] = {}
    exec(SERVE_CELL + TRAIN_CODE, namespace)
    exec(PREDICT_CELL, namespace)
    return namespace


def sample_profile(namespace: dict[str, Any], sample: int = 0) -> dict[str, Any]:
    """The profile the build records for a `reference` cell of the training inputs, all in cm (with `sample`,
    and its `_sample` of rows, as the capture makes it for predict_batch)."""
    names = [field["name"] for field in FIELDS]
    reference = [{**dict(zip(names, row, strict=False)), "unit": "cm"} for row in namespace["X_train"].tolist()]
    features = [
        {"name": field["name"], "kind": "numeric" if field["annotation"] == "float" else "categorical",
         "required": field["required"]}
        for field in FIELDS
    ]
    return _nb2prod_profile(reference, features, sample=sample)


def sample_context(namespace: dict[str, Any], model_file: Path, trusted: list[str] | None = None) -> dict[str, Any]:
    """The context of the iris notebook, as the build passes it, for its model serialised in `model_file`."""
    artifacts = [
        {
            "name": "model",
            "file": model_file.name,
            "format": "joblib" if model_file.suffix == ".joblib" else "skops",
            "sha256": sha256_of(model_file),
            "type": "sklearn.pipeline.Pipeline",
            "cell": 7,
            "trusted": trusted or [],
            "bytes": model_file.stat().st_size,
        }
    ]
    parameters = {"C": 1.0, "test_size": 0.25, "seed": 42}
    profile = sample_profile(namespace)
    distributions = ("numpy", "pandas", "scikit-learn", "joblib", *SERVICE_DISTRIBUTIONS)
    requirements = sorted(f"{name}=={metadata.version(name)}" for name in distributions)
    context = {
        "project_name": "iris-service",
        "package_name": PACKAGE,
        "title": "Iris species classifier",
        "description": "Trains a logistic regression on the four iris flower measurements that ship with\n"
        'scikit-learn, and defines the "predict" function that nb2prod turns into a service.',
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "nb2prod_version": nb2prod.__version__,
        "notebook_name": "train.ipynb",
        "version": "0.1.0",
        "notebook_sha256": NOTEBOOK_SHA256,
        "max_batch_size": 100,
        "_fields": FIELDS,
        "_return_annotation": "dict",
        "_predict_batch": True,
        "_model_code": SERVE_CELL + "\n\n" + PREDICT_CELL,
        "_train_code": TRAIN_CODE,
        "_test_code": TEST_CODE,
        "_artifacts": artifacts,
        "_examples": [
            {"input": kwargs, "output": to_json(namespace["predict"](**kwargs))} for kwargs in EXAMPLE_INPUTS
        ],
        "_requirements": requirements,
        "_parameters": parameters,
        "_profile": profile,
        "_runtime": True,
        "_lock": {
            "nb2prod_version": nb2prod.__version__,
            "built_at": "2024-05-01T12:00:00+00:00",
            "notebook": {"name": "train.ipynb", "sha256": NOTEBOOK_SHA256},
            "python": platform.python_version(),
            "parameters": parameters,
            "seeds": [{"call": "train_test_split(random_state=...)", "value": "seed", "cell": 6}],
            "lint_score": 100,
            "artifacts": artifacts,
            "packages": dict(requirement.split("==") for requirement in requirements),
            "requirements": requirements,
            "examples": len(EXAMPLE_INPUTS),
            "profile": {"file": "profile.json", "sha256": hashlib.sha256(profile_bytes(profile)).hexdigest()},
            "data": [],  # the files the notebook read (lineage): always in a lock the build writes
        },
    }
    printed = [("stream", f"accuracy: {namespace['accuracy']:.3f}\n")]  # what cell 7 of TRAIN_CODE prints
    context["_model_card"] = model_card(
        title=context["title"], description=context["description"], purpose="", fields=[Field(**f) for f in FIELDS],
        return_annotation="dict", examples=context["_examples"], lock=Lock.from_dict(context["_lock"]),
        profile=context.get("_profile"),
        metrics=summarize_metrics([{"cell": 7, "reason": "tagged `metrics`", "pieces": printed}]),
        owner={"name": "Jane Doe", "source": "`-p owner`"}, git={"commit": None, "note": "not in a git repository"},
    ).to_dict()
    return context


def bake(context: dict[str, Any], work: Path, model_file: Path | None) -> Path:
    """Render the template as the build does (no input, the context as extra_context), copy the runtime into
    it (the template asks for it), then add the model."""
    config = work / "cookiecutter.yaml"  # keeps cookiecutter's replay files out of the home folder
    settings = {"cookiecutters_dir": str(work / "cookiecutters"), "replay_dir": str(work / "replay")}
    config.write_text(json.dumps(settings))  # JSON is YAML
    project = Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(work / "out"), config_file=str(config)
        )
    )
    copy_runtime(project, context["package_name"], str(TEMPLATE))
    (project / context["package_name"] / "artifacts").mkdir()
    write_lock(project / context["package_name"] / LOCK_FILE, Lock.from_dict(context["_lock"]))  # as the build does
    if context.get("_profile"):
        write_profile(project / context["package_name"], context["_profile"])
    if model_file is not None:
        shutil.copy(model_file, project / context["package_name"] / "artifacts" / model_file.name)
    return project


@pytest.fixture(scope="module")
def notebook() -> dict[str, Any]:
    return run_notebook()


@pytest.fixture(scope="module")
def baked(notebook: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Baked:
    return bake_example(tmp_path_factory.mktemp("bake"), notebook)


def bake_example(work: Path, notebook: dict[str, Any] | None = None) -> Baked:
    """The example notebook's project baked in ``work``, its model saved beside it (the
    notebook run again unless its namespace is given)."""
    notebook = notebook if notebook is not None else run_notebook()
    model_file = work / "model.joblib"
    joblib.dump(notebook["model"], model_file)
    context = sample_context(notebook, model_file)
    project = bake(context, work, model_file)
    write_reference_sample(project / "tests", sample_profile(notebook, REFERENCE_SAMPLE)["_sample"])  # as the build
    return Baked(project, context)


def run(args: list[str], project: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the interpreter of these tests on the generated project, leaving no caches in it."""
    env = {**os.environ, "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, *args], cwd=project, env=env, capture_output=True, text=True, timeout=timeout
    )


def copy_project(baked: Baked, destination: Path) -> Path:
    return Path(shutil.copytree(baked.project, destination / baked.project.name))


def approx(expected: Any) -> Any:
    if isinstance(expected, dict):
        return {key: approx(value) for key, value in expected.items()}
    if isinstance(expected, list):
        return [approx(value) for value in expected]
    return pytest.approx(expected) if isinstance(expected, float) else expected


def test_cookiecutter_json_declares_every_documented_key(baked: Baked) -> None:
    documented = re.findall(r"^\| `(\w+)` \|", CONTRACT.read_text(encoding="utf-8"), flags=re.MULTILINE)
    declared = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    assert sorted(declared) == sorted(documented)
    assert sorted(baked.context) == sorted(documented), "the sample context should exercise every key"


def test_the_runtime_is_copied_byte_for_byte(baked: Baked) -> None:
    copied = sorted((baked.package / "runtime").iterdir())
    sources = sorted(RUNTIME_DIR.glob("*.py"))
    assert [path.name for path in copied] == [path.name for path in sources] and "app.py" in [p.name for p in copied]
    for source, copy in zip(sources, copied, strict=True):
        assert copy.read_bytes() == source.read_bytes(), copy


def test_generated_tree(baked: Baked) -> None:
    tree = sorted(path.relative_to(baked.project).as_posix() for path in baked.project.rglob("*") if path.is_file())
    assert tree == EXPECTED_TREE


def test_no_template_syntax_survives(baked: Baked) -> None:
    for path in baked.project.rglob("*"):
        if path.is_file() and path.suffix != ".joblib":
            text = path.read_text(encoding="utf-8")
            assert "{{" not in text and "{%" not in text, path


def test_lock_metadata_and_pins(baked: Baked) -> None:
    context = baked.context
    lock = json.loads((baked.package / "nb2prod.lock.json").read_text(encoding="utf-8"))
    assert lock == context["_lock"]
    assert lock["artifacts"][0]["sha256"] == sha256_of(baked.package / "artifacts" / "model.joblib")
    service = json.loads((baked.package / "metadata.json").read_text(encoding="utf-8"))
    assert service["examples"] == context["_examples"]
    assert service["parameters"] == context["_parameters"]
    assert service["notebook_sha256"] == context["notebook_sha256"]
    lines = (baked.project / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [line for line in lines if not line.startswith("#")]
    assert pins == context["_requirements"]
    assert all(re.fullmatch(r"[a-z0-9-]+==[0-9][^\s]*", pin) for pin in pins), pins
    pyproject = (baked.project / "pyproject.toml").read_text(encoding="utf-8")
    dependencies = re.search(r"^dependencies = \[\n(.*?)^\]", pyproject, flags=re.MULTILINE | re.DOTALL)
    assert dependencies is not None
    assert re.findall(r'"([^"]+)",', dependencies.group(1)) == pins  # exactly the pins: nothing unpinned added
    assert 'description = "Trains a logistic regression on the four iris flower measurements that ship with scikit' in (
        pyproject
    )


def test_ruff_passes(baked: Baked) -> None:
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed")
    result = run(["-m", "ruff", "check", "--no-cache", "."], baked.project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_test_suite_passes(baked: Baked) -> None:
    result = run(["-m", "pytest", "-p", "no:cacheprovider", "-q"], baked.project)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in summary and "skipped" not in summary, summary


def test_tampered_or_missing_artifact_is_refused(baked: Baked, tmp_path: Path) -> None:
    folders = {}
    for case in ("tampered", "missing", "unlisted"):
        folders[case] = Path(shutil.copytree(baked.package, tmp_path / case))
    with (folders["tampered"] / "artifacts" / "model.joblib").open("ab") as file:
        file.write(b"\0")
    (folders["missing"] / "artifacts" / "model.joblib").unlink()
    (folders["unlisted"] / "artifacts" / "other.joblib").write_bytes(b"not a pickle: loading it would fail")
    script = f"""
import sys
from {PACKAGE}.model import ArtifactError, load_artifacts
for case in ("tampered", "missing"):
    try:
        load_artifacts(sys.argv[1] + "/" + case)
    except ArtifactError as exc:
        print(case, "refused:", exc)
    else:
        sys.exit(case + " was loaded")
print("unlisted loads:", sorted(load_artifacts(sys.argv[1] + "/unlisted")))
"""
    result = run(["-c", script, str(tmp_path)], baked.project)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("tampered refused: artifact 'model':") and "sha256" in lines[0]
    assert lines[1].startswith("missing refused: artifact 'model':") and "missing" in lines[1]
    assert lines[2] == "unlisted loads: ['model']"


def test_tampered_service_refuses_to_start_or_become_ready(baked: Baked, tmp_path: Path) -> None:
    project = copy_project(baked, tmp_path)
    with (project / PACKAGE / "artifacts" / "model.joblib").open("ab") as file:
        file.write(b"\0")

    served = run(["-m", PACKAGE, "serve", "--port", str(free_port())], project, timeout=60)
    assert served.returncode == 1
    assert served.stderr.startswith("error: artifact 'model':") and "sha256" in served.stderr

    with (
        running_service(project, PACKAGE, log_path=tmp_path / "uvicorn.log", ready=False, timeout=30) as server,
        server.client(timeout=5) as client,
    ):
        ready = server.ready_response
        assert client.get("/health").status_code == 200
        assert ready.status_code == 503
        assert ready.json()["status"] == "failed" and "sha256" in ready.json()["reason"]
        assert client.post("/predict", json=EXAMPLE_INPUTS[0]).status_code == 503


def test_cli_predict_writes_one_prediction_per_line(baked: Baked, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text("".join(json.dumps(kwargs) + "\n" for kwargs in EXAMPLE_INPUTS) + "\n")
    output = tmp_path / "predictions.jsonl"
    result = run(["-m", PACKAGE, "predict", str(inputs), "--output", str(output), "--batch-size", "2"], baked.project)
    assert result.returncode == 0, result.stderr
    lines = output.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"prediction": approx(example["output"])} for example in baked.context["_examples"]
    ]

    inputs.write_text(json.dumps(EXAMPLE_INPUTS[0]) + "\n" + json.dumps({"sepal_length": "long"}) + "\n")
    result = run(["-m", PACKAGE, "predict", str(inputs)], baked.project)
    assert result.returncode == 1
    assert result.stderr.startswith("error: line 2: sepal_length: ")


def test_cli_train_writes_artifacts_the_service_can_load(baked: Baked, tmp_path: Path) -> None:
    retrained = tmp_path / "retrained"
    result = run(["-m", PACKAGE, "train", "--output-dir", str(retrained)], baked.project)
    assert result.returncode == 0, result.stderr
    lock = json.loads((retrained / "nb2prod.lock.json").read_text(encoding="utf-8"))
    assert lock["artifacts"][0]["sha256"] == sha256_of(retrained / "artifacts" / "model.joblib")
    assert lock["notebook"] == baked.context["_lock"]["notebook"] and "retrained_at" in lock

    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text(json.dumps(EXAMPLE_INPUTS[0]) + "\n")
    result = run(["-m", PACKAGE, "predict", str(inputs), "--model-dir", str(retrained)], baked.project)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"prediction": approx(baked.context["_examples"][0]["output"])}


def test_wheel_ships_the_artifacts_and_the_lock(baked: Baked, tmp_path: Path) -> None:
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling is not installed")
    project = copy_project(baked, tmp_path)
    result = run(["-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")], project)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = ("artifacts/model.joblib", "nb2prod.lock.json", "metadata.json", "model.py", "py.typed", "profile.json")
    for name in shipped:
        assert f"{PACKAGE}/{name}" in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert f"iris-service = {PACKAGE}.cli:main" in entry_points


def test_context_without_the_added_keys_renders_their_defaults(notebook: dict[str, Any], tmp_path: Path) -> None:
    model_file = tmp_path / "model.joblib"
    joblib.dump(notebook["model"], model_file)
    context = {key: value for key, value in sample_context(notebook, model_file).items() if key not in ADDED_KEYS}
    project = bake(context, tmp_path, model_file)
    service = json.loads((project / PACKAGE / "metadata.json").read_text(encoding="utf-8"))
    assert service["version"] == "0.1.0"
    assert service["notebook_sha256"] == NOTEBOOK_SHA256  # from _lock["notebook"]["sha256"]
    assert "    max_batch_size=1000,\n" in (project / PACKAGE / "service.py").read_text(encoding="utf-8")


def test_skops_artifact_is_loaded_with_its_trusted_types(notebook: dict[str, Any], tmp_path: Path) -> None:
    skops_io = pytest.importorskip("skops.io")
    model_file = tmp_path / "model.skops"
    skops_io.dump(notebook["model"], model_file)
    trusted = sorted(skops_io.get_untrusted_types(file=model_file))
    context = sample_context(notebook, model_file, trusted)
    project = bake(context, tmp_path, model_file)
    example = context["_examples"][1]
    script = f"""
import json
from {PACKAGE}.model import load_artifacts, predict
from {PACKAGE}.runtime.schema import jsonable
print(sorted(load_artifacts()))
print(json.dumps(jsonable(predict(**{example["input"]!r}))))
"""
    result = run(["-c", script], project)
    assert result.returncode == 0, result.stderr
    names, output = result.stdout.splitlines()
    assert names == "['model']"
    assert json.loads(output) == approx(example["output"])


def test_minimal_context_renders_a_working_project(tmp_path: Path) -> None:
    """No artifact, no example, no training or test code; optional and untyped parameters."""
    model_code = (
        "# --- notebook cell 1 (predict) ---\n"
        "from typing import Any, Optional\n\n\n"
        "def predict(values: list[float] | None = None, scale: Optional[int] = None, note: Any = None) -> float:\n"
        "    return float(sum(values or [])) * (scale or 1)\n"
    )
    fields = [
        {"name": "values", "annotation": "list[float] | None", "required": False, "default": None},
        {"name": "scale", "annotation": "Optional[int]", "required": False, "default": None},
        {"name": "note", "annotation": "Any", "required": False, "default": None},
    ]
    context = {
        "project_name": "sum-service",
        "package_name": "sum_service",
        "title": "Sum",
        "description": "",
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "nb2prod_version": nb2prod.__version__,
        "notebook_name": "sum.ipynb",
        "_fields": [{**field, "default_repr": "None"} for field in fields],
        "_return_annotation": "float",
        "_model_code": model_code,
        "_train_code": "",
        "_test_code": "",
        "_artifacts": [],
        "_examples": [],
        "_requirements": [],
        "_parameters": {},
        "_lock": {
            "nb2prod_version": nb2prod.__version__, "built_at": "2024-05-01T12:00:00+00:00",
            "notebook": {"name": "sum.ipynb", "sha256": ""}, "python": platform.python_version(), "parameters": {},
            "seeds": [], "lint_score": None, "artifacts": [], "packages": {}, "requirements": [], "examples": 0,
        },
    }
    project = bake(context, tmp_path, None)
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "| `values` | `list[float] \\| None` | no | `None` |" in readme
    if importlib.util.find_spec("ruff") is not None:
        result = run(["-m", "ruff", "check", "--no-cache", "."], project)
        assert result.returncode == 0, result.stdout + result.stderr
    result = run(["-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs"], project)
    assert result.returncode == 0, result.stdout + result.stderr
