"""The Open Inference Protocol (V2) of a built service, over real HTTP: the bundled iris example is built for real
and served by uvicorn on 127.0.0.1; its V2 metadata, infer for one and many rows against /predict, the request
example of the protocol's specification (adapted to iris' inputs), bad tensors (400 with the V2 error body, never a
5xx), the ids with /feedback, and a service whose artifacts fail to load (503)."""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _services import RunningService, running_service

from nb2prod.converter import BuildOptions, build

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # builds the notebook in a real kernel, serves it

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris" / "train.ipynb"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
INFER = "/v2/models/iris-service/infer"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    result = build(BuildOptions(IRIS, tmp_path_factory.mktemp("v2-builds") / "iris-service", gate=False))
    return result.output, result.package_name


@pytest.fixture(scope="module")
def iris(built: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    project, package = built
    folder = tmp_path_factory.mktemp("v2-run")
    env = {f"{package.upper()}_STORE_URL": f"sqlite:///{folder / 'predictions.sqlite3'}"}
    with running_service(project, package, log_path=folder / "service.log", env=env) as service:
        yield service


@pytest.fixture
def client(iris: RunningService) -> Iterator[httpx.Client]:
    with iris.client() as client:
        yield client


def rows(count: int, seed: int = 0) -> list[dict[str, float]]:
    """Flowers of every kind: lengths and widths in the ranges of iris."""
    rng = random.Random(seed)
    ranges = {"sepal_length": (4.3, 7.9), "sepal_width": (2.0, 4.4), "petal_length": (1.0, 6.9),
              "petal_width": (0.1, 2.5)}
    return [{name: round(rng.uniform(*ranges[name]), 1) for name in FEATURES} for _ in range(count)]


def infer_body(instances: list[dict[str, float]], datatype: str = "FP64") -> dict[str, Any]:
    return {"inputs": [{"name": name, "shape": [len(instances)], "datatype": datatype,
                        "data": [row[name] for row in instances]} for name in FEATURES]}


def test_metadata(client: httpx.Client, built: tuple[Path, str]) -> None:
    version = json.loads((built[0] / built[1] / "metadata.json").read_text(encoding="utf-8"))["version"]
    assert client.get("/v2").json() == {"name": "iris-service", "version": version, "extensions": []}
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    assert client.get("/v2/models/iris-service/ready").json() == {"name": "iris-service", "ready": True}
    metadata = client.get("/v2/models/iris-service").json()
    assert metadata["name"] == "iris-service" and metadata["versions"] == [version]
    assert metadata["inputs"] == [{"name": name, "datatype": "FP64", "shape": [-1]} for name in FEATURES]
    assert metadata["outputs"] == [{"name": "prediction", "datatype": "BYTES", "shape": [-1]}]  # str: the label
    assert client.get(f"/v2/models/iris-service/versions/{version}").json() == metadata
    assert client.get("/v2/models/mymodel").status_code == 404


def test_infer_equals_predict_for_one_and_many_rows(client: httpx.Client, built: tuple[Path, str]) -> None:
    examples = json.loads((built[0] / built[1] / "metadata.json").read_text(encoding="utf-8"))["examples"]
    instances = [example["input"] for example in examples] + rows(200)
    expected = [client.post("/predict", json=row).json()["prediction"] for row in instances]
    assert len(set(expected)) == 3  # every kind of flower
    one = client.post(INFER, json=infer_body(instances[:1]))
    assert one.status_code == 200, one.text
    assert one.json()["outputs"] == [{"name": "prediction", "shape": [1], "datatype": "BYTES",
                                      "data": [examples[0]["output"]]}]
    many = client.post(INFER, json=infer_body(instances))
    assert many.status_code == 200, many.text
    assert many.json()["outputs"][0]["data"] == expected
    assert many.json()["outputs"][0]["shape"] == [len(instances)]
    as_fp32 = client.post(INFER, json=infer_body(instances, "FP32"))  # the spec's usual datatype
    assert as_fp32.json()["outputs"][0]["data"] == expected


def test_the_specification_example(client: httpx.Client) -> None:
    """The inference request of the protocol's specification (id "42", a batch of two, an output requested by
    name, shapes [2, 1] with nested data: its natural multi-dimensional form), with iris' inputs and output."""
    flowers = rows(2, seed=42)
    body = {
        "id": "42",
        "inputs": [{"name": name, "shape": [2, 1], "datatype": "FP32", "data": [[row[name]] for row in flowers]}
                   for name in FEATURES],
        "outputs": [{"name": "prediction"}],
    }
    answer = client.post(INFER, json=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200, answer.text
    response = answer.json()
    assert response["id"] == "42" and response["model_name"] == "iris-service"
    assert response["outputs"] == [{
        "name": "prediction", "shape": [2], "datatype": "BYTES",
        "data": [client.post("/predict", json=row).json()["prediction"] for row in flowers],
    }]
    # the specification's own example names inputs this model does not have: a 400, with the V2 error body
    original = {"id": "42", "inputs": [{"name": "input0", "shape": [2, 2], "datatype": "UINT32", "data": [1, 2, 3, 4]},
                                       {"name": "input1", "shape": [3], "datatype": "BOOL", "data": [True]}],
                "outputs": [{"name": "output0"}]}
    refused = client.post(INFER, json=original)
    assert refused.status_code == 400 and refused.json() == {"error": refused.json()["error"]}


@pytest.mark.parametrize(("change", "reason"), [
    ({"shape": [1, 4], "data": [5.1, 3.5, 1.4, 0.2]}, "shape [1, 4]"),
    ({"shape": [2]}, "1 elements in its data for the shape [2]"),
    ({"datatype": "BYTES", "data": ["5.1"]}, "a BYTES tensor cannot carry it"),
    ({"datatype": "BOOL", "data": [True]}, "a BOOL tensor cannot carry it"),
    ({"datatype": "FP64", "data": ["5.1"]}, "is not a number"),
    ({"name": "sepal length"}, 'unknown input "sepal length"'),
])
def test_bad_tensors_are_400_with_the_v2_error_body(client: httpx.Client, change: dict[str, Any], reason: str
                                                    ) -> None:
    body = infer_body(rows(1))
    body["inputs"][0].update(change)
    answer = client.post(INFER, json=body)
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"error"} and reason in answer.json()["error"]
    missing = client.post(INFER, json={"inputs": infer_body(rows(1))["inputs"][1:]})
    assert missing.status_code == 400 and 'missing input "sepal_length"' in missing.json()["error"]


def test_the_ids_go_to_feedback(client: httpx.Client) -> None:
    flowers = rows(3, seed=7)
    answer = client.post(INFER, json=infer_body(flowers)).json()
    ids, labels = answer["parameters"]["ids"], answer["outputs"][0]["data"]
    assert len(set(ids)) == 3
    deadline = time.monotonic() + 10  # the store writes off the request path
    while True:
        result = client.post("/feedback", json={"feedback": [{"id": i, "outcome": label} for i, label
                                                              in zip(ids, labels, strict=True)]}).json()
        if result["matched"] == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert result["matched"] == 3


def test_not_ready_is_503(built: tuple[Path, str], tmp_path: Path) -> None:
    project, package = built
    copy = tmp_path / "iris-service"
    shutil.copytree(project, copy)
    with (copy / package / "artifacts" / "model.skops").open("ab") as file:
        file.write(b"\0")
    env = {f"{package.upper()}_STORE_URL": f"sqlite:///{tmp_path / 'predictions.sqlite3'}"}
    with running_service(copy, package, log_path=tmp_path / "service.log", env=env, ready=False) as service:
        with service.client() as client:
            assert client.get("/v2/health/live").status_code == 200
            ready = client.get("/v2/health/ready")
            assert ready.status_code == 503 and ready.json()["ready"] is False
            assert client.get("/v2/models/iris-service/ready").status_code == 503
            answer = client.post(INFER, json=infer_body(rows(1)))
            assert answer.status_code == 503 and "failed" in answer.json()["error"]
