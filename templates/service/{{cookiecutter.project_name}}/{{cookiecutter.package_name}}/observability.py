"""What the service tells about itself, and the limits it puts on requests.

- Prometheus metrics, in a registry of the app's own (several apps in one process do not
  clash): requests and their latency by route template and status code, predictions
  (by class for labels, as a histogram for numbers), batch sizes, and the build; the app
  registers drift.py's collector of the input drift gauges in the same registry.
- One JSON log line per request (request id, method, route, status, latency; never the
  payload), and an `X-Request-ID` header on every response, echoed or generated.
- A limit on the size of request bodies (413; a body over twice the limit is not read at
  all, a smaller one is read and discarded so that the client, still sending it, gets
  the answer rather than a reset connection), and a check of JSON bodies: NaN,
  infinities and too deep nesting are answered with 422.
"""

import json
import logging
import math
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Info
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED_ROUTE = "<unmatched>"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
VALUE_BUCKETS = (-1000, -100, -10, -1, -0.5, -0.1, 0, 0.1, 0.25, 0.5, 0.75, 0.9, 1, 2.5, 5, 10, 100, 1000)
MAX_CLASSES = 100
"""Distinct prediction classes counted by name; later ones are counted as OTHER_CLASS."""
OTHER_CLASS = "__other__"
MAX_CLASS_LENGTH = 100

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


class Metrics:
    """The service's Prometheus metrics, in a CollectorRegistry of their own."""

    def __init__(self, build: Mapping[str, str], artifacts: Sequence[Mapping[str, Any]]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("method", "route", "status")
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by method, route template and status code.",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status code.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "model_predictions_total", "Predictions made (one per instance of a batch).", registry=self.registry
        )
        self.classes = Counter(
            "model_prediction_class_total",
            "Predictions that are labels (str, bool or int), by label.",
            ("class",),
            registry=self.registry,
        )
        self.values = Histogram(
            "model_prediction_value",
            "Predictions that are (finite) floats.",
            buckets=VALUE_BUCKETS,
            registry=self.registry,
        )
        self.batch_sizes = Histogram(
            "model_batch_size",
            "Instances in each request to /predict/batch.",
            buckets=BATCH_SIZE_BUCKETS,
            registry=self.registry,
        )
        Info("model_build", "What this service is: its version, notebook, nb2prod and artifacts.", registry=self.registry).info(
            {
                **build,
                "artifacts": ",".join(f"{entry['name']}:{entry['sha256']}" for entry in artifacts),
            }
        )
        artifact_info = Info("model_artifact", "The artifacts the lock names.", ("name",), registry=self.registry)
        for entry in artifacts:
            artifact_info.labels(name=str(entry["name"])).info(
                {key: str(entry.get(key, "")) for key in ("file", "format", "sha256")}
            )
        self._seen_classes: set[str] = set()
        self._lock = threading.Lock()

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def observe_batch(self, size: int) -> None:
        self.batch_sizes.observe(size)

    def observe_predictions(self, values: Iterable[Any]) -> None:
        """Count predictions: labels by class, floats in a histogram, anything else only in the total."""
        for value in values:
            self.predictions.inc()
            if isinstance(value, bool):
                self.classes.labels(self._class("true" if value else "false")).inc()
            elif isinstance(value, (str, int)):
                self.classes.labels(self._class(str(value)[:MAX_CLASS_LENGTH])).inc()
            elif isinstance(value, float) and math.isfinite(value):
                self.values.observe(value)

    def _class(self, label: str) -> str:
        with self._lock:
            if label in self._seen_classes:
                return label
            if len(self._seen_classes) < MAX_CLASSES:
                self._seen_classes.add(label)
                return label
        return OTHER_CLASS


class JsonFormatter(logging.Formatter):
    """Each record as one line of JSON: time, level, logger, message, and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def access_logger(name: str) -> logging.Logger:
    """A JSON logger (the request lines; drift's changes of status): JSON to stdout at INFO, unless the
    application configured it."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The path template of the route that answers `scope` (`/items/{id}`, not the raw path)."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return getattr(route, "path", UNMATCHED_ROUTE)
        if match is Match.PARTIAL and partial is None:  # the path matches, not the method: 405
            partial = getattr(route, "path", None)
    return partial or UNMATCHED_ROUTE


class ObservabilityMiddleware:
    """Request ids, metrics and one JSON log line for every HTTP request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, routes: Sequence[BaseRoute], logger: logging.Logger) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        route = route_template(self.routes, scope)
        status = 499  # the client went away before an answer
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode("latin-1"))]}
            await send(message)

        failure: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            failure = exc
            if started:
                raise
            await _send_json(send_with_id, 500, {"detail": "Internal Server Error"})
        finally:
            seconds = time.perf_counter() - start
            self.metrics.observe_request(scope["method"], route, status, seconds)
            fields = {
                "request_id": request_id,
                "method": scope["method"],
                "route": route,
                "status": status,
                "latency_ms": round(seconds * 1000, 3),
            }
            level = logging.ERROR if failure is not None or status >= 500 else logging.INFO
            exc_info = (type(failure), failure, failure.__traceback__) if failure is not None else None
            self.logger.log(level, "request", extra={"fields": fields}, exc_info=exc_info)


class LimitsMiddleware:
    """Refuse bodies over `max_body_bytes` (413) and JSON with NaN, infinities or deep nesting (422)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                await _send_json(send, 400, {"detail": "invalid Content-Length"}, close=True)
                return
            if int(length) > self.max_body_bytes:
                await self._too_large(receive, send, drain=int(length) <= 2 * self.max_body_bytes)
                return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.max_body_bytes:  # a chunked body: stop keeping it once it is too large
                await self._too_large(receive, send, drain=more, read=size)
                return
            chunks.append(chunk)
        body = b"".join(chunks)
        if body and _is_json(headers.get("content-type")):
            problem = json_problem(body, self.max_json_depth)
            if problem is not None:
                error = {"type": "json_invalid", "loc": ["body"], "msg": problem, "input": None}
                await _send_json(send, 422, {"detail": [error]})
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, receive: Receive, send: Send, drain: bool, read: int = 0) -> None:
        """Answer 413; first read and discard the rest of the body, up to twice the limit, if `drain`."""
        while drain and read <= 2 * self.max_body_bytes:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            read += len(message.get("body", b""))
            drain = message.get("more_body", False)
        detail = f"the request body is larger than {self.max_body_bytes} bytes"
        await _send_json(send, 413, {"detail": detail}, close=True)


class _NotFinite(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotFinite(f"JSON numbers must be finite: {name} is not accepted")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(f"JSON numbers must be finite: {text[:40]} overflows")
    return value


def json_problem(body: bytes, max_depth: int) -> str | None:
    """Why the JSON `body` is refused (non-finite numbers, nesting deeper than `max_depth`), or None.

    A body that is not JSON at all is left to FastAPI, which answers it with 422.
    """
    try:
        value = json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NotFinite as exc:
        return str(exc)
    except RecursionError:
        return f"the JSON is nested deeper than {max_depth} levels"
    except ValueError:
        return None
    if _depth_exceeds(value, max_depth):
        return f"the JSON is nested deeper than {max_depth} levels"
    return None


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level > max_depth:
                return True
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _is_json(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of this content type as JSON (it does when there is none)."""
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def _request_id(given: str | None) -> str:
    """The client's request id if it is a sane token, else a new uuid4."""
    if given is not None and _VALID_REQUEST_ID.fullmatch(given):
        return given
    return str(uuid.uuid4())


async def _send_json(send: Send, status: int, content: Any, close: bool = False) -> None:
    body = json.dumps(content).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
