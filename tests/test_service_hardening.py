"""The generated service against hostile and careless clients (issue 10), over real HTTP.

The iris project of `test_template.py` is baked once for the module and served by a real
uvicorn on 127.0.0.1 (`_services.running_service`, with the template's header-deadline
protocol and short deadlines so that the slow-client tests take seconds). Each defect of
the issue has its reproduction here, asserting the right answer:

- a finite huge float reaches the notebook's `predict`, which raises: 422 naming the
  exception in one line (no traceback), logged with its traceback, counted in /metrics;
- booleans and numeric strings for float fields: refused (strict types), an int is fine;
- bytes that are not UTF-8, and a 5,000-digit integer: 422 with the validation body, not 400;
- half a header line, or half a body, then silence: 408 and disconnected within the limit;
- a lone surrogate escape in a key or a value: 422 with a body that encodes.

Then schemathesis runs every check against the running service, bounded by a fixed seed
and number of examples: no 5xx, no answer outside the OpenAPI.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from _services import RunningService, free_port, metric_samples, running_service
from test_template import PACKAGE, Baked, bake_example, run

pytestmark = pytest.mark.slow  # bakes the iris project and runs it

ENV = PACKAGE.upper()
HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
SLACK = 3.0
"""How much later than its deadline a slow client may be cut off (a loaded machine, the client's own reading)."""
PROTOCOL = f"{PACKAGE}.app:TimeoutH11Protocol"
GOOD = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
JSON = {"content-type": "application/json"}
HUGE = 1.7976931348623157e308
"""The largest finite float: valid for the schema, too large for the model's scaler."""
SCHEMATHESIS_EXAMPLES = 100
SCHEMATHESIS_SEED = 20240501

EVERY_OPERATION = {408, 413, 422}
"""What any operation can answer before its route sees the request (the limits)."""
STATUSES = {
    ("post", "/predict"): {200, 503} | EVERY_OPERATION,
    ("post", "/predict/batch"): {200, 503} | EVERY_OPERATION,
    ("get", "/health"): {200} | EVERY_OPERATION,
    ("get", "/ready"): {200, 503} | EVERY_OPERATION,
    ("get", "/metadata"): {200, 503} | EVERY_OPERATION,
    ("get", "/drift"): {200} | EVERY_OPERATION,
    ("post", "/feedback"): {200, 503} | EVERY_OPERATION,
    ("get", "/performance"): {200} | EVERY_OPERATION,
    ("get", "/metrics"): {200} | EVERY_OPERATION,
    # the Open Inference Protocol (V2): its errors are {"error": ...} (V2Error)
    ("get", "/v2"): {200} | EVERY_OPERATION,
    ("get", "/v2/health/live"): {200} | EVERY_OPERATION,
    ("get", "/v2/health/ready"): {200, 503} | EVERY_OPERATION,
    **{("get", f"/v2/models/{{model_name}}{version}"): {200, 404} | EVERY_OPERATION
       for version in ("", "/versions/{model_version}")},
    **{("get", f"/v2/models/{{model_name}}{version}/ready"): {200, 404, 503} | EVERY_OPERATION
       for version in ("", "/versions/{model_version}")},
    **{("post", f"/v2/models/{{model_name}}{version}/infer"): {200, 400, 404, 503} | EVERY_OPERATION
       for version in ("", "/versions/{model_version}")},
}
V2_READY = {"/v2/health/ready": "ServerReady", "/v2/models/{model_name}/ready": "ModelReady",
            "/v2/models/{model_name}/versions/{model_version}/ready": "ModelReady"}
"""The V2 readiness operations, whose 503 carries the same body as their 200 (ready: false)."""


@dataclass(frozen=True)
class Served:
    baked: Baked
    service: RunningService


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> Baked:
    return bake_example(tmp_path_factory.mktemp("bake-hardening"))


@pytest.fixture(scope="module")
def served(baked: Baked, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    env = {f"{ENV}_HEADER_TIMEOUT": str(HEADER_TIMEOUT), f"{ENV}_BODY_TIMEOUT": str(BODY_TIMEOUT)}
    log_path = tmp_path_factory.mktemp("hardening-log") / "service.log"
    options = {"log_path": log_path, "env": env, "uvicorn_args": ["--http", PROTOCOL]}
    with running_service(baked.project, PACKAGE, **options) as service:
        yield Served(baked, service)


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with served.service.client() as client:
        yield client


def post(client: httpx.Client, path: str, body: bytes) -> httpx.Response:
    return client.post(path, content=body, headers=JSON)


samples = metric_samples


def value(metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def requests_by_status(metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for (name, labels), number in metrics.items():
        if name == "http_requests_total":
            counts[int(dict(labels)["status"])] += int(number)
    return counts


def log_entries(service: RunningService) -> list[dict[str, Any]]:
    """The JSON lines of the service's log (uvicorn's own lines are not JSON)."""
    entries = []
    for line in service.log().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def validation_detail(response: httpx.Response) -> list[dict[str, Any]]:
    """The errors of a 422, checked against the shape the OpenAPI gives them (ValidationErrors)."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = json.loads(response.content.decode("utf-8"))  # strict UTF-8: the body must encode
    assert list(body) == ["detail"] and body["detail"], body
    for error in body["detail"]:
        assert {"loc", "msg", "type"} <= set(error) <= {"loc", "msg", "type", "input", "ctx"}, error
        assert all(isinstance(part, (str, int)) for part in error["loc"]) and isinstance(error["msg"], str)
        assert "ctx" not in error or isinstance(error["ctx"], dict)
    return body["detail"]


def assert_healthy(client: httpx.Client) -> None:
    assert client.get("/ready").status_code == 200
    assert client.post("/predict", json=GOOD).json()["prediction"]["species"] == "setosa"


# ---- a valid input that predict cannot score: 422, logged, counted ----


def test_a_huge_float_that_predict_fails_on_is_422_logged_and_counted(served: Served, client: httpx.Client) -> None:
    before = samples(client)
    request_id = f"huge-{time.monotonic_ns()}"
    body = b'{"sepal_length": 1.7976931348623157e308, "sepal_width": 3.5, "petal_length": 1.4}'
    response = client.post("/predict", content=body, headers={**JSON, "X-Request-ID": request_id})
    (single,) = validation_detail(response)
    assert single == {
        "type": "prediction_failed", "loc": ["body"], "input": None,
        "msg": f"predict raised ValueError on this input; its message is in the service's log (request {request_id})",
    }
    assert "infinity" not in response.text  # the exception's own text is not sent to the client
    assert "Traceback" not in response.text

    batch = {"instances": [GOOD, {**GOOD, "sepal_length": HUGE}, GOOD]}
    (error,) = validation_detail(client.post("/predict/batch", json=batch))
    assert error["type"] == "prediction_failed" and error["loc"] == ["body", "instances", 1]

    after = samples(client)
    errors = "model_prediction_errors_total"
    assert value(after, errors, error="ValueError") == value(before, errors, error="ValueError") + 2
    route = {"method": "POST", "route": "/predict", "status": "422"}
    assert value(after, "http_requests_total", **route) == value(before, "http_requests_total", **route) + 1
    assert requests_by_status(after)[500] == 0

    (logged,) = [e for e in log_entries(served.service)
                 if e.get("logger") == f"{PACKAGE}.predict" and e.get("request_id") == request_id]
    assert logged["level"] == "error" and logged["error"] == "ValueError" and logged["loc"] == ["body"]
    # The log has what the client was not sent: the exception's own text.
    assert logged["message"] == ("predict raised ValueError: Input X contains infinity or a value too large for "
                                 "dtype('float64').")
    assert "Traceback" in logged["exception"] and "_assert_all_finite" in logged["exception"]
    assert_healthy(client)


def test_a_huge_float_the_model_copes_with_is_answered_as_the_model_answers(client: httpx.Client) -> None:
    """Not every huge value makes predict raise: here the model gives a NaN probability, null in the dict."""
    response = client.post("/predict", json={**GOOD, "petal_length": HUGE})
    assert response.status_code == 200, response.text
    assert response.json()["prediction"] == {"species": "setosa", "probability": None}


# ---- strict field types ----


@pytest.mark.parametrize(
    ("field", "raw", "error_type"),
    [
        ("sepal_length", b"true", "float_type"),
        ("sepal_length", b"false", "float_type"),
        ("sepal_length", b'"1.5"', "float_type"),
        ("sepal_width", b'"3"', "float_type"),
        ("petal_width", b'"NaN"', "float_type"),
        ("unit", b"1", "literal_error"),
        ("unit", b"true", "literal_error"),
    ],
)
def test_field_types_are_strict(client: httpx.Client, field: str, raw: bytes, error_type: str) -> None:
    body = json.dumps({**GOOD, field: "PLACEHOLDER"}).encode().replace(b'"PLACEHOLDER"', raw)
    (error,) = validation_detail(post(client, "/predict", body))
    assert error["loc"] == ["body", field] and error["type"] == error_type
    batch = b'{"instances": [' + json.dumps(GOOD).encode() + b", " + body + b"]}"
    (error,) = validation_detail(post(client, "/predict/batch", batch))
    assert error["loc"] == ["body", "instances", 1, field]


def test_an_int_is_still_a_float(client: httpx.Client) -> None:
    as_ints = {"sepal_length": 5, "sepal_width": 3, "petal_length": 1, "petal_width": 0}
    response = client.post("/predict", json=as_ints)
    assert response.status_code == 200, response.text
    assert response.json()["prediction"]["species"] == "setosa"


def test_the_batch_scorer_is_as_strict_for_json_lines_and_reads_csv_text(baked: Baked, tmp_path: Path) -> None:
    """JSON lines are checked as the service checks a body; the cells of a CSV file are text, converted."""
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "sepal_length": "5.1"}) + "\n"
                     + json.dumps({**GOOD, "sepal_width": True}) + "\n", encoding="utf-8")
    result = run(["-m", PACKAGE, "predict", str(jsonl), "--skip-invalid"], baked.project)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["prediction"]["species"] == "setosa"
    assert lines[1] == {"error": "line 2: sepal_length: Input should be a valid number"}
    assert lines[2] == {"error": "line 3: sepal_width: Input should be a valid number"}

    csv_file = tmp_path / "rows.csv"
    csv_file.write_text("sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n", encoding="utf-8")
    result = run(["-m", PACKAGE, "predict", str(csv_file)], baked.project)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["prediction"]["species"] == "setosa"


# ---- bodies FastAPI answered with 400 ----


@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
@pytest.mark.parametrize(
    ("label", "body", "message"),
    [
        ("not UTF-8", b'{"sepal_length": "\xff\xfe", "sepal_width": 3.5, "petal_length": 1.4}',
         "the body is not UTF-8 text: byte 19 (0xff) is invalid"),
        ("UTF-16", '{"sepal_length": 5.1}'.encode("utf-16"), "the body is not UTF-8 text: byte 1 (0xff) is invalid"),
        ("5,000 digits", b'{"sepal_length": ' + b"9" * 5000 + b', "sepal_width": 3.5, "petal_length": 1.4}',
         "JSON integers may have at most 4300 digits, not 5000"),
        ("5,000 digits, negative", b'{"instances": [-' + b"1" * 5000 + b"]}",
         "JSON integers may have at most 4300 digits, not 5000"),
    ],
)
def test_undecodable_bodies_are_422_not_400(client: httpx.Client, path: str, label: str, body: bytes,
                                            message: str) -> None:
    (error,) = validation_detail(post(client, path, body))
    assert error == {"type": "json_invalid", "loc": ["body"], "msg": message, "input": None}, label


# ---- lone surrogates ----


@pytest.mark.parametrize(
    "body",
    [
        rb'{"sepal_length": "\ud800", "sepal_width": 3.5, "petal_length": 1.4}',
        rb'{"\ud800": 1, "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4}',
        rb'{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "unit": "\udc00mm"}',
        rb'{"instances": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "\uDBFF": "\uDFFF\uD800"}]}',
    ],
    ids=["value", "key", "literal", "batch"],
)
def test_lone_surrogates_are_422_with_a_body_that_encodes(client: httpx.Client, body: bytes) -> None:
    path = "/predict/batch" if b"instances" in body else "/predict"
    (error,) = validation_detail(post(client, path, body))
    assert error["type"] == "json_invalid" and "lone surrogate" in error["msg"]
    assert_healthy(client)


def test_validation_errors_with_surrogates_are_sent_with_u_fffd(baked: Baked) -> None:
    """The 422 body itself is scrubbed, whatever an error quotes: a surrogate becomes U+FFFD, bytes become
    text, an object that does not encode is not echoed."""
    script = textwrap.dedent(f"""
        import json
        from {PACKAGE}.runtime.app import error_detail
        errors = [
            {{"type": "literal_error", "loc": ("body", "\\ud800"), "msg": "m\\udcff", "input": "\\udfff",
              "ctx": {{"expected": "'cm' or 'mm'", "\\ud801": ValueError("x")}}}},
            {{"type": "bytes_input", "loc": ("body", 0), "msg": "raw", "input": b"\\xff\\x00"}},
            {{"type": "json_invalid", "loc": ("body",), "msg": "Invalid JSON", "input": b"{{" * 10}},
        ]
        print(json.dumps(error_detail(errors), ensure_ascii=False, allow_nan=False))
    """)
    result = run(["-c", script], baked.project)
    assert result.returncode == 0, result.stderr
    surrogate, raw, invalid = json.loads(result.stdout.encode("utf-8"))
    assert surrogate["loc"] == ["body", "\ufffd"] and surrogate["msg"] == "m\ufffd" and surrogate["input"] == "\ufffd"
    assert surrogate["ctx"]["expected"] == "'cm' or 'mm'" and "\ufffd" in surrogate["ctx"]
    assert raw["input"] == "\ufffd\x00" and raw["loc"] == ["body", 0]
    assert invalid["input"] is None


# ---- slow clients ----


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    start = time.monotonic()
    sock.settimeout(limit)
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"the connection was still open after {limit} s; received {received[:200]!r}")
        if not chunk:
            return received, time.monotonic() - start
        received += chunk


@pytest.mark.parametrize(
    "sent",
    [b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Ty", b"GET /hea"],
    ids=["half a header line", "half a request line"],
)
def test_a_client_that_stalls_in_its_headers_is_answered_408_and_disconnected(
    served: Served, client: httpx.Client, sent: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", served.service.port), timeout=10) as sock:
        sock.sendall(sent)
        received, seconds = read_until_closed(sock, HEADER_TIMEOUT + SLACK)
    assert received.startswith(b"HTTP/1.1 408 "), received
    assert b"connection: close" in received.lower()
    assert json.loads(received.split(b"\r\n\r\n", 1)[1]) == {
        "detail": f"the request headers were not received within {HEADER_TIMEOUT:g} seconds"
    }
    assert HEADER_TIMEOUT - 0.5 <= seconds <= HEADER_TIMEOUT + SLACK, seconds
    assert_healthy(client)


def test_a_silent_connection_is_closed_and_headers_sent_slowly_but_in_time_are_served(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.service.port), timeout=10) as sock:
        received, seconds = read_until_closed(sock, HEADER_TIMEOUT + SLACK)
    assert received == b"" and seconds >= HEADER_TIMEOUT - 0.5
    with socket.create_connection(("127.0.0.1", served.service.port), timeout=10) as sock:
        for part in (b"GET /health HTTP/1.1\r\n", b"Host: test\r\n", b"Connection: close\r\n\r\n"):
            sock.sendall(part)
            time.sleep(HEADER_TIMEOUT / 5)
        received, _ = read_until_closed(sock, HEADER_TIMEOUT + SLACK)
    assert received.startswith(b"HTTP/1.1 200 "), received


def test_a_client_that_stalls_in_its_body_is_answered_408_and_disconnected(
    served: Served, client: httpx.Client
) -> None:
    before = samples(client)
    with socket.create_connection(("127.0.0.1", served.service.port), timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"sepal_length\": 5")
        received, seconds = read_until_closed(sock, BODY_TIMEOUT + SLACK)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"connection: close" in head.lower(), received
    assert json.loads(body) == {"detail": f"the request body was not received within {BODY_TIMEOUT:g} seconds"}
    assert BODY_TIMEOUT - 0.5 <= seconds <= BODY_TIMEOUT + SLACK, seconds
    after = samples(client)
    route = {"method": "POST", "route": "/predict", "status": "408"}
    assert value(after, "http_requests_total", **route) == value(before, "http_requests_total", **route) + 1
    assert_healthy(client)


def test_a_body_sent_slowly_but_within_the_deadline_is_served(served: Served) -> None:
    body = json.dumps(GOOD).encode()
    with socket.create_connection(("127.0.0.1", served.service.port), timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        for start in range(0, len(body), len(body) // 3 + 1):
            time.sleep(BODY_TIMEOUT / 5)
            sock.sendall(body[start:start + len(body) // 3 + 1])
        received, _ = read_until_closed(sock, BODY_TIMEOUT + SLACK)
    assert received.startswith(b"HTTP/1.1 200 "), received


def test_serve_applies_the_header_deadline(baked: Baked, tmp_path: Path) -> None:
    """The production entry point (the Dockerfile's CMD) runs the protocol with the deadline, from the environment."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(baked.project), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
           f"{ENV}_HEADER_TIMEOUT": "1"}
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", PACKAGE, "serve", "--port", str(port)], cwd=baked.project,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        RunningService(PACKAGE, f"http://127.0.0.1:{port}", port, process, log_path).wait(ready=True, timeout=60)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Le")
            received, seconds = read_until_closed(sock, 1 + SLACK)
        assert received.startswith(b"HTTP/1.1 408 ") and 0.5 <= seconds <= 1 + SLACK, (received, seconds)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_deadlines_default_to_10_and_30_seconds_and_bad_values_are_refused(baked: Baked) -> None:
    script = (f"from {PACKAGE}.service import SERVICE; settings = SERVICE.settings(); "
              "print(settings.header_timeout, settings.body_timeout)")
    env = {key: item for key, item in os.environ.items() if not key.startswith(f"{ENV}_")}
    result = subprocess.run([sys.executable, "-c", script], cwd=baked.project, capture_output=True, text=True,
                            env={**env, "PYTHONPATH": str(baked.project), "PYTHONDONTWRITEBYTECODE": "1"}, timeout=60)
    assert result.returncode == 0 and result.stdout.split() == ["10.0", "30.0"], result.stderr
    for bad in ("0", "-1", "inf", "nan", "soon"):
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=baked.project, capture_output=True, text=True, timeout=60,
            env={**env, "PYTHONPATH": str(baked.project), "PYTHONDONTWRITEBYTECODE": "1", f"{ENV}_BODY_TIMEOUT": bad},
        )
        assert result.returncode != 0
        assert f"{ENV}_BODY_TIMEOUT={bad!r} is not a positive number of seconds" in result.stderr


# ---- the OpenAPI, and schemathesis against it ----


def test_the_openapi_lists_every_status_each_operation_can_answer(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    listed = {
        (method, path): {int(status) for status in operation["responses"]}
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert listed == STATUSES
    for (method, path), statuses in listed.items():
        responses = document["paths"][path][method]["responses"]
        for status in statuses - {200}:
            (schema,) = [content["schema"] for content in responses[str(status)]["content"].values()]
            expected = ("ValidationErrors" if status == 422 else "ReadyStatus" if (path, status) == ("/ready", 503)
                        else V2_READY[path] if status == 503 and path in V2_READY
                        else "V2Error" if path.startswith("/v2") and status in (400, 404, 503)
                        else "ErrorMessage")
            assert schema == {"$ref": f"#/components/schemas/{expected}"}, (method, path, status)
    for path in ("/predict", "/predict/batch"):
        body = document["paths"][path]["post"]["requestBody"]
        assert body["required"] is True
        reference = body["content"]["application/json"]["schema"]["$ref"]
        assert reference.rsplit("/", 1)[1] in document["components"]["schemas"]
    request = document["components"]["schemas"]["PredictRequest"]
    assert request["additionalProperties"] is False
    assert request["properties"]["sepal_length"] == {"title": "Sepal Length", "type": "number"}


SCHEMATHESIS_HOOKS = '''
"""Replaces schemathesis's positive_data_acceptance with a stricter check: a schema-valid request is
answered 2xx, or 422 only because the notebook's predict failed on it (the documented answer for an
input the model cannot score, such as 1.7976931348623157e308); never 3xx, 4xx or 5xx otherwise."""
import json
import os

import schemathesis

# ids_mismatch: JSON Schema cannot say "as many ids as instances", so schemathesis sends valid-looking bodies
# whose ids do not match their instances, which /predict/batch refuses.
REFUSALS_OF_PREDICT = {"prediction_failed", "prediction_invalid", "ids_mismatch"}


def _record(outcome):
    with open(os.environ["HARDENING_CHECK_LOG"], "a", encoding="utf-8") as log:
        log.write(outcome + "\\n")


@schemathesis.check
def valid_input_is_served(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if 200 <= response.status_code < 300:
        _record("served")
        return None
    if response.status_code == 422:
        try:
            kinds = {error["type"] for error in json.loads(response.content)["detail"]}
        except (ValueError, KeyError, TypeError):
            kinds = set()
        if kinds and kinds <= REFUSALS_OF_PREDICT:
            _record("predict failed")
            return None
    if response.status_code == 400 and case.path.endswith("/infer"):
        # V2 infer: JSON Schema cannot say that the tensors' shapes, data and names fit the model's inputs;
        # a body whose tensors do not is refused with the protocol's error body
        try:
            error = json.loads(response.content)["error"]
        except (ValueError, KeyError, TypeError):
            error = None
        if isinstance(error, str) and error:
            _record("tensors refused")
            return None
    _record("refused")
    raise AssertionError(f"a schema-valid request was answered {response.status_code}: {response.text[:300]}")
'''


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    served: Served, client: httpx.Client, tmp_path: Path
) -> None:
    pytest.importorskip("schemathesis")
    hooks = tmp_path / "hooks.py"
    hooks.write_text(SCHEMATHESIS_HOOKS, encoding="utf-8")
    check_log = tmp_path / "checks.log"
    check_log.touch()
    reports = tmp_path / "reports"
    before = requests_by_status(samples(client))
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{served.service.url}/openapi.json",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",  # replaced by the hooks' stricter check
        "--max-examples", str(SCHEMATHESIS_EXAMPLES), "--seed", str(SCHEMATHESIS_SEED), "--workers", "1",
        "--generation-database", "none", "--request-timeout", "20", "--no-color",
        "--report", "json,har", "--report-json-path", str(reports / "run.json"),
        "--report-har-path", str(reports / "requests.har"),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(hooks), "HARDENING_CHECK_LOG": str(check_log)}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads((reports / "run.json").read_text(encoding="utf-8"))
    assert result.returncode == 0 and report["failures"] == [] and report["errors"] == [], (
        result.stdout[-6000:] + result.stderr[-2000:]
    )
    assert report["complete"] and report["operations"]["tested"] == len(STATUSES)
    assert report["test_cases"]["generated"] >= 200, report["test_cases"]

    entries = json.loads((reports / "requests.har").read_text(encoding="utf-8"))["log"]["entries"]
    statuses = Counter(entry["response"]["status"] for entry in entries)
    assert len(entries) >= report["test_cases"]["generated"]
    assert not [status for status in statuses if status >= 500], statuses
    assert statuses[200] > 0 and statuses[422] > 0, statuses  # both valid and invalid inputs were sent
    outcomes = Counter(check_log.read_text(encoding="utf-8").split("\n")[:-1])
    assert outcomes["served"] > 0 and outcomes["refused"] == 0, outcomes

    served_statuses = requests_by_status(samples(client)) - before  # the service's own count agrees
    assert not [status for status in served_statuses if status >= 500], served_statuses
    assert sum(served_statuses.values()) >= len(entries)
    print(f"schemathesis: {report['test_cases']['generated']} cases, {len(entries)} requests, statuses "
          f"{dict(sorted(statuses.items()))}, {outcomes['predict failed']} valid inputs predict failed on (422), "
          f"{report['running_time']:.1f} s")
    assert_healthy(client)
