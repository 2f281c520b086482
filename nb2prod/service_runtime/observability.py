"""What the service tells about itself, and the limits it puts on requests.

- Prometheus metrics, in a registry of the app's own (several apps in one process do not
  clash): requests and their latency by route template and status code, predictions
  (by class for labels, as a histogram for numbers), batch sizes, and the build; the app
  registers drift.py's collector of the input drift gauges in the same registry, quality.py's
  of the live quality gauges, and `StoreCollector` (the prediction store, readiness).
- One JSON log line per request (request id, method, route, status, latency, the ids of the
  predictions made; never the payload), and an `X-Request-ID` header on every response,
  echoed or generated.
- A limit on the size of request bodies (413; a body over twice the limit is not read at
  all, a smaller one is read and discarded so that the client, still sending it, gets
  the answer rather than a reset connection), and a check of JSON bodies: bytes that are
  not UTF-8, NaN, infinities, integers of more than 4300 digits and too deep nesting are
  answered with 422, in the shape of FastAPI's validation errors.
- Deadlines for slow clients: the body must arrive within `body_timeout` seconds of the
  headers (LimitsMiddleware, under any ASGI server), and the request line and headers
  within `header_timeout` seconds (TimeoutH11Protocol, uvicorn's h11 protocol with a
  timer, which `serve` runs); either is answered with 408 and the connection closed.
- Text that can always be sent: `scrub_json` replaces lone surrogates (`"\\ud800"` is valid
  JSON, but no UTF-8 encoder accepts it) with U+FFFD, `one_line` keeps a message on one line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import sys
import threading
import time
import uuid
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import h11
from prometheus_client import CollectorRegistry, Counter, Histogram, Info
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .settings import DEFAULT_HEADER_TIMEOUT

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED_ROUTE = "<unmatched>"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
VALUE_BUCKETS = (-1000, -100, -10, -1, -0.5, -0.1, 0, 0.1, 0.25, 0.5, 0.75, 0.9, 1, 2.5, 5, 10, 100, 1000)
MAX_CLASSES = 100
"""Distinct prediction classes counted by name; later ones are counted as OTHER_CLASS."""
OTHER_CLASS = "__other__"
MAX_CLASS_LENGTH = 100
MAX_ERROR_KINDS = 20
"""Distinct exception types counted by name in `model_prediction_errors_total`; later ones as OTHER_CLASS."""
FEEDBACK_OUTCOMES = ("matched", "unknown", "duplicate")
"""The `outcome` labels of `model_feedback_total`."""
MAX_INT_DIGITS = 4300
"""The most digits of a JSON integer (Python's own limit for converting text to int)."""

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSAFE_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


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
        self.prediction_errors = Counter(
            "model_prediction_errors_total",
            "Inputs on which the notebook's predict raised, or returned what cannot be answered (each answered "
            "with 422), by the exception's type.",
            ("error",),
            registry=self.registry,
        )
        self.batch_sizes = Histogram(
            "model_batch_size",
            "Instances in each request to /predict/batch.",
            buckets=BATCH_SIZE_BUCKETS,
            registry=self.registry,
        )
        self.feedback = Counter(
            "model_feedback_total",
            "Outcomes received by /feedback: matched (a stored prediction's first outcome), unknown (no prediction "
            "stored with that id) or duplicate (the id already had an outcome).",
            ("outcome",),
            registry=self.registry,
        )
        for outcome in FEEDBACK_OUTCOMES:
            self.feedback.labels(outcome)
        about = "What this service is: its version, notebook, nb2prod and artifacts."
        Info("model_build", about, registry=self.registry).info(
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
        self._seen_errors: set[str] = set()
        self._lock = threading.Lock()

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def observe_batch(self, size: int) -> None:
        self.batch_sizes.observe(size)

    def observe_predictions(self, values: Iterable[Any]) -> None:
        """Count predictions: labels by class, floats in a histogram, anything else only in the total."""
        classes: Tally[str] = Tally()
        total = 0
        for value in values:  # counted first, then one increment per class: a batch of 1000 labels is cheap
            total += 1
            if isinstance(value, bool):
                classes["true" if value else "false"] += 1
            elif isinstance(value, (str, int)):
                classes[str(value)[:MAX_CLASS_LENGTH]] += 1
            elif isinstance(value, float) and math.isfinite(value):
                self.values.observe(value)
        if total:
            self.predictions.inc(total)
        for label, count in classes.items():
            self.classes.labels(self._class(label)).inc(count)

    def observe_feedback(self, matched: int, unknown: int, duplicates: int) -> None:
        for outcome, count in zip(FEEDBACK_OUTCOMES, (matched, unknown, duplicates), strict=True):
            if count:
                self.feedback.labels(outcome).inc(count)

    def observe_prediction_error(self, error: str) -> None:
        """Count an input that predict failed on; `error` is the exception's type (its first MAX_ERROR_KINDS
        names are kept)."""
        self.prediction_errors.labels(self._capped(error[:MAX_CLASS_LENGTH], self._seen_errors, MAX_ERROR_KINDS)).inc()

    def _class(self, label: str) -> str:
        return self._capped(label, self._seen_classes, MAX_CLASSES)

    def _capped(self, label: str, seen: set[str], most: int) -> str:
        with self._lock:
            if label in seen:
                return label
            if len(seen) < most:
                seen.add(label)
                return label
        return OTHER_CLASS


class StoreCollector(Collector):
    """The prediction store's gauges (up, queued writes, dropped writes) and `model_ready`, when Prometheus scrapes;
    `status()` is the store's (store.py's StoreStatus), `ready()` whether /ready says ready."""

    def __init__(self, status: Callable[[], Any], ready: Callable[[], bool]) -> None:
        self.status = status
        self.ready = ready

    def describe(self) -> list[Metric]:
        return list(self._families(None))

    def collect(self) -> Iterator[Metric]:
        try:
            status = self.status()
        except Exception:  # a scrape never fails on the store: it says down
            status = None
        return self._families(status, self.ready())

    def _families(self, status: Any, ready: bool | None = None) -> Iterator[Metric]:
        up = GaugeMetricFamily("model_store_up", "1 when the prediction store's database answers, else 0.")
        queue = GaugeMetricFamily("model_store_queue", "Predictions waiting to be written to the store.")
        dropped = CounterMetricFamily(
            "model_store_writes_dropped", "Predictions not written to the store: its queue was full (or left at "
            "shutdown).",
        )
        ready_gauge = GaugeMetricFamily("model_ready", "1 when /ready says ready (the artifacts are loaded), else 0.")
        if ready is not None:
            up.add_metric([], 1 if status is not None and status.up else 0)
            queue.add_metric([], status.queued if status is not None else 0)
            dropped.add_metric([], status.dropped if status is not None else 0)
            ready_gauge.add_metric([], 1 if ready else 0)
        yield from (up, queue, dropped, ready_gauge)


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
            prediction_ids = scope["state"].get("prediction_ids")
            if prediction_ids:
                fields["prediction_ids"] = prediction_ids
            level = logging.ERROR if failure is not None or status >= 500 else logging.INFO
            exc_info = (type(failure), failure, failure.__traceback__) if failure is not None else None
            self.logger.log(level, "request", extra={"fields": fields}, exc_info=exc_info)


class LimitsMiddleware:
    """Refuse bodies over `max_body_bytes` (413), bodies not received within `body_timeout` seconds (408),
    and JSON bodies that are not UTF-8 or have NaN, infinities, huge integers or deep nesting (422)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_json_depth: int, body_timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.body_timeout

        async def receive_in_time() -> Message:
            """The next message of the body; TimeoutError once the body's deadline has passed."""
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise asyncio.TimeoutError  # what wait_for raises (the builtin one from Python 3.11)
            return await asyncio.wait_for(receive(), left)

        headers = Headers(scope=scope)
        length = headers.get("content-length")
        try:
            if length is not None:
                if not length.isdigit():
                    error = {"type": "content_length_invalid", "loc": ["header", "content-length"],
                             "msg": "Content-Length must be a number of bytes", "input": None}
                    await _send_json(send, 422, {"detail": [error]}, close=True)
                    return
                if int(length) > self.max_body_bytes:
                    await self._too_large(receive_in_time, send, drain=int(length) <= 2 * self.max_body_bytes)
                    return
            chunks, size, more = [], 0, True
            while more:
                message = await receive_in_time()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                more = message.get("more_body", False)
                if size > self.max_body_bytes:  # a chunked body: stop keeping it once it is too large
                    await self._too_large(receive_in_time, send, drain=more, read=size)
                    return
                chunks.append(chunk)
        except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
            detail = f"the request body was not received within {self.body_timeout:g} seconds"
            await _send_json(send, 408, {"detail": detail}, close=True)
            return
        body = b"".join(chunks)
        if body and is_json(headers.get("content-type")):
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


class TimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request line and headers: `header_timeout` seconds
    from the connection, or from the first byte of a later request on a kept-alive connection (between
    requests, uvicorn's own keep-alive timeout applies). A client that has not sent all its headers by then
    is answered 408 and disconnected; one that sent nothing is disconnected.

    `serve` runs `protocol_for(settings.header_timeout)`; with uvicorn's own command line:
    `--http <package>.app:TimeoutH11Protocol` (the package's app.py defines it from its settings).
    """

    header_timeout: float = DEFAULT_HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        super().connection_made(transport)
        self._start_header_timer()

    def data_received(self, data: bytes) -> None:
        waiting = self.conn.their_state is h11.IDLE
        if waiting:
            self._header_bytes += len(data)
            if self._header_timer is None:
                self._start_header_timer()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request's headers are in
            self._stop_header_timer()
            self._header_bytes = 0

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_timed_out)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self._header_bytes:  # h11 cannot answer a request it has not parsed: the answer is written as is
            body = json.dumps({"detail": f"the request headers were not received within {self.header_timeout:g} "
                                         "seconds"}).encode()
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
            )
            self.logger.warning("the request headers were not received within %g seconds", self.header_timeout)
        self.transport.close()


def protocol_for(header_timeout: float) -> type[TimeoutH11Protocol]:
    """A TimeoutH11Protocol whose deadline for the request line and headers is `header_timeout` seconds."""
    return type("TimeoutH11Protocol", (TimeoutH11Protocol,), {"header_timeout": header_timeout})


class _NotFinite(ValueError):
    pass


class _TooLong(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotFinite(f"JSON numbers must be finite: {name} is not accepted")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(f"JSON numbers must be finite: {text[:40]} overflows")
    return value


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _TooLong(f"JSON integers may have at most {MAX_INT_DIGITS} digits, not {digits}")
    return int(text)


def json_problem(body: bytes, max_depth: int) -> str | None:
    """Why the JSON `body` is refused (not UTF-8, non-finite numbers, integers of more than MAX_INT_DIGITS
    digits, nesting deeper than `max_depth`), or None.

    A body that is UTF-8 but not JSON at all is left to the app, which answers it with 422.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 text: byte {exc.start + 1} (0x{body[exc.start]:02x}) is invalid"
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except (_NotFinite, _TooLong) as exc:
        return str(exc)
    except RecursionError:
        return f"the JSON is nested deeper than {max_depth} levels"
    except ValueError:
        return None
    if _depth_exceeds(value, max_depth):
        return f"the JSON is nested deeper than {max_depth} levels"
    if "\\ud" in text.lower() and _has_surrogate(value):  # only an escape gives one: the bytes are UTF-8
        return "the JSON has a lone surrogate escape (such as \\ud800 without its pair), which is not text"
    return None


def _has_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level > max_depth:
                return True
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of this content type as JSON (it does when there is none)."""
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def scrub(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD: it can then be encoded as UTF-8."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def scrub_json(value: Any) -> Any:
    """A JSON-like value with `scrub` applied to every string in it, keys included."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, (list, tuple)):
        return [scrub_json(item) for item in value]
    if isinstance(value, dict):
        return {scrub(key) if isinstance(key, str) else key: scrub_json(item) for key, item in value.items()}
    return value


def one_line(text: object, limit: int = 300) -> str:
    """`str(text)` as one printable line of at most `limit` characters: control characters, line separators
    and lone surrogates become backslash escapes."""
    line = _UNSAFE_IN_LINE.sub(_escape, str(text))
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    named = {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}.get(code)
    return named or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


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
