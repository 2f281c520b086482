"""Metrics, request ids, logs and limits of the running service, over real HTTP."""

import json
import logging
import socket
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.runtime.observability import JsonFormatter
from {{ cookiecutter.package_name }}.schema import EXAMPLES, PredictRequest
from {{ cookiecutter.package_name }}.service import SERVICE

MAX_BODY_BYTES = SERVICE.settings().max_body_bytes
MAX_JSON_DEPTH = SERVICE.settings().max_json_depth

ACCESS_LOGGER = "{{ cookiecutter.package_name }}.access"
JSON = {"content-type": "application/json"}


@pytest.fixture
def example() -> dict[str, Any]:
    """The notebook's first example, a valid input."""
    if EXAMPLES:
        return EXAMPLES[0]["input"]
    if PredictRequest.model_json_schema().get("required"):
        pytest.skip("the notebook defines no example to send")
    return {}


@pytest.fixture
def access_log() -> Iterator[list[logging.LogRecord]]:
    """The request lines the service logs while the test runs (it runs in this process)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def assert_healthy(client: httpx.Client, example: dict[str, Any]) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 200
    assert client.post("/predict", json=example).status_code == 200


def test_metrics_move_after_requests(client: httpx.Client, example: dict[str, Any]) -> None:
    before = samples(client)
    assert client.post("/predict", json=example).status_code == 200
    assert client.post("/predict/batch", json={"instances": [example, example]}).status_code == 200
    assert client.post("/predict", json={**example, "not_a_field": 1}).status_code == 422
    after = samples(client)

    route = {"method": "POST", "route": "/predict", "status": "200"}
    assert value(after, "http_requests_total", **route) == value(before, "http_requests_total", **route) + 1
    assert value(after, "http_request_duration_seconds_count", **route) > value(
        before, "http_request_duration_seconds_count", **route
    )
    invalid = {**route, "status": "422"}
    assert value(after, "http_requests_total", **invalid) == value(before, "http_requests_total", **invalid) + 1
    batch = {**route, "route": "/predict/batch"}
    assert value(after, "http_requests_total", **batch) == value(before, "http_requests_total", **batch) + 1
    assert value(after, "model_predictions_total") == value(before, "model_predictions_total") + 3
    assert value(after, "model_batch_size_count") == value(before, "model_batch_size_count") + 1
    assert value(after, "model_batch_size_sum") == value(before, "model_batch_size_sum") + 2
    labelled = sum(v for (name, _), v in after.items() if name == "model_prediction_class_total")
    numeric = value(after, "model_prediction_value_count")
    assert labelled + numeric <= value(after, "model_predictions_total")


def test_metrics_use_route_templates_not_raw_paths(client: httpx.Client) -> None:
    raw = f"/no-such-path-{uuid.uuid4().hex}"
    assert client.get(raw).status_code == 404
    text = client.get("/metrics").text
    assert raw not in text
    assert 'route="<unmatched>"' in text


def test_build_info(client: httpx.Client) -> None:
    metadata = client.get("/metadata").json()
    metrics = samples(client)
    (labels,) = [dict(labels) for name, labels in metrics if name == "model_build_info"]
    assert labels["version"] == metadata["version"]
    assert labels["notebook_sha256"] == metadata["notebook_sha256"]
    assert labels["nb2prod_version"] == metadata["nb2prod_version"]
    for artifact in metadata["artifacts"]:
        assert f"{artifact['name']}:{artifact['sha256']}" in labels["artifacts"].split(",")


def test_request_id_is_echoed_or_generated(client: httpx.Client) -> None:
    given = f"test-{uuid.uuid4().hex}"
    assert client.get("/health", headers={"X-Request-ID": given}).headers["x-request-id"] == given
    generated = client.get("/health").headers["x-request-id"]
    assert uuid.UUID(generated).version == 4
    unsafe = client.get("/health", headers={"X-Request-ID": "a b\tc"}).headers["x-request-id"]
    assert uuid.UUID(unsafe).version == 4
    assert client.get("/not-found").headers["x-request-id"]


def test_one_json_log_line_per_request_without_the_payload(
    client: httpx.Client, example: dict[str, Any], access_log: list[logging.LogRecord]
) -> None:
    secret = f"payload-{uuid.uuid4().hex}"
    request_id = f"log-{uuid.uuid4().hex}"
    client.post("/predict", json={**example, "not_a_field": secret}, headers={"X-Request-ID": request_id})
    (record,) = [r for r in access_log if r.fields["request_id"] == request_id]  # type: ignore[attr-defined]
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert {key: entry[key] for key in ("request_id", "method", "route", "status")} == {
        "request_id": request_id,
        "method": "POST",
        "route": "/predict",
        "status": 422,
    }
    assert entry["latency_ms"] >= 0
    assert secret not in line


def test_too_large_body_is_413(client: httpx.Client, example: dict[str, Any]) -> None:
    body = b" " * (MAX_BODY_BYTES + 1)
    response = client.post("/predict", content=body, headers=JSON)
    assert response.status_code == 413
    assert response.headers["x-request-id"]
    assert_healthy(client, example)


def test_huge_declared_body_is_413_before_it_is_sent(base_url: str, client: httpx.Client, example: dict[str, Any]) -> None:
    """The service answers on the headers alone: it does not wait for (or read) 10 GiB."""
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n{" % (10 << 30)
        )
        answer = sock.makefile("rb").readline()
    assert answer.split()[1] == b"413", answer
    assert_healthy(client, example)


def test_too_large_chunked_body_is_413(client: httpx.Client, example: dict[str, Any]) -> None:
    chunk = b" " * (MAX_BODY_BYTES // 2 + 1)
    response = client.post("/predict/batch", content=iter([chunk, chunk]), headers=JSON)
    assert response.status_code == 413
    assert_healthy(client, example)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_4xx(client: httpx.Client, example: dict[str, Any], literal: str) -> None:
    for path, body in [
        ("/predict", '{"not_a_field": %s}'),
        ("/predict", json.dumps(example)[:-1] + (", " if example else "") + '"x": [%s]}'),
        ("/predict/batch", '{"instances": [%s]}'),
    ]:
        response = client.post(path, content=(body % literal) if "%s" in body else body, headers=JSON)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
    numbers = [name for name, schema in PredictRequest.model_json_schema().get("properties", {}).items()
               if schema.get("type") == "number"]
    if numbers:
        body = json.dumps({**example, numbers[0]: 0.5}).replace("0.5", literal, 1)
        response = client.post("/predict", content=body, headers=JSON)
        assert response.status_code == 422, response.text
    assert_healthy(client, example)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_4xx(client: httpx.Client, example: dict[str, Any], depth: int) -> None:
    nested = "[" * depth + "]" * depth
    for path, body in [
        ("/predict", nested),
        ("/predict", '{"x": ' + nested + "}"),
        ("/predict/batch", '{"instances": ' + nested + "}"),
    ]:
        if len(body) > MAX_BODY_BYTES:
            continue
        response = client.post(path, content=body, headers=JSON)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:200])
    assert_healthy(client, example)


def test_invalid_json_is_422(client: httpx.Client, example: dict[str, Any]) -> None:
    response = client.post("/predict", content=b"{not json", headers=JSON)
    assert response.status_code == 422
    assert_healthy(client, example)


def test_field_types_are_strict(client: httpx.Client, example: dict[str, Any]) -> None:
    """A boolean is not a number, a numeric string is not a number, a number is not a string or a boolean."""
    wrong = {"number": [True, "1.5"], "integer": [True, "1", 1.5], "string": [1], "boolean": [1, "true"]}
    properties = PredictRequest.model_json_schema().get("properties", {})
    fields = [(name, schema["type"]) for name, schema in properties.items()
              if schema.get("type") in wrong and "enum" not in schema]
    if not fields:
        pytest.skip("no parameter of predict is a plain number, string or boolean")
    for name, kind in fields:
        for bad in wrong[kind]:
            response = client.post("/predict", json={**example, name: bad})
            assert response.status_code == 422, (name, bad, response.text)
            assert ["body", name] in [error["loc"] for error in response.json()["detail"]]
    assert_healthy(client, example)


@pytest.mark.parametrize(
    "body",
    [b'{"x": "\xff\xfe"}', b'{"x": ' + b"9" * 5000 + b"}", b'{"x": "\\ud800"}', b'{"\\udc00": 1}'],
    ids=["not UTF-8", "5000 digits", "lone surrogate value", "lone surrogate key"],
)
def test_bodies_that_are_not_json_text_are_422(client: httpx.Client, example: dict[str, Any], body: bytes) -> None:
    for path in ("/predict", "/predict/batch"):
        response = client.post(path, content=body, headers=JSON)
        assert response.status_code == 422, (path, response.text)
        (error,) = json.loads(response.content.decode("utf-8"))["detail"]
        assert error["type"] == "json_invalid" and error["loc"] == ["body"]
    assert_healthy(client, example)


def test_the_openapi_lists_the_statuses_of_the_limits(client: httpx.Client) -> None:
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            assert {"200", "408", "413", "422"} <= set(operation["responses"]), (method, path)
            if path.startswith("/predict"):
                assert "503" in operation["responses"], path


def test_a_client_that_stalls_in_its_headers_is_answered_408(serve: Any, example: dict[str, Any]) -> None:
    """The protocol `serve` runs, with a short deadline: half a header line, then silence."""
    from {{ cookiecutter.package_name }}.app import TimeoutH11Protocol, create_app

    quick = type("QuickProtocol", (TimeoutH11Protocol,), {"header_timeout": 0.5})
    url = urlsplit(serve(create_app(), http=quick))
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Ty")
        answer = sock.makefile("rb").read()  # until the service closes the connection
    assert answer.startswith(b"HTTP/1.1 408 "), answer
