"""runtime/app.py and observability.py: the FastAPI app of the toy service, served by uvicorn in a thread on
127.0.0.1 and driven over real HTTP (starlette's httpx.Client warns about httpx, and these tests turn warnings
into errors)."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from _toy_service import Toy
from prometheus_client.parser import text_string_to_metric_families

from nb2prod.service_runtime.app import create_app
from nb2prod.service_runtime.observability import protocol_for
from nb2prod.service_runtime.schema import ID_EXAMPLES
from nb2prod.service_runtime.service import Service
from nb2prod.service_runtime.settings import DriftSettings


@contextmanager
def served(app: Any, status: str = "ready", http: Any = "auto") -> Iterator[httpx.Client]:
    """`app` under uvicorn in a thread on a free port of 127.0.0.1; a client of it once /ready is `status`."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", http=http))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
            deadline = time.monotonic() + 10
            while True:
                assert time.monotonic() < deadline, "the service did not finish loading in 10 s"
                try:
                    answer = client.get("/ready").json()["status"]
                except httpx.TransportError:
                    answer = "loading"
                if answer != "loading":
                    break
                time.sleep(0.02)
            assert answer == status
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


pytestmark = pytest.mark.usefixtures("store_in_tmp")  # conftest.py: each test's store in its tmp_path


@pytest.fixture
def client(toy: tuple[Service, Toy]) -> Iterator[httpx.Client]:
    with served(create_app(toy[0])) as client:
        yield client


def samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(client.get("/metrics").text) for s in family.samples}


def test_every_endpoint(client: httpx.Client, toy: tuple[Service, Toy]) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    single = client.post("/predict", json={"x": 1.5})
    assert single.json() == {"prediction": 3.0, "id": single.headers["x-prediction-id"]}
    assert re.fullmatch("[0-9a-f]{32}", single.json()["id"])
    batch = client.post("/predict/batch", json={"instances": [{"x": 1}, {"x": 2, "colour": "blue"}]}).json()
    assert batch["predictions"] == [2.0, 4.0] and len(set(batch["ids"])) == 2
    deadline = time.monotonic() + 5  # the store writes off the request path, a moment later
    while (store := client.get("/ready").json()["store"])["written"] < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store == {"kind": "sqlite", "up": True, "reason": "", "queued": 0, "dropped": 0, "written": 3}
    metadata = client.get("/metadata").json()
    assert metadata["title"] == "Toy" and [a["name"] for a in metadata["artifacts"]] == ["factor"]
    assert metadata["request_schema"] == toy[0].request_model.model_json_schema()
    drift = client.get("/drift").json()
    assert drift["available"] is True and drift["rows"] == 3 and set(drift["features"]) == {"x", "colour"}
    metrics = samples(client)
    assert metrics[("model_predictions_total", ())] == 3
    assert metrics[("http_requests_total", (("method", "POST"), ("route", "/predict"), ("status", "200")))] == 1
    assert metrics[("model_build_info", (("artifacts", f"factor:{metadata['artifacts'][0]['sha256']}"),
                                         ("nb2prod_version", "0.0.0"), ("notebook_sha256", "ab" * 32),
                                         ("project_name", "toy-service"), ("version", "0.1.0")))] == 1
    assert client.get("/", headers={"X-Request-ID": "abc-1"}).headers["x-request-id"] == "abc-1"


def test_the_openapi_has_the_examples_and_the_batch_models(client: httpx.Client) -> None:
    openapi = client.get("/openapi.json").json()
    body = openapi["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert [e["value"] for e in body["examples"].values()] == [{"x": 1.5, "colour": "red"}, {"x": 2.0}]
    schemas = openapi["components"]["schemas"]
    assert schemas["BatchRequest"]["properties"]["instances"]["maxItems"] == 5
    assert {"PredictRequest", "PredictionWithId", "BatchResponse", "ValidationErrors", "Feedback", "FeedbackBatch",
            "FeedbackResult", "QualityReport", "StoreState"} <= set(schemas)
    assert schemas["PredictionWithId"]["examples"] == [{"prediction": 3.0, "id": ID_EXAMPLES[0]}]
    assert schemas["BatchResponse"]["examples"] == [{"predictions": [3.0, 4.0], "ids": list(ID_EXAMPLES[:2])}]
    (header,) = openapi["paths"]["/predict"]["post"]["parameters"]
    assert header["in"] == "header" and header["name"] == "X-Prediction-Id" and header["schema"]["maxLength"] == 128
    feedback = openapi["paths"]["/feedback"]["post"]
    assert feedback["requestBody"]["content"]["application/json"]["schema"] == {"anyOf": [
        {"$ref": "#/components/schemas/FeedbackBatch"}, {"$ref": "#/components/schemas/Feedback"}]}
    assert {"200", "422", "503"} <= set(feedback["responses"])
    assert schemas["Feedback"]["properties"]["outcome"]["anyOf"] == [{"type": "number"}, {"type": "null"}]


def test_invalid_inputs_are_422_naming_the_field(client: httpx.Client) -> None:
    cases = [({"x": "1.5"}, ["body", "x"]), ({"x": True}, ["body", "x"]), ({}, ["body", "x"]),
             ({"x": 1, "y": 2}, ["body", "y"]), ({"x": 1, "colour": "pink"}, ["body", "colour"])]
    for body, loc in cases:
        response = client.post("/predict", json=body)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == loc, body
    too_many = client.post("/predict/batch", json={"instances": [{"x": 1}] * 6})
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["body", "instances"]
    assert client.post("/predict", content=b'{"x": NaN}', headers={"content-type": "application/json"}
                       ).json()["detail"][0]["type"] == "json_invalid"
    assert client.post("/predict", content=b"x=1", headers={"content-type": "text/plain"}).status_code == 422


def test_a_failing_predict_is_422_and_its_text_stays_in_the_log(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("toy_service.predict").addHandler(caplog.handler)
    try:
        failed = client.post("/predict", json={"x": -1})
        invalid = client.post("/predict/batch", json={"instances": [{"x": 1}, {"x": 99}]})
    finally:
        logging.getLogger("toy_service.predict").removeHandler(caplog.handler)
    assert failed.status_code == 422 and failed.json()["detail"][0]["type"] == "prediction_failed"
    assert "secret" not in failed.text and "ValueError" in failed.text
    assert invalid.json()["detail"][0]["type"] == "prediction_invalid"
    assert invalid.json()["detail"][0]["loc"] == ["body", "instances", 1]
    assert any("secret text" in record.getMessage() for record in caplog.records)
    assert samples(client)[("model_prediction_errors_total", (("error", "ValueError"),))] == 1


def test_limits_from_the_settings(toy: tuple[Service, Toy]) -> None:
    settings = dataclasses.replace(toy[0].settings(), max_body_bytes=64, max_json_depth=2)
    with served(create_app(toy[0], settings=settings)) as client:
        assert client.post("/predict", json={"x": 1, "colour": "red" + " " * 100}).status_code == 413
        assert client.post("/predict", content=b'{"x": [[[1]]]}', headers={"content-type": "application/json"}
                           ).json()["detail"][0]["msg"] == "the JSON is nested deeper than 2 levels"


def test_strict_mode_and_its_settings_from_the_environment(
    toy: tuple[Service, Toy], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOY_SERVICE_STRICT", "1")
    with served(create_app(toy[0])) as client:
        response = client.post("/predict/batch", json={"instances": [{"x": 1}, {"x": 30}]})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "instances", 1, "x"]
        assert response.json()["detail"][0]["type"] == "out_of_range"
        assert client.get("/drift").json()["strict"] is True


def test_not_ready_is_503_and_says_why(toy: tuple[Service, Toy], package: Path) -> None:
    with (package / "artifacts" / "factor.joblib").open("ab") as file:
        file.write(b"\0")
    with served(create_app(toy[0]), status="failed") as client:
        assert "sha256" in client.get("/ready").json()["reason"]
        assert client.post("/predict", json={"x": 1}).status_code == 503
        assert client.get("/health").status_code == 200
    (package / "profile.json").unlink()
    strict = dataclasses.replace(toy[0].settings(), drift=DriftSettings(strict=True))  # the store: in tmp_path
    with served(create_app(toy[0], settings=strict), status="failed") as client:
        assert "profile" in client.get("/ready").json()["reason"]


def test_a_client_stalling_in_its_headers_is_answered_408(toy: tuple[Service, Toy]) -> None:
    """Under uvicorn on 127.0.0.1, with the protocol `serve` runs and a deadline of half a second."""
    with served(create_app(toy[0]), http=protocol_for(0.5)) as client:
        port = int(str(client.base_url).rsplit(":", 1)[1].strip("/"))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: x")
            answer = conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408 ") and json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]


def test_prediction_ids_are_new_or_the_clients_and_logged(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("toy_service.access").addHandler(caplog.handler)
    try:
        mine = client.post("/predict", json={"x": 1}, headers={"X-Prediction-Id": "order-1:a.b_c-d"})
        batch = client.post("/predict/batch", json={"instances": [{"x": 1}, {"x": 2}], "ids": ["b-1", "b-2"]})
    finally:
        logging.getLogger("toy_service.access").removeHandler(caplog.handler)
    assert mine.json() == {"prediction": 2.0, "id": "order-1:a.b_c-d"}
    assert mine.headers["x-prediction-id"] == "order-1:a.b_c-d"
    assert batch.json() == {"predictions": [2.0, 4.0], "ids": ["b-1", "b-2"]}
    logged = [record.fields.get("prediction_ids") for record in caplog.records  # type: ignore[attr-defined]
              if record.name == "toy_service.access" and record.fields["route"].startswith("/predict")]
    assert logged == [["order-1:a.b_c-d"], ["b-1", "b-2"]]
    for bad in ("", "a b", "x" * 129, "é"):
        response = client.post("/predict", json={"x": 1}, headers={"X-Prediction-Id": bad.encode()})
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["header", "X-Prediction-Id"]
    cases = [(["a"], "ids_mismatch"), (["a", "b", "c"], "ids_mismatch"), (["a", "a"], "ids_not_unique")]
    for ids, kind in cases:
        response = client.post("/predict/batch", json={"instances": [{"x": 1}, {"x": 2}], "ids": ids})
        assert response.status_code == 422 and response.json()["detail"][0]["type"] == kind, ids
        assert response.json()["detail"][0]["loc"] == ["body", "ids"]
    refused = client.post("/predict/batch", json={"instances": [{"x": 1}], "ids": ["bad id"]})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "ids", 0]


def with_lock_metrics(package: Path, metrics: list[dict[str, Any]]) -> None:
    """Give the toy's lock the metrics a notebook's `metrics` cells printed."""
    path = package / "nb2prod.lock.json"
    lock = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**lock, "metrics": metrics}), encoding="utf-8")


def test_feedback_gives_the_live_quality_against_the_notebooks_figures(
    toy: tuple[Service, Toy], package: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with_lock_metrics(package, [{"name": "test MAE", "value": 0.5, "printed": "0.5"}, {"name": "r2", "value": 0.9}])
    monkeypatch.setenv("TOY_SERVICE_QUALITY_MIN_COUNT", "4")
    logging.getLogger("toy_service.quality").addHandler(caplog.handler)
    try:
        with served(create_app(toy[0])) as client:
            ids = client.post("/predict/batch", json={"instances": [{"x": x} for x in (1, 2, 3, 4)]}).json()["ids"]
            assert client.get("/performance").json()["reason"] == "no prediction in the window has feedback yet"
            # predictions 2, 4, 6, 8 against outcomes 2.5, 4, 5.5, 8: errors -0.5, 0, 0.5, 0 (MAE 0.25, bias 0)
            outcomes = [2.5, 4, 5.5, 8]
            first = client.post("/feedback", json={"id": ids[0], "outcome": outcomes[0]})
            assert first.json() == {"matched": 1, "unknown": [], "duplicates": []}
            rest = [{"id": i, "outcome": o} for i, o in zip(ids[1:], outcomes[1:], strict=True)]
            answer = client.post("/feedback", json={"feedback": [*rest, {"id": ids[0], "outcome": 9.0},
                                                                 {"id": "never-predicted", "outcome": 1.0}]})
            assert answer.json() == {"matched": 3, "unknown": ["never-predicted"], "duplicates": [ids[0]]}
            report = client.get("/performance").json()
            assert report["status"] == "ok" and report["kind"] == "numbers" and report["count"] == 4
            assert report["metrics"] == pytest.approx({"mae": 0.25, "rmse": math.sqrt(0.125), "bias": 0.0})
            assert report["baseline"] == {"mae": 0.5} and report["change"] == {"mae": -0.5}
            metrics = samples(client)
            assert metrics[("model_quality", (("metric", "mae"),))] == 0.25
            assert metrics[("model_quality_baseline", (("metric", "mae"),))] == 0.5
            assert metrics[("model_quality_window_count", ())] == 4
            assert metrics[("model_quality_status", ())] == 0
            assert {outcome: metrics[("model_feedback_total", (("outcome", outcome),))]
                    for outcome in ("matched", "unknown", "duplicate")} == {"matched": 4, "unknown": 1, "duplicate": 1}
            assert metrics[("model_store_up", ())] == 1 and metrics[("model_ready", ())] == 1
            assert metrics[("model_store_writes_dropped_total", ())] == 0 and ("model_store_queue", ()) in metrics
            # four more, each 1.0 too high: MAE 0.625 is 25 % above the notebook's 0.5
            more = client.post("/predict/batch", json={"instances": [{"x": 1}] * 4}).json()["ids"]
            client.post("/feedback", json={"feedback": [{"id": i, "outcome": 1} for i in more]})
            report = client.get("/performance").json()
            assert report["metrics"]["mae"] == pytest.approx(0.625) and report["status"] == "alert"
            assert report["metrics"]["bias"] == pytest.approx(0.5)
            assert client.post("/feedback", json={"id": more[0], "outcome": "1"}).json()["detail"][0]["loc"] == [
                "body", "outcome"]
            for body in ({"feedback": []}, {"id": "a"}, {"outcome": 1}, [], {"id": "a b", "outcome": 1},
                         {"feedback": [{"id": "a", "outcome": 1}], "id": "a"}):
                assert client.post("/feedback", json=body).status_code == 422, body
    finally:
        logging.getLogger("toy_service.quality").removeHandler(caplog.handler)
    changes = [r for r in caplog.records if r.name == "toy_service.quality"]
    assert [r.getMessage() for r in changes] == ["live quality: ok -> alert"]


def test_inputs_are_not_kept_when_told(
    toy: tuple[Service, Toy], monkeypatch: pytest.MonkeyPatch, store_in_tmp: Path
) -> None:
    for keep in ("1", "0"):
        monkeypatch.setenv("TOY_SERVICE_STORE_INPUTS", keep)
        with served(create_app(toy[0])) as client:
            client.post("/predict", json={"x": 1.5, "colour": "blue"}, headers={"X-Prediction-Id": f"keep-{keep}"})
        # the store is closed, its queue written, when the app stops
    with sqlite3.connect(store_in_tmp) as db:
        rows = dict(db.execute("SELECT id, inputs FROM predictions").fetchall())
    assert rows == {"keep-1": json.dumps({"x": 1.5, "colour": "blue"}, separators=(",", ":")), "keep-0": None}


def test_a_store_that_is_down_keeps_the_service_predicting(
    toy: tuple[Service, Toy], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("TOY_SERVICE_STORE_URL", f"sqlite:///{tmp_path}/a-file/predictions.sqlite3")
    with served(create_app(toy[0])) as client:
        assert client.post("/predict", json={"x": 1}).status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 200 and ready.json()["store"]["up"] is False
        assert ready.json()["store"]["reason"]
        down = client.post("/feedback", json={"id": "a", "outcome": 1.0})
        assert down.status_code == 503 and "prediction store is unavailable" in down.json()["detail"]
        report = client.get("/performance")
        assert report.status_code == 200 and report.json()["status"] == "unknown"
        assert report.json()["store_up"] is False
        metrics = samples(client)
        assert metrics[("model_store_up", ())] == 0 and metrics[("model_quality_status", ())] == -1
        assert metrics[("model_ready", ())] == 1


def test_no_store(toy: tuple[Service, Toy], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOY_SERVICE_STORE_URL", "off")
    with served(create_app(toy[0])) as client:
        id_ = client.post("/predict", json={"x": 1}).json()["id"]
        assert client.get("/ready").json()["store"]["kind"] == "off"
        assert client.post("/feedback", json={"id": id_, "outcome": 2.0}).json() == {
            "matched": 0, "unknown": [id_], "duplicates": []}
