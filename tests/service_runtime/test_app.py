"""runtime/app.py and observability.py: the FastAPI app of the toy service, served by uvicorn in a thread on
127.0.0.1 and driven over real HTTP (starlette's httpx.Client warns about httpx, and these tests turn warnings
into errors)."""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
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
from nb2prod.service_runtime.service import Service
from nb2prod.service_runtime.settings import DriftSettings, Settings


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


@pytest.fixture
def client(toy: tuple[Service, Toy]) -> Iterator[httpx.Client]:
    with served(create_app(toy[0])) as client:
        yield client


def samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(client.get("/metrics").text) for s in family.samples}


def test_every_endpoint(client: httpx.Client, toy: tuple[Service, Toy]) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.post("/predict", json={"x": 1.5}).json() == {"prediction": 3.0}
    assert client.post("/predict/batch", json={"instances": [{"x": 1}, {"x": 2, "colour": "blue"}]}).json() == {
        "predictions": [2.0, 4.0]}
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
    assert {"PredictRequest", "PredictResponse", "BatchResponse", "ValidationErrors"} <= set(schemas)


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
    strict = Settings(prefix="TOY_SERVICE", drift=DriftSettings(strict=True))
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
