"""runtime/v2.py: the Open Inference Protocol (V2) endpoints of the toy service, under uvicorn on 127.0.0.1 (the
`served` helper of test_app.py): metadata, health, infer against /predict/batch, the V2 error body of bad
tensors (never a 5xx), strict mode, failed predictions, not-ready answers, the ids with /feedback, the tensors
of other argument types, the OpenAPI, and a fuzz test of infer bodies."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from _toy_service import Toy, toy_service, write_package
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from test_app import samples, served

from nb2prod.service_runtime.app import create_app
from nb2prod.service_runtime.schema import request_config
from nb2prod.service_runtime.service import Service
from nb2prod.service_runtime.v2 import Tensor, input_tensors, output_tensor

INFER = "/v2/models/toy-service/infer"


pytestmark = pytest.mark.usefixtures("store_in_tmp")  # conftest.py: each test's store in its tmp_path


@pytest.fixture
def client(toy: tuple[Service, Toy]) -> Iterator[httpx.Client]:
    with served(create_app(toy[0])) as client:
        yield client


def tensor(name: str, data: list[Any], datatype: str = "FP64", shape: list[int] | None = None) -> dict[str, Any]:
    return {"name": name, "shape": [len(data)] if shape is None else shape, "datatype": datatype, "data": data}


def test_server_and_model_metadata_and_health(client: httpx.Client) -> None:
    assert client.get("/v2").json() == {"name": "toy-service", "version": "0.1.0", "extensions": []}
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    assert client.get("/v2/models/toy-service/ready").json() == {"name": "toy-service", "ready": True}
    assert client.get("/v2/models/toy-service/versions/0.1.0/ready").status_code == 200
    metadata = client.get("/v2/models/toy-service").json()
    assert metadata == {
        "name": "toy-service", "versions": ["0.1.0"], "platform": "nb2prod_python",
        "inputs": [{"name": "x", "datatype": "FP64", "shape": [-1]}, {"name": "colour", "datatype": "BYTES",
                                                                      "shape": [-1]}],
        "outputs": [{"name": "prediction", "datatype": "FP64", "shape": [-1]}],
        "properties": {"optional_inputs": "colour", "json_inputs": "", "prediction_encoding": "plain",
                       "prediction_ids": "parameters.ids"},
    }
    assert client.get("/v2/models/toy-service/versions/0.1.0").json() == metadata
    for path in ("/v2/models/other", "/v2/models/other/ready", "/v2/models/toy-service/versions/9/ready",
                 "/v2/models/toy-service/versions/9"):
        answer = client.get(path)
        assert answer.status_code == 404 and set(answer.json()) == {"error"}, path
    unknown = client.post("/v2/models/other/infer", json={"inputs": [tensor("x", [1.0])]})
    assert unknown.status_code == 404 and "toy-service" in unknown.json()["error"]


def test_infer_equals_predict_batch(client: httpx.Client) -> None:
    xs, colours = [1.0, 2.5, 0.5, 3.0], ["red", "blue", "green", "red"]
    instances = [{"x": x, "colour": c} for x, c in zip(xs, colours, strict=True)]
    batch = client.post("/predict/batch", json={"instances": instances})
    answer = client.post(INFER, json={"id": "42", "inputs": [tensor("x", xs), tensor("colour", colours, "BYTES")],
                                      "outputs": [{"name": "prediction"}]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_name"] == "toy-service" and body["model_version"] == "0.1.0" and body["id"] == "42"
    assert body["outputs"] == [{"name": "prediction", "shape": [4], "datatype": "FP64",
                                "data": batch.json()["predictions"]}]
    ids = body["parameters"]["ids"]
    assert len(set(ids)) == 4 and set(ids).isdisjoint(batch.json()["ids"])
    one = client.post(INFER, json={"inputs": [tensor("x", [1.5])]}).json()  # colour left out: its default
    assert one["outputs"][0]["data"] == [client.post("/predict", json={"x": 1.5}).json()["prediction"]]
    assert "id" not in one
    # [N, 1], nested data, and an integer tensor for a float argument (an integer is a valid float, as in JSON)
    nested = client.post(INFER, json={"inputs": [tensor("x", [[1], [2]], "INT64", [2, 1]),
                                                 tensor("colour", [["red"], ["blue"]], "BYTES", [2, 1])]})
    assert nested.json()["outputs"][0]["data"] == [2.0, 4.0]
    versioned = client.post("/v2/models/toy-service/versions/0.1.0/infer", json={"inputs": [tensor("x", [2.0])]})
    assert versioned.json()["outputs"][0]["data"] == [4.0]
    metrics = samples(client)
    assert metrics[("model_predictions_total", ())] == 4 + 4 + 1 + 1 + 2 + 1
    route = (("method", "POST"), ("route", "/v2/models/{model_name}/infer"), ("status", "200"))
    assert metrics[("http_requests_total", route)] == 3


def test_the_ids_go_to_feedback(client: httpx.Client) -> None:
    chosen = client.post(INFER, json={"inputs": [tensor("x", [1.0, 2.0])], "parameters": {"ids": ["a-1", "a-2"]}})
    assert chosen.json()["parameters"]["ids"] == ["a-1", "a-2"]
    new = client.post(INFER, json={"inputs": [tensor("x", [3.0])]}).json()["parameters"]["ids"]
    deadline = time.monotonic() + 5  # the store writes off the request path
    while client.get("/ready").json()["store"]["written"] < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    feedback = client.post("/feedback", json={"feedback": [{"id": "a-1", "outcome": 2.0}, {"id": new[0],
                                                                                           "outcome": 6.0}]})
    assert feedback.json() == {"matched": 2, "unknown": [], "duplicates": []}
    for ids in (["a-1"], ["b", "b"], ["not ok!", "c"], "a-1,a-2"):
        refused = client.post(INFER, json={"inputs": [tensor("x", [1.0, 2.0])], "parameters": {"ids": ids}})
        assert refused.status_code == 400 and "ids" in refused.json()["error"], ids


BAD_TENSORS: list[tuple[Any, str]] = [
    ({"inputs": [tensor("x", [1.0], "INT64")]}, "1.0 is not an integer (INT64)"),
    ({"inputs": [tensor("x", [True], "BOOL")]}, "BOOL tensor cannot carry"),
    ({"inputs": [tensor("x", ["1.5"], "BYTES")]}, "BYTES tensor cannot carry"),
    ({"inputs": [tensor("x", [1.0], "FP65")]}, "unknown datatype"),
    ({"inputs": [tensor("x", [1.0, 2.0, 3.0, 4.0], shape=[2, 2])]}, "shape [2, 2]"),
    ({"inputs": [tensor("x", [1.0], shape=[1, 1, 1])]}, "shape [1, 1, 1]"),
    ({"inputs": [tensor("x", [1.0], shape=[])]}, "shape []"),
    ({"inputs": [tensor("x", [1.0, 2.0], shape=[3])]}, "2 elements in its data for the shape [3]"),
    ({"inputs": [tensor("y", [1.0])]}, 'unknown input "y"'),
    ({"inputs": [tensor("colour", ["red"], "BYTES")]}, 'missing input "x"'),
    ({"inputs": [tensor("x", [1.0]), tensor("x", [2.0])]}, "given twice"),
    ({"inputs": [tensor("x", [1.0, 2.0]), tensor("colour", ["red"], "BYTES")]}, "same first dimension"),
    ({"inputs": [tensor("x", [1.0] * 6)]}, "batch size limit of 5 rows (TOY_SERVICE_MAX_BATCH_SIZE)"),
    ({"inputs": [tensor("x", [])]}, "no rows"),
    ({"inputs": []}, 'missing input "x"'),
    ({"inputs": [tensor("x", [None])]}, "null"),
    ({"inputs": [tensor("x", ["a"])]}, '"a" is not a number'),
    ({"inputs": [tensor("x", [1.5], "UINT64")]}, "1.5 is not an integer (UINT64)"),
    ({"inputs": [tensor("x", [1], "INT8"), tensor("colour", [1], "BYTES")]}, "1 is not a string"),
    ({"inputs": [tensor("x", [300], "INT8")]}, "out of the range of INT8"),
    ({"inputs": [tensor("x", [-1], "UINT8")]}, "out of the range of UINT8"),
    ({"inputs": [tensor("x", [1.0]), tensor("colour", ["pink"], "BYTES")]}, "input \"colour\": Input should be"),
    ({"inputs": [tensor("x", [1.0, 2.0]), tensor("colour", ["red", "pink"], "BYTES")]}, 'input "colour" row 1'),
    ({"inputs": [tensor("x", [1.0])], "outputs": [{"name": "output0"}]}, 'unknown output "output0"'),
    ({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64"}]}, "inputs.0.data: Field required"),
    ({"inputs": [{**tensor("x", [1.0]), "dtype": "FP64"}]}, "Extra inputs are not permitted"),
    ({"inputs": [tensor("x", [1.0], shape=[-1])]}, "inputs.0.shape.0"),
    ({"inputs": [tensor("x", [1.0], shape=[True])]}, "inputs.0.shape.0"),
    ({"inputs": "x"}, "inputs: Input should be a valid array"),
    ({"id": 42, "inputs": [tensor("x", [1.0])]}, "id: Input should be a valid string"),
    ([tensor("x", [1.0])], "Input should be an object"),
    ({}, "inputs: Field required"),
]


@pytest.mark.parametrize(("body", "reason"), BAD_TENSORS)
def test_bad_tensors_are_400_with_the_v2_error_body(client: httpx.Client, body: Any, reason: str) -> None:
    answer = client.post(INFER, json=body)
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"error"} and reason in answer.json()["error"]
    assert "\n" not in answer.json()["error"]


def test_bodies_that_are_not_json(client: httpx.Client) -> None:
    text = client.post(INFER, content=b"x=1", headers={"content-type": "application/x-www-form-urlencoded"})
    assert text.status_code == 400 and "Content-Type: application/json" in text.json()["error"]
    broken = client.post(INFER, content=b'{"inputs": [', headers={"content-type": "application/json"})
    assert broken.status_code == 400 and "not an inference request" in broken.json()["error"]
    nan = client.post(INFER, content=b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [NaN]}]}',
                      headers={"content-type": "application/json"})
    assert nan.status_code == 422  # the limits every endpoint shares come first (observability.py)


def test_failed_predictions_are_400_and_counted(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger("toy_service.predict").addHandler(caplog.handler)
    try:
        failed = client.post(INFER, json={"inputs": [tensor("x", [-1.0])]})
        invalid = client.post(INFER, json={"inputs": [tensor("x", [1.0, 99.0])]})
    finally:
        logging.getLogger("toy_service.predict").removeHandler(caplog.handler)
    assert failed.status_code == 400 and "ValueError" in failed.json()["error"]
    assert "secret" not in failed.text
    assert invalid.status_code == 400 and invalid.json()["error"].startswith("row 1: predict returned")
    assert any("secret text" in record.getMessage() for record in caplog.records)
    assert samples(client)[("model_prediction_errors_total", (("error", "ValueError"),))] == 1


def test_strict_mode_refuses_with_400(toy: tuple[Service, Toy], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_SERVICE_STRICT", "1")
    with served(create_app(toy[0])) as client:
        refused = client.post(INFER, json={"inputs": [tensor("x", [1.0, 30.0])]})
        assert refused.status_code == 400 and refused.json()["error"].startswith('input "x", row 1:')
        assert client.post(INFER, json={"inputs": [tensor("x", [1.0])]}).status_code == 200


def test_not_ready_is_503(toy: tuple[Service, Toy], package: Path) -> None:
    with (package / "artifacts" / "factor.joblib").open("ab") as file:
        file.write(b"\0")
    with served(create_app(toy[0]), status="failed") as client:
        assert client.get("/v2/health/live").json() == {"live": True}
        ready = client.get("/v2/health/ready")
        assert ready.status_code == 503 and ready.json()["ready"] is False and "failed" in ready.json()["error"]
        model = client.get("/v2/models/toy-service/ready")
        assert model.status_code == 503 and model.json()["name"] == "toy-service" and model.json()["ready"] is False
        answer = client.post(INFER, json={"inputs": [tensor("x", [1.0])]})
        assert answer.status_code == 503 and set(answer.json()) == {"error"}
        assert client.get("/v2/models/toy-service").status_code == 200  # metadata needs no artifacts


class Rich(BaseModel):
    model_config = request_config([])

    count: int
    flag: bool
    weights: list[float]
    extra: dict[str, int]
    anything: Any = None
    level: Literal[1, 2, 3] = 1
    either: int | str = 0
    maybe: float | None = None


class RichResponse(BaseModel):
    prediction: dict[str, float]


def rich_predict(count: int, flag: bool, weights: list[float], extra: dict[str, int], anything: Any = None,
                 level: int = 1, either: int | str = 0, maybe: float | None = None) -> dict[str, float]:
    return {"sum": float(sum(weights) * count + sum(extra.values()) + level), "flag": float(flag),
            "maybe": -1.0 if maybe is None else maybe}


@pytest.fixture
def rich(tmp_path: Path, toy: tuple[Service, Toy]) -> Service:
    service, _ = toy_service(write_package(tmp_path / "rich", profile=None), predict=rich_predict,
                             request_model=Rich, response_model=RichResponse)
    return service


def test_the_tensors_of_other_types(rich: Service) -> None:
    assert input_tensors(rich) == [
        Tensor("count", "integer"), Tensor("flag", "boolean"), Tensor("weights", "number", is_list=True),
        Tensor("extra", "json"), Tensor("anything", "json"), Tensor("level", "integer"),
        Tensor("either", "json"), Tensor("maybe", "number", nullable=True),
    ]
    assert output_tensor(rich) == Tensor("prediction", "json")
    with served(create_app(rich)) as client:
        metadata = client.get("/v2/models/toy-service").json()
        assert [(t["datatype"], t["shape"]) for t in metadata["inputs"]] == [
            ("INT64", [-1]), ("BOOL", [-1]), ("FP64", [-1, -1]), ("BYTES", [-1]), ("BYTES", [-1]), ("INT64", [-1]),
            ("BYTES", [-1]), ("FP64", [-1])]
        assert metadata["properties"]["json_inputs"] == "extra,anything,either"
        assert metadata["properties"]["prediction_encoding"] == "json"
        rows = [{"count": 2, "flag": True, "weights": [0.5, 1.0], "extra": {"a": 1}, "maybe": None},
                {"count": 1, "flag": False, "weights": [2.0, 0.0], "extra": {}, "level": 3, "maybe": 0.5}]
        expected = client.post("/predict/batch", json={"instances": rows}).json()["predictions"]
        body = {"inputs": [
            tensor("count", [2, 1], "INT32"), tensor("flag", [True, False], "BOOL"),
            tensor("weights", [0.5, 1.0, 2.0, 0.0], shape=[2, 2]),
            tensor("extra", [json.dumps({"a": 1}), "{}"], "BYTES"), tensor("level", [1, 3], "INT64"),
            tensor("maybe", [None, 0.5]),
        ]}
        answer = client.post(INFER, json=body)
        assert answer.status_code == 200, answer.text
        output = answer.json()["outputs"][0]
        assert output["datatype"] == "BYTES" and [json.loads(item) for item in output["data"]] == expected
        # a list argument as JSON text per row; an FP64 tensor is refused for an int argument
        as_text = {"inputs": [*body["inputs"][:2], tensor("weights", ["[0.5, 1.0]", "[2.0, 0.0]"], "BYTES"),
                              *body["inputs"][3:]]}
        assert client.post(INFER, json=as_text).json()["outputs"] == answer.json()["outputs"]
        for change, reason in (
            ({2: tensor("weights", [0.5, 1.0, 2.0], shape=[2, 1])}, "elements in its data"),
            ({2: tensor("weights", [0.5, 1.0])}, "a list argument is [N, K]"),
            ({0: tensor("count", [2.0, 1.0])}, "a FP64 tensor cannot carry it"),
            ({3: tensor("extra", ["{", "{}"], "BYTES")}, "not JSON text"),
            ({3: tensor("extra", ['{"a": "b"}', "{}"], "BYTES")}, 'input "extra" row 0 [a]'),
            ({4: tensor("level", [1, 4], "INT64")}, 'input "level" row 1: Input should be 1, 2 or 3'),
        ):
            inputs = list(body["inputs"])
            for index, replaced in change.items():
                inputs[index] = replaced
            refused = client.post(INFER, json={"inputs": inputs})
            assert refused.status_code == 400 and reason in refused.json()["error"], refused.text


def test_the_openapi_lists_the_v2_operations(client: httpx.Client) -> None:
    openapi = client.get("/openapi.json").json()
    paths = openapi["paths"]
    assert {"/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/{model_name}", "/v2/models/{model_name}/ready",
            "/v2/models/{model_name}/infer", "/v2/models/{model_name}/versions/{model_version}/infer"} <= set(paths)
    infer = paths["/v2/models/{model_name}/infer"]["post"]
    assert {"200", "400", "404", "408", "413", "422", "503"} == set(infer["responses"])
    assert infer["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InferenceRequest"}
    assert infer["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/V2Error"}
    schemas = openapi["components"]["schemas"]
    assert {"InferenceRequest", "RequestInput", "RequestOutput", "InferenceResponse", "ModelMetadata",
            "ServerMetadata", "V2Error"} <= set(schemas)
    assert schemas["InferenceRequest"]["required"] == ["inputs"]
    parameters = {p["name"]: p["schema"] for p in paths["/v2/models/{model_name}/versions/{model_version}/infer"][
        "post"]["parameters"]}
    assert parameters == {"model_name": {"type": "string", "enum": ["toy-service"]},
                          "model_version": {"type": "string", "enum": ["0.1.0"]}}


values = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False,
                   allow_infinity=False), st.text(max_size=5))
tensors = st.fixed_dictionaries(
    {"name": st.sampled_from(["x", "colour", "y", ""]),
     "shape": st.lists(st.integers(-1, 7), max_size=3),
     "datatype": st.sampled_from(["FP64", "FP32", "INT64", "INT8", "UINT8", "BOOL", "BYTES", "FP8"]),
     "data": st.recursive(st.lists(values, max_size=7), lambda inner: st.lists(inner, max_size=3), max_leaves=12)},
    optional={"parameters": st.dictionaries(st.text(max_size=3), values, max_size=2)},
)
bodies = st.one_of(
    st.fixed_dictionaries({"inputs": st.lists(tensors, max_size=3)},
                          optional={"id": st.one_of(st.text(max_size=4), st.integers()),
                                    "outputs": st.lists(st.fixed_dictionaries({"name": st.sampled_from(
                                        ["prediction", "output0"])}), max_size=2),
                                    "parameters": st.dictionaries(st.sampled_from(["ids", "p"]), st.one_of(
                                        values, st.lists(st.text(max_size=3), max_size=7)), max_size=2)}),
    st.recursive(values, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                      max_size=3), max_leaves=8),
)


def test_no_infer_body_is_answered_with_a_5xx(toy: tuple[Service, Toy]) -> None:
    with served(create_app(toy[0])) as client:

        @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(bodies)
        def check(body: Any) -> None:
            answer = client.post(INFER, json=body)
            assert answer.status_code in (200, 400), answer.text
            assert (set(answer.json()) == {"error"}) == (answer.status_code == 400)

        check()
