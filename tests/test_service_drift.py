"""Reference profiling at build time, drift monitoring and strict validation in the built service.

The bundled iris example is built for real (its `reference` cell is `X_train`), served by
uvicorn on 127.0.0.1 and sent in-distribution traffic sampled from the iris data, then the
same traffic with petal_length 3 cm longer, then malformed and hostile payloads. The
profiler (the function the build sends to the kernel) is also tested directly.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nbformat
import numpy as np
import pandas as pd
import pytest
from _services import free_port, metric_samples, running_service
from nbformat import v4

from nb2prod.converter import BuildError, BuildOptions, build
from nb2prod.converter._capture import _nb2prod_profile
from nb2prod.converter.execute import _feature_kind

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # builds notebooks in a real kernel, serves them

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris" / "train.ipynb"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
        "language_info": {"name": "python", "version": "3.11"}}
STARTUP_SECONDS = 60


def iris_frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(all iris rows, X_train), as the example notebook computes them."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    iris = load_iris(as_frame=True)
    x = iris.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    y = iris.target_names[iris.target]
    x_train, _, _, _ = train_test_split(x, y, test_size=0.25, random_state=42, stratify=y)
    return x, x_train


def write_notebook(folder: Path, name: str, cells: list[tuple[str, list[str]]]) -> Path:
    book = v4.new_notebook(metadata=META)
    book.cells.append(v4.new_markdown_cell(f"# {name}\nA small service."))
    for i, (source, tags) in enumerate(cells):
        cell = v4.new_code_cell(source, metadata={"tags": tags})
        cell["id"] = f"{name}-{i}"
        book.cells.append(cell)
    book.cells[0]["id"] = f"{name}-title"
    path = folder / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(book, path)
    return path


@dataclass
class Service:
    """A built service run by uvicorn in a subprocess, on a free port of 127.0.0.1."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, trust_env=False)

    def log_entries(self) -> list[dict[str, Any]]:
        """The service's JSON log lines so far."""
        entries = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # uvicorn's own start-up lines
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def drift_lines(self) -> list[dict[str, Any]]:
        return [e for e in self.log_entries() if e.get("event") == "drift_status_changed"]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """`serve(project, package, env={...}, ready=True)`: start the service, wait until it has loaded."""
    with ExitStack() as services:

        def start(project: Path, package: str, env: dict[str, str] | None = None, ready: bool = True) -> Service:
            port = free_port()
            running = services.enter_context(running_service(
                project, package, env=env, log_path=tmp_path / f"{package}-{port}.log", ready=ready,
                timeout=STARTUP_SECONDS, port=port, uvicorn_args=["--no-access-log"],
            ))
            return Service(running.url, running.log_path, running.process)

        yield start


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("drift-builds")


@pytest.fixture(scope="module")
def iris(out: Path) -> Any:
    return build(BuildOptions(IRIS, out / "iris-service", gate=False))


def send(client: httpx.Client, rows: list[dict[str, float]], chunk: int = 100) -> None:
    for start in range(0, len(rows), chunk):
        response = client.post("/predict/batch", json={"instances": rows[start : start + chunk]})
        assert response.status_code == 200, response.text


# ---- the build ------------------------------------------------------------------------------


def test_the_build_profiles_the_reference_cell(iris: Any) -> None:
    package = iris.output / iris.package_name
    path = package / "profile.json"
    lock = json.loads((package / "nb2prod.lock.json").read_text(encoding="utf-8"))
    assert lock["profile"] == {"file": "profile.json", "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    profile = json.loads(path.read_text(encoding="utf-8"))
    assert profile == iris.capture.profile
    assert profile["rows"] == 112 and profile["unprofiled"] == {}
    assert list(profile["features"]) == FEATURES

    _, x_train = iris_frame()
    for name in FEATURES:
        spec, column = profile["features"][name], x_train[name]
        assert spec["kind"] == "numeric"
        assert (spec["count"], spec["missing"], spec["missing_rate"]) == (112, 0, 0.0)
        assert (spec["min"], spec["max"]) == (column.min(), column.max())
        assert spec["mean"] == pytest.approx(column.mean()) and spec["std"] == pytest.approx(column.std())
        deciles = np.quantile(column, np.arange(1, 10) / 10)  # numpy's default: linear interpolation
        expected_edges = sorted({float(q) for q in deciles if q > column.min()})
        assert spec["edges"] == pytest.approx(expected_edges)
        counts = np.bincount(np.searchsorted(spec["edges"], column, side="right"), minlength=len(spec["edges"]) + 1)
        assert spec["proportions"] == pytest.approx(list(counts / 112))
        assert math.fsum(spec["proportions"]) == pytest.approx(1.0)


def test_the_profile_is_in_the_model_card_context(iris: Any) -> None:
    """The build passes the profile to templates as `_profile` (docs/templates.md)."""
    from nb2prod.converter.pipeline import _context

    context = _context(iris.plan, iris.capture, iris.project_name, iris.package_name, 100).cookiecutter_context()
    assert context["_profile"] == iris.capture.profile
    assert context["_lock"]["profile"]["sha256"] == hashlib.sha256(
        (iris.output / iris.package_name / "profile.json").read_bytes()
    ).hexdigest()


# ---- the service: drift -----------------------------------------------------------------------


def test_in_distribution_then_shifted_traffic(iris: Any, serve: Callable[..., Service]) -> None:
    everything, _ = iris_frame()
    rows = everything.to_dict("records")
    rng = random.Random(20240501)
    service = serve(iris.output, iris.package_name)
    with service.client() as client:
        body = client.get("/drift").json()
        assert body["available"] is True and body["status"] == "insufficient_data"
        assert body["thresholds"] == {"warn": 0.1, "alert": 0.25} and body["window"] == 1000
        assert body["min_samples"] == 500 and body["strict"] is False

        in_distribution = [dict(rng.choice(rows)) for _ in range(1000)]
        send(client, in_distribution)
        assert service.drift_lines() == [], "PSI stayed below 0.1 while the window filled"
        body = client.get("/drift").json()
        assert body["status"] == "ok" and body["rows"] == 1000
        for name in FEATURES:
            feature = body["features"][name]
            assert feature["status"] == "ok" and feature["psi"] < 0.1, (name, feature)
            assert feature["n"] == 1000
        metrics = metric_samples(client)
        for name in FEATURES:
            assert metrics[("model_drift_status", (("feature", name),))] == 0
            assert metrics[("model_drift_psi", (("feature", name),))] < 0.1

        shifted = [{**row, "petal_length": row["petal_length"] + 3} for row in
                   (dict(rng.choice(rows)) for _ in range(1000))]
        send(client, shifted)
        # Noticed while the traffic came, before anything asked /drift or /metrics:
        alerts = [line for line in service.drift_lines() if line["status"] == "alert"]
        assert [(line["feature"], line["level"]) for line in alerts] == [("petal_length", "warning")]
        assert alerts[0]["psi"] > 0.25 and alerts[0]["logger"] == f"{iris.package_name}.drift"
        assert {line["feature"] for line in service.drift_lines()} == {"petal_length"}

        body = client.get("/drift").json()
        assert body["status"] == "alert"
        petal = body["features"]["petal_length"]
        assert petal["status"] == "alert" and petal["psi"] > 0.25
        expected = sum(1 for row in shifted if not 1.1 <= row["petal_length"] <= 6.9)
        assert petal["out_of_range"] == expected  # the window holds the shifted rows only
        assert petal["out_of_range_total"] >= expected  # and the iris rows beyond X_train's range before them
        assert petal["reference_range"] == [1.1, 6.9]
        for name in ("sepal_length", "sepal_width", "petal_width"):
            assert body["features"][name]["status"] == "ok", body["features"][name]
        metrics = metric_samples(client)
        assert metrics[("model_drift_status", (("feature", "petal_length"),))] == 2
        assert metrics[("model_drift_psi", (("feature", "petal_length"),))] == pytest.approx(petal["psi"])
        assert metrics[("model_out_of_range_total", (("feature", "petal_length"),))] == petal["out_of_range_total"]
        assert metrics[("model_drift_status", (("feature", "sepal_width"),))] == 0
        assert len([line for line in service.drift_lines() if line["status"] == "alert"]) == 1, "logged once"


# ---- the service: hostile input ----------------------------------------------------------------

GOOD = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
JSON = {"content-type": "application/json"}


def hostile_requests() -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(label, path, body, headers): wrong types, missing and unknown fields, strings for numbers,
    NaN and infinities, too large and too deep bodies, broken JSON."""
    def body(value: Any) -> bytes:
        return json.dumps(value).encode()

    cases: list[tuple[str, str, bytes, dict[str, str]]] = [
        ("object for a number", "/predict", body({**GOOD, "sepal_length": {"cm": 5}}), JSON),
        ("list for a number", "/predict", body({**GOOD, "sepal_width": [3.5]}), JSON),
        ("string for a number", "/predict", body({**GOOD, "petal_length": "long"}), JSON),
        ("empty string for a number", "/predict", body({**GOOD, "petal_width": ""}), JSON),
        ("'NaN' string", "/predict", body({**GOOD, "petal_width": "NaN"}), JSON),
        ("'1e999' string", "/predict", body({**GOOD, "petal_width": "1e999"}), JSON),
        ("null for a number", "/predict", body({**GOOD, "petal_width": None}), JSON),
        ("missing field", "/predict", body({k: v for k, v in GOOD.items() if k != "petal_length"}), JSON),
        ("empty object", "/predict", b"{}", JSON),
        ("unknown field", "/predict", body({**GOOD, "species": "setosa"}), JSON),
        ("array body", "/predict", body([GOOD]), JSON),
        ("string body", "/predict", body("5.1,3.5,1.4,0.2"), JSON),
        ("null body", "/predict", b"null", JSON),
        ("empty body", "/predict", b"", JSON),
        ("broken JSON", "/predict", b'{"sepal_length": 5.1,', JSON),
        ("not UTF-8", "/predict", b"\xff\xfe\x00{", JSON),
        ("text/plain", "/predict", body(GOOD), {"content-type": "text/plain"}),
        ("form body", "/predict", b"sepal_length=5.1", {"content-type": "application/x-www-form-urlencoded"}),
        ("too large", "/predict", b'{"x": "' + b"a" * (3 << 19) + b'"}', JSON),
        ("too large batch body", "/predict/batch", body({"instances": [GOOD] * 20000}), JSON),
        ("too many instances", "/predict/batch", body({"instances": [GOOD] * 1001}), JSON),
        ("empty batch", "/predict/batch", body({"instances": []}), JSON),
        ("batch of numbers", "/predict/batch", body({"instances": [1, 2]}), JSON),
        ("batch not a list", "/predict/batch", body({"instances": GOOD}), JSON),
        ("bad instance in a batch", "/predict/batch", body({"instances": [GOOD, {**GOOD, "sepal_length": "x"}]}),
         JSON),
        ("deep arrays", "/predict", b"[" * 100_000 + b"]" * 100_000, JSON),
        ("deep objects", "/predict", b'{"a": ' * 40 + b"1" + b"}" * 40, JSON),
        ("deep field", "/predict", body(GOOD).replace(b"5.1", b"[" * 50 + b"]" * 50, 1), JSON),
    ]
    for literal in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        text = body({**GOOD, "sepal_length": 12345.5}).replace(b"12345.5", literal)
        cases.append((f"{literal.decode()} literal", "/predict", text, JSON))
        cases.append((f"{literal.decode()} in a batch", "/predict/batch", b'{"instances": [' + text + b"]}", JSON))
    return cases


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_hostile_payloads_are_4xx_and_the_service_stays_healthy(
    iris: Any, serve: Callable[..., Service], strict: bool
) -> None:
    env = {f"{iris.package_name.upper()}_STRICT": "1"} if strict else {}
    service = serve(iris.output, iris.package_name, env=env)
    started = len(service.log_entries())  # before: /ready answered 503 while the artifacts loaded
    statuses = {}
    with service.client() as client:
        for label, path, content, headers in hostile_requests():
            response = client.post(path, content=content, headers=headers)
            statuses[label] = response.status_code
        response = client.get("/predict")
        statuses["GET on /predict"] = response.status_code
        with socket.create_connection(("127.0.0.1", int(service.url.rsplit(":", 1)[1])), timeout=10) as sock:
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n{" % (10 << 30))
            statuses["10 GiB declared"] = int(sock.makefile("rb").readline().split()[1])

        out_of_range = {**GOOD, "petal_length": 30.0}
        response = client.post("/predict", json=out_of_range)
        if strict:
            assert response.status_code == 422, response.text
            (error,) = response.json()["detail"]
            assert error["loc"] == ["body", "petal_length"] and error["type"] == "out_of_range"
            assert "from 1.1 to 6.9" in error["msg"] and "strict mode" in error["msg"]
            response = client.post("/predict/batch", json={"instances": [GOOD, {**GOOD, "sepal_width": -1.0}]})
            assert response.status_code == 422
            assert [e["loc"] for e in response.json()["detail"]] == [["body", "instances", 1, "sepal_width"]]
            statuses["strict: out of range"] = 422
        else:
            assert response.status_code == 200, "out-of-range values are only counted, unless strict"

        bad = {label: status for label, status in statuses.items() if not 400 <= status < 500}
        assert bad == {}, bad
        assert statuses["too large"] == statuses["too large batch body"] == statuses["10 GiB declared"] == 413
        assert statuses["too many instances"] == 422 and statuses["NaN literal"] == 422

        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 200
        assert client.post("/predict", json=GOOD).json()["prediction"] == "setosa"
    assert service.process.poll() is None
    entries = service.log_entries()[started:]
    assert [e for e in entries if e.get("level") in ("error", "critical")] == []
    statuses_logged = [e["status"] for e in entries if e.get("message") == "request"]
    assert statuses_logged and max(statuses_logged) < 500


# ---- the service without a reference cell, and a reference that lacks an input -------------------

SMALL_PREDICT = (
    "def predict(size: float, colour: str = 'red', tags: list[str] | None = None) -> float:\n"
    "    return size * {'red': 1.0, 'blue': 2.0}.get(colour, 0.5)"
)


def test_without_a_reference_cell_drift_is_unavailable(out: Path, serve: Callable[..., Service]) -> None:
    notebook = write_notebook(out, "plain", [(SMALL_PREDICT, ["predict"]), ("example = {'size': 2.0}", ["example"])])
    result = build(BuildOptions(notebook, out / "plain-service", gate=False))
    package = result.output / result.package_name
    assert not (package / "profile.json").exists()
    assert "profile" not in json.loads((package / "nb2prod.lock.json").read_text(encoding="utf-8"))
    assert result.capture.profile is None

    service = serve(result.output, result.package_name)
    with service.client() as client:
        body = client.get("/drift").json()
        assert body["available"] is False and body["status"] == "unavailable" and "reference" in body["reason"]
        assert client.post("/predict", json={"size": 2.0}).json()["prediction"] == 2.0
        assert not [name for name, _ in metric_samples(client) if name.startswith("model_drift")]
    strict = serve(result.output, result.package_name, env={f"{result.package_name.upper()}_STRICT": "1"}, ready=False)
    with strict.client() as client:
        ready = client.get("/ready")
        assert ready.status_code == 503 and "reference" in ready.json()["reason"]
        assert client.get("/health").status_code == 200


def test_a_reference_of_records_in_a_kernel_without_numpy_or_pandas(out: Path, serve: Callable[..., Service]) -> None:
    reference = (
        "reference = [\n"
        "    {'size': float(i % 7), 'colour': 'red' if i % 3 else 'blue', 'tags': ['a']}\n"
        "    for i in range(300)\n"
        "]\n"
        "import sys\n"
        "assert 'numpy' not in sys.modules and 'pandas' not in sys.modules, sorted(sys.modules)"
    )
    notebook = write_notebook(out, "records", [(SMALL_PREDICT, ["predict"]), (reference, ["reference"]),
                                               ("example = {'size': 2.0, 'colour': 'blue'}", ["example"])])
    result = build(BuildOptions(notebook, out / "records-service", gate=False))
    profile = result.capture.profile
    assert profile["source"] == "builtins.list" and profile["rows"] == 300
    assert profile["features"]["size"]["kind"] == "numeric" and profile["features"]["size"]["max"] == 6.0
    colour = profile["features"]["colour"]
    assert colour["kind"] == "categorical" and colour["frequencies"] == {"red": 200 / 300, "blue": 100 / 300}
    assert colour["other"] == 0 and colour["truncated"] is False
    assert profile["unprofiled"] == {"tags": "its type, `list[str] | None`, is not a single value"}

    env = {f"{result.package_name.upper()}_STRICT": "true"}
    service = serve(result.output, result.package_name, env=env)
    with service.client() as client:
        assert client.post("/predict", json={"size": 3.0, "colour": "red"}).status_code == 200
        response = client.post("/predict", json={"size": 3.0, "colour": "green"})
        assert response.status_code == 422
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", "colour"] and error["type"] == "unseen_category"
        assert "'red', 'blue'" in error["msg"] and error["ctx"] == {"allowed": ["red", "blue"]}
        counted = metric_samples(client)[("model_unseen_category_total", (("feature", "colour"),))]
        assert counted == 1


def test_a_reference_without_a_required_input_is_a_build_error(out: Path) -> None:
    notebook = write_notebook(out, "lacking", [
        ("def predict(size: float, weight: float, colour: str = 'red') -> float:\n    return size * weight",
         ["predict"]),
        ("reference = [{'size': 1.0, 'colour': 'red'}, {'size': 2.0, 'colour': 'blue'}]", ["reference"]),
    ])
    with pytest.raises(BuildError) as info:
        build(BuildOptions(notebook, out / "lacking-service", gate=False))
    message = str(info.value)
    assert message == ("the `reference` cell (cell 3): `reference` has no column for predict's `weight`; "
                       "its columns: size, colour")
    assert not (out / "lacking-service").exists()


# ---- the profiler, directly ---------------------------------------------------------------------


def numeric(*names: str, required: bool = True) -> list[dict[str, Any]]:
    return [{"name": name, "kind": "numeric", "required": required} for name in names]


def test_profile_of_a_dataframe_with_missing_values_and_categories() -> None:
    frame = pd.DataFrame({
        "x": [1.0, 2.0, np.nan, 4.0, 5.0, None, 7.0, 8.0, 9.0, 10.0],
        "city": ["paris", "lyon", None, "paris", "nice", "paris", "lyon", "paris", pd.NA, "nice"],
        "flag": [True, False, True, True, True, False, True, True, True, True],
        "n": pd.array([1, 2, None, 4, 5, 6, 7, 8, 9, 10], dtype="Int64"),
    })
    features = [*numeric("x"), {"name": "city", "kind": "categorical", "required": True},
                {"name": "flag", "kind": "auto", "required": True}, *numeric("n")]
    profile = _nb2prod_profile(frame, features)
    x = profile["features"]["x"]
    assert (x["count"], x["missing"], x["missing_rate"]) == (8, 2, 0.2)
    assert (x["min"], x["max"], x["mean"]) == (1.0, 10.0, 5.75)
    assert x["std"] == pytest.approx(frame["x"].std())
    city = profile["features"]["city"]
    assert city["frequencies"] == {"paris": 0.5, "lyon": 0.25, "nice": 0.25} and city["missing"] == 2
    flag = profile["features"]["flag"]
    assert flag["kind"] == "categorical" and flag["frequencies"] == {"true": 0.8, "false": 0.2}
    assert profile["features"]["n"]["missing"] == 1 and profile["features"]["n"]["max"] == 10
    json.dumps(profile, allow_nan=False)  # plain JSON: no numpy scalars, no NaN


def test_profile_of_many_categories_keeps_the_top_50_and_the_other_share() -> None:
    records = [{"word": f"w{i:03d}"} for i in range(100) for _ in range(1 if i >= 10 else 5)]
    profile = _nb2prod_profile(records, [{"name": "word", "kind": "categorical", "required": True}])
    word = profile["features"]["word"]
    assert word["distinct"] == 100 and word["truncated"] is True and len(word["frequencies"]) == 50
    assert list(word["frequencies"])[:10] == [f"w{i:03d}" for i in range(10)]
    assert word["other"] == pytest.approx(50 / 140)
    assert math.fsum(word["frequencies"].values()) + word["other"] == pytest.approx(1.0)


def test_profile_matches_columns_by_position_for_arrays_and_rows() -> None:
    array = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    by_array = _nb2prod_profile(array, numeric("a", "b"))
    by_rows = _nb2prod_profile([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]], numeric("a", "b"))
    by_columns = _nb2prod_profile({"a": [1.0, 2.0, 3.0], "b": np.array([10.0, 20.0, 30.0])}, numeric("a", "b"))
    assert by_array["features"] == by_rows["features"] == by_columns["features"]
    assert by_array["features"]["b"]["max"] == 30.0 and by_array["source"] == "numpy.ndarray"
    optional_third = _nb2prod_profile(array, [*numeric("a", "b"), *numeric("c", required=False)])
    assert optional_third["unprofiled"] == {"c": "not a column of `reference` (predict has a default for it)"}


def test_a_constant_column_has_one_bin() -> None:
    profile = _nb2prod_profile([{"a": 3}] * 20, numeric("a"))
    assert profile["features"]["a"]["edges"] == [] and profile["features"]["a"]["proportions"] == [1.0]
    assert profile["features"]["a"]["std"] == 0.0


@pytest.mark.parametrize(
    ("reference", "features", "message"),
    [
        ([], numeric("a"), "`reference` has no rows"),
        (pd.DataFrame({"a": [1.0]}), numeric("a", "b"), "`reference` has no column for predict's `b`; its columns: a"),
        (np.zeros((3, 3)), numeric("a", "b"), "`reference` has 3 columns but predict takes 2 inputs (a, b)"),
        (np.zeros((2, 2, 2)), numeric("a", "b"), "`reference` is a 3-D array"),
        ([[1.0, 2.0], [1.0]], numeric("a", "b"), "the rows of `reference` have different lengths (1, 2)"),
        ([{"a": "x"}], numeric("a"), "predict takes a number for `a`, but `reference` has 'x' (str)"),
        ([{"a": None}], numeric("a"), "every value of `a` in `reference` is missing"),
        ("a,b\n1,2", numeric("a"), "`reference` is a builtins.str: give a DataFrame"),
        ([1, 2, 3], numeric("a"), "not of records (dicts) or rows (lists): got an item of type int"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), numeric("a"), "`reference` has duplicate columns: a"),
        ({"a": [1, 2], "b": [1]}, numeric("a", "b"), "a dict of columns of different lengths"),
    ],
)
def test_bad_references_are_explained(reference: Any, features: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError) as info:
        _nb2prod_profile(reference, features)
    assert message in str(info.value)


def test_the_profiler_needs_neither_pandas_nor_numpy(tmp_path: Path) -> None:
    """It runs in the notebook's kernel, which may have neither: records work without both, arrays
    without pandas."""
    source = (ROOT / "nb2prod" / "converter" / "_capture.py").read_text(encoding="utf-8")
    script = tmp_path / "profile.py"
    script.write_text(textwrap.dedent("""
        import json, sys
        sys.modules["pandas"] = None  # import pandas now fails
        blocked = sys.argv[1] == "records"
        if blocked:
            sys.modules["numpy"] = None
        exec(compile(open(sys.argv[2]).read(), "_capture.py", "exec"))
        features = [{"name": "a", "kind": "numeric", "required": True},
                    {"name": "b", "kind": "auto", "required": True}]
        if blocked:
            reference = [{"a": i / 10, "b": "xy"[i % 2]} for i in range(50)]
        else:
            import numpy as np
            reference = np.arange(100.0).reshape(50, 2)
        profile = _nb2prod_profile(reference, features)
        print(json.dumps({"modules": sorted(m for m in ("numpy", "pandas") if sys.modules.get(m)),
                          "kinds": [profile["features"][f["name"]]["kind"] for f in features]}))
    """))
    capture = tmp_path / "_capture.py"
    capture.write_text(source, encoding="utf-8")
    results = {}
    for mode in ("records", "array"):
        proc = subprocess.run([sys.executable, str(script), mode, str(capture)], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        results[mode] = json.loads(proc.stdout)
    assert results["records"] == {"modules": [], "kinds": ["numeric", "categorical"]}
    assert results["array"] == {"modules": ["numpy"], "kinds": ["numeric", "numeric"]}


@pytest.mark.parametrize(
    ("annotation", "kind"),
    [("float", "numeric"), ("int", "numeric"), ("Optional[float]", "numeric"), ("float | None", "numeric"),
     ("Union[int, float]", "numeric"), ("str", "categorical"), ("bool", "categorical"),
     ("Literal['cm', 'mm']", "categorical"), ("Optional[Literal[1, 2]]", "categorical"), ("Any", "auto"),
     ("list[float]", None), ("dict", None), ("Union[int, str]", None), ("tuple[int, ...]", None)],
)
def test_which_parameters_are_profiled(annotation: str, kind: str | None) -> None:
    assert _feature_kind(annotation) == kind
