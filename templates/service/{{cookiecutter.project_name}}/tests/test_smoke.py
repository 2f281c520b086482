"""Every endpoint of the running service, over real HTTP."""

import uuid
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.runtime.lockfile import read_lock
from {{ cookiecutter.package_name }}.schema import EXAMPLES, PredictRequest
from {{ cookiecutter.package_name }}.service import SERVICE

SCHEMA: dict[str, Any] = PredictRequest.model_json_schema()
PROPERTIES: dict[str, Any] = SCHEMA.get("properties", {})


@pytest.fixture
def example() -> dict[str, Any]:
    """The notebook's first example, a valid input."""
    if EXAMPLES:
        return EXAMPLES[0]["input"]
    if SCHEMA.get("required"):
        pytest.skip("the notebook defines no example to send")
    return {}


def test_health(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready(client: httpx.Client) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["store"]) == {"kind", "up", "reason", "queued", "dropped", "written"}
    assert body["store"]["up"] is True, body["store"]["reason"]


def test_metadata(client: httpx.Client) -> None:
    response = client.get("/metadata")
    assert response.status_code == 200
    body = response.json()
    assert body["project_name"] == "{{ cookiecutter.project_name }}"
    assert body["notebook_name"] == {{ cookiecutter.notebook_name | tojson }}
    assert body["request_schema"]["properties"] == PROPERTIES
    lock = read_lock(SERVICE.package_dir)
    assert {a["name"]: a["sha256"] for a in body["artifacts"]} == {a["name"]: a["sha256"] for a in lock["artifacts"]}


def test_predict(client: httpx.Client, example: dict[str, Any]) -> None:
    response = client.post("/predict", json=example)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"prediction", "id"}
    assert response.headers["x-prediction-id"] == response.json()["id"]
    mine = client.post("/predict", json=example, headers={"X-Prediction-Id": f"smoke-{uuid.uuid4().hex}"})
    assert mine.json()["id"] == mine.headers["x-prediction-id"] and mine.json()["id"].startswith("smoke-")


def test_predict_batch(client: httpx.Client, example: dict[str, Any]) -> None:
    instances = [e["input"] for e in EXAMPLES] or [example]
    response = client.post("/predict/batch", json={"instances": instances})
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == len(response.json()["ids"]) == len(instances)
    ids = [f"smoke-{uuid.uuid4().hex}" for _ in instances]
    response = client.post("/predict/batch", json={"instances": instances, "ids": ids})
    assert response.json()["ids"] == ids


def test_feedback(client: httpx.Client, example: dict[str, Any]) -> None:
    """The outcome of a prediction (here: what it predicted) is matched once; again, it is a duplicate; an id
    never given is unknown."""
    answer = client.post("/predict", json=example).json()
    outcome = {"id": answer["id"], "outcome": answer["prediction"]}
    assert client.post("/feedback", json=outcome).json() == {"matched": 1, "unknown": [], "duplicates": []}
    never = f"never-{uuid.uuid4().hex}"
    again = client.post("/feedback", json={"feedback": [outcome, {"id": never, "outcome": answer["prediction"]}]})
    assert again.json() == {"matched": 0, "unknown": [never], "duplicates": [answer["id"]]}
    assert client.post("/feedback", json={"feedback": []}).status_code == 422


def test_performance(client: httpx.Client) -> None:
    response = client.get("/performance")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] in {"ok", "degraded", "alert", "unknown"} and body["store_up"] is True
    assert {"count", "metrics", "baseline", "per_class", "window", "thresholds"} <= set(body)


def test_batch_larger_than_the_limit_is_422(client: httpx.Client, example: dict[str, Any]) -> None:
    response = client.post("/predict/batch", json={"instances": [example] * (SERVICE.settings().max_batch_size + 1)})
    assert response.status_code == 422
    assert ["body", "instances"] in [error["loc"] for error in response.json()["detail"]]


def test_unknown_field_is_422_naming_it(client: httpx.Client, example: dict[str, Any]) -> None:
    response = client.post("/predict", json={**example, "not_a_field": 1})
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == ["not_a_field"]


def test_missing_field_is_422_naming_it(client: httpx.Client, example: dict[str, Any]) -> None:
    required = SCHEMA.get("required", [])
    if not required:
        pytest.skip("predict has no required parameter")
    body = {key: value for key, value in example.items() if key != required[0]}
    response = client.post("/predict", json=body)
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == [required[0]]


def test_wrong_type_is_422_naming_it(client: httpx.Client, example: dict[str, Any]) -> None:
    typed = [
        name for name, schema in PROPERTIES.items() if "enum" in schema or schema.get("type") not in (None, "object")
    ]
    if not typed:
        pytest.skip("no parameter of predict has a type that an object fails")
    response = client.post("/predict", json={**example, typed[0]: {"not": "valid"}})
    assert response.status_code == 422
    assert typed[0] in [error["loc"][-1] for error in response.json()["detail"]]


def test_docs_and_openapi_show_the_examples(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    openapi = client.get("/openapi.json").json()
    assert {"/predict", "/predict/batch", "/health", "/ready", "/metadata"} <= set(openapi["paths"])
    body = openapi["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert [example["value"] for example in body.get("examples", {}).values()] == [e["input"] for e in EXAMPLES]
