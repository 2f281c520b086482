"""The HTTP service: a FastAPI app around a notebook's `predict`, built by `create_app(service)`.

The artifacts are verified and loaded in the background when the app starts: `/health`
answers at once, `/ready` and the prediction endpoints only once the artifacts are in.
Every request is counted in the metrics of `/metrics` and logged as one JSON line, and
its body is limited in size and time (see observability.py). The inputs of `/predict` and
`/predict/batch` are validated strictly from the JSON text (see schema.py), feed the drift
monitor of `/drift` and, in strict mode, are refused when the notebook's `reference` data
never had their values (see drift.py).

No valid input is answered with a 5xx: if the notebook's `predict` raises on it (or returns
what the response cannot carry, a value of another type than its annotation), the answer
is 422 with one line naming the exception (its traceback is logged, never sent), and
`model_prediction_errors_total` counts it. 503 means only that the artifacts are not
loaded. Every status an operation can answer is listed in its OpenAPI `responses`.
"""

import asyncio
import logging
import platform
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from . import lockfile
from .drift import DriftCollector, DriftMonitor, load_profile
from .observability import (
    LimitsMiddleware,
    Metrics,
    ObservabilityMiddleware,
    access_logger,
    is_json,
    one_line,
    scrub,
    scrub_json,
)
from .schema import (
    ErrorMessage,
    ReadyStatus,
    ValidationErrors,
    batch_request_model,
    batch_response_model,
    jsonable,
)
from .service import Service
from .settings import Settings

logger = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)

METADATA_KEYS = (
    "title",
    "description",
    "project_name",
    "version",
    "notebook_name",
    "notebook_sha256",
    "nb2prod_version",
    "python_version",
    "parameters",
)
BUILD_KEYS = ("project_name", "version", "notebook_sha256", "nb2prod_version")


def _answer(description: str, model: type[BaseModel] = ErrorMessage) -> dict[str, Any]:
    return {"description": description, "model": model}


ANSWERS: dict[int | str, dict[str, Any]] = {
    408: _answer("The request's headers or body were not received in time: the connection is closed"),
    413: _answer("The request body is larger than the limit"),
    422: _answer("The request is malformed (its Content-Length, or a JSON body that is not UTF-8, has NaN, an "
                 "infinity, an integer of over 4300 digits, or is nested too deeply)", ValidationErrors),
}
"""What any operation can answer, before its route sees the request (observability.LimitsMiddleware)."""
PREDICT_ANSWERS: dict[int | str, dict[str, Any]] = {
    **ANSWERS,
    422: _answer("The input does not match the schema, is refused in strict mode, or the notebook's `predict` "
                 "failed on it (`type` `prediction_failed`, or `prediction_invalid` for a result the response "
                 "cannot carry); each reason names its field or instance in `loc`", ValidationErrors),
    503: _answer("The artifacts are not loaded (yet, or they failed to load: see /ready)"),
}


class PredictionError(Exception):
    """The notebook's `predict` raised on a valid input, or returned what the response cannot carry."""

    def __init__(self, kind: str, loc: Sequence[str | int], message: str, error: str) -> None:
        super().__init__(message)
        self.kind, self.loc, self.message, self.error = kind, tuple(loc), message, error


def strict_json(model: type[Model]) -> Callable[[Request], Awaitable[Model]]:
    """A dependency: the request's JSON body, validated as `model` by pydantic from the JSON text (strict mode
    as JSON allows it: arrays for tuples and sets, an integer for a float), or 422 with FastAPI's errors."""

    async def validated(request: Request) -> Model:
        content_type = request.headers.get("content-type")
        if not is_json(content_type):
            raise RequestValidationError([{
                "type": "content_type", "loc": ("header", "content-type"), "input": scrub(content_type or ""),
                "msg": "the body must be JSON: send Content-Type: application/json",
            }])
        body = await request.body()
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
            ) from None

    return validated


def error_detail(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors as they can always be sent: JSON-safe, lone surrogates replaced by U+FFFD, without
    the input of a body that is not JSON (it would echo the whole body)."""
    detail = []
    for error in errors:
        item: dict[str, Any] = {
            "type": scrub(str(error.get("type", "value_error"))),
            "loc": [part if isinstance(part, int) and not isinstance(part, bool) else scrub(str(part))
                    for part in error.get("loc", ())],
            "msg": scrub(str(error.get("msg", ""))),
        }
        if "input" in error:
            item["input"] = None if item["type"] == "json_invalid" else _safe(error["input"])
        ctx = _safe(error.get("ctx"))
        if isinstance(ctx, dict):
            item["ctx"] = ctx
        detail.append(item)
    return detail


def _safe(value: Any) -> Any:
    """`value` as JSON that encodes: bytes as text, other objects as their str, surrogates replaced."""
    try:
        encoded = jsonable_encoder(value, custom_encoder={bytes: lambda data: data.decode("utf-8", "replace")})
    except Exception:  # an input that does not even encode is not echoed
        return None
    return scrub_json(encoded)


def _request_body(request_model: type[BaseModel], examples: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI `requestBody` of an operation whose body `strict_json` validates."""
    reference = {"$ref": f"#/components/schemas/{request_model.__name__}"}
    content = {"application/json": {"schema": reference, "examples": examples}}
    return {"requestBody": {"required": True, "content": content}}


class Readiness:
    """Whether the artifacts are loaded and verified: `loading`, `ready` or `failed` (with the reason)."""

    def __init__(self) -> None:
        self.status = "loading"
        self.reason = ""

    async def load(
        self, load_artifacts: Callable[[lockfile.PathLike | None], object], directory: lockfile.PathLike | None,
        problem: str = "",
    ) -> None:
        if problem:  # found before loading anything (the profile, or the settings, cannot be used)
            logger.error("the service will not become ready: %s", problem)
            self.status, self.reason = "failed", problem
            return
        try:
            await asyncio.to_thread(load_artifacts, directory)
        except Exception as exc:
            logger.exception("the artifacts were not loaded: the service will not become ready")
            self.status, self.reason = "failed", str(exc)
        else:
            self.status = "ready"


def create_app(
    service: Service, directory: lockfile.PathLike | None = None, settings: Settings | None = None
) -> FastAPI:
    """The app of `service`, loading its artifacts from `directory` (default: the package's own).

    `settings` default to the environment's (`service.settings()`).
    """
    settings = settings if settings is not None else service.settings()
    folder = service.folder(directory)
    about, examples = service.metadata, service.examples
    request_model, response_model = service.request_model, service.response_model
    batch_request = batch_request_model(request_model, settings.max_batch_size, examples)
    batch_response = batch_response_model(response_model)
    request_models = (request_model, batch_request)  # validated by `strict_json`: their schemas join the OpenAPI
    predict_examples = {
        f"example {number}": {"summary": f"notebook example {number}", "value": example["input"]}
        for number, example in enumerate(examples, start=1)
    }
    batch_examples = {"examples": {"value": {"instances": [example["input"] for example in examples]}}}
    readiness = Readiness()
    try:
        locked = lockfile.read_lock(folder)["artifacts"]
    except lockfile.ArtifactError:
        locked = []  # the service will not become ready; /ready says why
    metrics = Metrics({key: str(about[key]) for key in BUILD_KEYS}, locked)
    drift_settings = settings.drift
    problem, profile = "", None
    try:
        profile = load_profile(folder, service.package_dir)
    except lockfile.ArtifactError as exc:
        problem = str(exc)
    if not problem and drift_settings.strict and not (profile and profile["features"]):
        lacking = "the notebook had no `reference` cell" if profile is None else "it profiles no input"
        problem = (f"strict validation ({settings.variable('STRICT')}) needs the profile of the `reference` data: "
                   f"{lacking}")
    drift = DriftMonitor(
        profile, drift_settings, access_logger(f"{service.package}.drift"), reason=problem,
        env_prefix=settings.prefix,
    )
    errors_log = access_logger(f"{service.package}.predict")
    metrics.registry.register(DriftCollector(drift))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(readiness.load(service.load_artifacts, directory, problem))
        yield
        loading.cancel()

    app = FastAPI(
        title=about["title"],
        description=about["description"],
        version=about["version"],
        lifespan=lifespan,
    )

    def ensure_ready() -> None:
        if readiness.status != "ready":
            raise HTTPException(status_code=503, detail=f"not ready: artifacts {readiness.status}")

    def predicted(inputs: dict[str, Any], loc: Sequence[str | int]) -> Any:
        """The notebook's prediction for `inputs`, as JSON; PredictionError if predict fails on them."""
        try:
            prediction = jsonable(service.predict(**inputs))
        except Exception as exc:
            raise PredictionError(
                "prediction_failed", loc, f"predict raised {type(exc).__name__}: {one_line(exc)}", type(exc).__name__
            ) from exc  # the exception's text goes to the log only: it may hold what a client must not see
        try:
            response_model(prediction=prediction).model_dump_json()  # the type of the annotation, and encodable
        except Exception as exc:
            problem = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else one_line(exc)
            shown = one_line(repr(prediction), 100)
            raise PredictionError(
                "prediction_invalid", loc, f"predict returned {shown}, which the response cannot carry: {problem}",
                "InvalidPrediction",
            ) from exc
        return prediction

    def monitor(inputs: list[dict[str, Any]], batch: bool) -> None:
        """Feed the drift monitor; in strict mode, refuse (422) values the reference data never had."""
        problems = drift.observe(inputs)
        if problems:
            errors = [
                {
                    "type": problem["type"],
                    "loc": ("body", *(("instances", problem["row"]) if batch else ()), problem["field"]),
                    "msg": problem["msg"],
                    "input": problem["input"],
                    "ctx": problem["ctx"],
                }
                for problem in problems
            ]
            raise RequestValidationError(errors)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": error_detail(exc.errors())}, status_code=422)

    @app.exception_handler(PredictionError)
    async def prediction_failed(request: Request, exc: PredictionError) -> JSONResponse:
        metrics.observe_prediction_error(exc.error)
        fields = {
            "request_id": request.scope.get("state", {}).get("request_id"),
            "route": request.url.path,
            "loc": list(exc.loc),
            "error": exc.error,
        }
        errors_log.error(exc.message, extra={"fields": fields}, exc_info=exc.__cause__)
        shown = exc.message
        if exc.kind == "prediction_failed":  # the type only: its text may name paths, data, credentials
            shown = (f"predict raised {exc.error} on this input; its message is in the service's log "
                     f"(request {fields['request_id']})")
        error = {"type": exc.kind, "loc": list(exc.loc), "msg": shown, "input": None}
        return JSONResponse({"detail": error_detail([error])}, status_code=422)

    @app.post(
        "/predict",
        response_model=response_model,
        responses=PREDICT_ANSWERS,
        openapi_extra=_request_body(request_model, predict_examples),
    )
    def predict(request: Annotated[BaseModel, Depends(strict_json(request_model))]) -> Response:
        """The notebook's `predict` for one input."""
        ensure_ready()
        inputs = request.model_dump()
        monitor([inputs], batch=False)
        prediction = predicted(inputs, ("body",))
        metrics.observe_predictions([prediction])
        return Response(response_model(prediction=prediction).model_dump_json(), media_type="application/json")

    @app.post(
        "/predict/batch",
        response_model=batch_response,
        responses=PREDICT_ANSWERS,
        openapi_extra=_request_body(batch_request, batch_examples),
    )
    def predict_batch(request: Annotated[BaseModel, Depends(strict_json(batch_request))]) -> Response:
        """The notebook's `predict` for each input of a batch, in order."""
        ensure_ready()
        instances: list[BaseModel] = getattr(request, "instances")  # noqa: B009 - a field of a model made at run time
        metrics.observe_batch(len(instances))
        inputs = [instance.model_dump() for instance in instances]
        monitor(inputs, batch=True)
        predictions = [predicted(kwargs, ("body", "instances", row)) for row, kwargs in enumerate(inputs)]
        metrics.observe_predictions(predictions)
        return Response(batch_response(predictions=predictions).model_dump_json(), media_type="application/json")

    @app.get("/health", responses=ANSWERS)
    def health() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @app.get(
        "/ready",
        response_model=ReadyStatus,
        responses={**ANSWERS, 503: _answer("The artifacts are loading, or failed to load", ReadyStatus)},
    )
    def ready() -> JSONResponse:
        """Readiness: the artifacts are verified against the lock and loaded."""
        if readiness.status == "ready":
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": readiness.status, "reason": scrub(readiness.reason)}, status_code=503)

    @app.get("/metadata", responses={**ANSWERS, 503: _answer("The lock cannot be read")})
    def metadata() -> dict[str, Any]:
        """What this service is: its notebook, build, artifacts, request schema and parameters."""
        try:
            artifacts = lockfile.read_lock(folder)["artifacts"]
        except lockfile.ArtifactError as exc:
            raise HTTPException(status_code=503, detail=scrub(str(exc))) from exc
        # the notebook's own text (a title, a parameter) may hold a lone surrogate
        answer: dict[str, Any] = scrub_json({
            **{key: about[key] for key in METADATA_KEYS},
            "python_runtime": platform.python_version(),
            "artifacts": [
                {key: entry.get(key) for key in ("name", "file", "format", "type", "sha256")} for entry in artifacts
            ],
            "request_schema": request_model.model_json_schema(),
        })
        return answer

    @app.get("/drift", responses=ANSWERS)
    def drift_report() -> dict[str, Any]:
        """Input drift: for each input of `predict`, its recent values against the notebook's `reference` data
        (PSI, status, out-of-range values and unseen categories); `available` is false without a reference."""
        return drift.report()

    @app.get("/metrics", response_class=Response, responses={**ANSWERS, 200: {"content": {CONTENT_TYPE_LATEST: {}}}})
    def prometheus_metrics() -> Response:
        """Prometheus metrics: requests, latency, predictions, batch sizes, input drift, and the build."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's OpenAPI, with the schemas of the request bodies that `strict_json` validates."""
        schema = generate_openapi()
        _, definitions = models_json_schema(
            [(model, "validation") for model in request_models],
            ref_template="#/components/schemas/{model}",
        )
        schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions.get("$defs", {}))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    # The last added is the outermost: every answer, a 408, 413 or 422 of the limits too, is counted and logged.
    app.add_middleware(
        LimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        body_timeout=settings.body_timeout,
    )
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=metrics,
        routes=app.router.routes,
        logger=access_logger(f"{service.package}.access"),
    )
    app.state.metrics = metrics
    app.state.drift = drift
    app.state.settings = settings
    app.state.batch_request = batch_request
    return app
