"""The HTTP service: a FastAPI app around a notebook's `predict`, built by `create_app(service)`.

The artifacts are verified and loaded in the background when the app starts: `/health`
answers at once, `/ready` and the prediction endpoints only once the artifacts are in.
Every request is counted in the metrics of `/metrics` and logged as one JSON line, and
its body is limited in size and time (see observability.py). The inputs of `/predict` and
`/predict/batch` are validated strictly from the JSON text (see schema.py), feed the drift
monitor of `/drift` and, in strict mode, are refused when the notebook's `reference` data
never had their values (see drift.py).

Every prediction has an id: a new uuid4 (32 hex digits), or the client's own (the header
`X-Prediction-Id` of `/predict`, the `ids` of `/predict/batch`); the answer carries it (and, for
`/predict`, the `X-Prediction-Id` header), the request's log line names it, and the prediction
(id, time, inputs unless `<PREFIX>_STORE_INPUTS=0`, output) is queued for the prediction store
(store.py), which writes it off the request path. `POST /feedback` takes the true outcomes of
predictions by id; `GET /performance` and the `model_quality*` gauges of `/metrics` compare them
with the predictions (quality.py). A store that is down makes `/feedback` answer 503 and `/ready`
say so (still 200): predictions go on.

No valid input is answered with a 5xx: if the notebook's `predict` raises on it (or returns
what the response cannot carry, a value of another type than its annotation), the answer
is 422 with one line naming the exception (its traceback is logged, never sent), and
`model_prediction_errors_total` counts it. 503 means only that the artifacts are not
loaded. Every status an operation can answer is listed in its OpenAPI `responses`.
"""

import asyncio
import dataclasses
import json
import logging
import math
import platform
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema

from . import lockfile, v2
from .drift import DriftCollector, DriftMonitor, load_profile
from .observability import (
    LimitsMiddleware,
    Metrics,
    ObservabilityMiddleware,
    StoreCollector,
    access_logger,
    is_json,
    one_line,
    scrub,
    scrub_json,
)
from .quality import QualityCollector, QualityMonitor, baseline_from_lock
from .schema import (
    ID_EXAMPLES,
    ID_PATTERN,
    ErrorMessage,
    FeedbackResult,
    QualityReport,
    ReadyStatus,
    ValidationErrors,
    batch_request_model,
    batch_response_model,
    feedback_models,
    jsonable,
    predict_response_model,
    prediction_type,
)
from .service import Service
from .settings import Settings
from .store import FeedbackItem, PredictionRecord, PredictionStore, StoreUnavailable, open_store
from .vectorised import PredictionError, predict_rows

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
                 "cannot carry); each reason names its field or instance in `loc`. For a batch, `ids` that are "
                 "not one per instance (`ids_mismatch`) or not all different (`ids_not_unique`)", ValidationErrors),
    503: _answer("The artifacts are not loaded (yet, or they failed to load: see /ready)"),
}
FEEDBACK_ANSWERS: dict[int | str, dict[str, Any]] = {
    **ANSWERS,
    422: _answer("The body is neither one `{id, outcome}` nor `{feedback: [...]}`, an id is not 1 to 128 letters, "
                 "digits and `._:-`, or an outcome is not of the type `predict` returns", ValidationErrors),
    503: _answer("The prediction store cannot be reached: nothing was recorded, send the feedback again later"),
}
PREDICTION_ID_HEADER = "X-Prediction-Id"


def strict_json(model: type[Model]) -> Callable[[Request], Awaitable[Model]]:
    """A dependency: the request's JSON body, validated as `model` by pydantic from the JSON text (strict mode
    as JSON allows it: arrays for tuples and sets, an integer for a float), or 422 with FastAPI's errors."""

    async def validated(request: Request) -> Model:
        return _validated(model, await _json_body(request))

    return validated


async def _json_body(request: Request) -> bytes:
    """The body of a request that says it is JSON; 422 naming the content type otherwise."""
    content_type = request.headers.get("content-type")
    if not is_json(content_type):
        raise RequestValidationError([{
            "type": "content_type", "loc": ("header", "content-type"), "input": scrub(content_type or ""),
            "msg": "the body must be JSON: send Content-Type: application/json",
        }])
    return await request.body()


def _validated(model: type[Model], body: bytes) -> Model:
    """`body` validated as `model` from the JSON text (see `strict_json`), or 422 with the errors under `body`."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None


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


def _request_body(request_model: type[BaseModel] | Sequence[type[BaseModel]], examples: dict[str, Any]
                  ) -> dict[str, Any]:
    """The OpenAPI `requestBody` of an operation whose body `strict_json` validates (one of several models: any)."""
    models = [request_model] if isinstance(request_model, type) else list(request_model)
    references = [{"$ref": f"#/components/schemas/{model.__name__}"} for model in models]
    schema = references[0] if len(references) == 1 else {"anyOf": references}
    content: dict[str, Any] = {"application/json": {"schema": schema, **({"examples": examples} if examples else {})}}
    return {"requestBody": {"required": True, "content": content}}


def _finite(value: Any) -> Any:
    """`value` with every float that JSON cannot carry (an infinity, NaN) as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _id_errors(ids: Sequence[str] | None, instances: int) -> list[dict[str, Any]]:
    """Why a batch's `ids` cannot be the ids of its `instances` predictions (one each, all different), or []."""
    if ids is None:
        return []
    if len(ids) != instances:
        return [{"type": "ids_mismatch", "loc": ("body", "ids"), "input": None, "ctx": {"ids": len(ids),
                 "instances": instances},
                 "msg": f"{len(ids)} ids for {instances} instances: send one id per instance, in order, or none"}]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})[:5]
        return [{"type": "ids_not_unique", "loc": ("body", "ids"), "input": None, "ctx": {"repeated": twice},
                 "msg": f"the ids of a batch must all be different: {', '.join(twice)} appear more than once"}]
    return []


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
    batch_response = batch_response_model(response_model, examples)
    predict_response = predict_response_model(response_model, examples)
    feedback_item, feedback_batch = feedback_models(response_model, settings.max_batch_size, examples)
    # validated by `strict_json`: their schemas join the OpenAPI
    request_models = (request_model, batch_request, feedback_batch, feedback_item)
    predict_examples = {
        f"example {number}": {"summary": f"notebook example {number}", "value": example["input"]}
        for number, example in enumerate(examples, start=1)
    }
    inputs_shown = [example["input"] for example in examples][: len(ID_EXAMPLES)]
    batch_examples = {"examples": {"value": {"instances": [example["input"] for example in examples]}}}
    if inputs_shown:
        batch_examples["with the client's ids"] = {"value": {
            "instances": inputs_shown, "ids": [f"order-{number}" for number in range(1, len(inputs_shown) + 1)]}}
    outputs = [example["output"] for example in examples if "output" in example][: len(ID_EXAMPLES)]
    feedback_examples = {  # without an example output, the schema's own example (none) is shown
        "one outcome": {"value": {"id": ID_EXAMPLES[0], "outcome": outputs[0]}},
        "several outcomes": {"value": {"feedback": [
            {"id": id_, "outcome": output} for id_, output in zip(ID_EXAMPLES, outputs, strict=False)]}},
    } if outputs else {}
    readiness = Readiness()
    try:
        lock = lockfile.read_lock(folder)
    except lockfile.ArtifactError:
        lock = {"artifacts": []}  # the service will not become ready; /ready says why
    locked = lock["artifacts"]
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
    store_settings, quality_settings = settings.store, settings.quality
    try:
        store: PredictionStore = open_store(
            store_settings.url, max_rows=store_settings.max_rows, max_age_seconds=store_settings.max_age,
            queue_size=store_settings.queue, logger=access_logger(f"{service.package}.store"),
        )
    except ValueError as exc:  # a start-up error, naming the variable
        raise ValueError(f"{settings.variable('STORE_URL')}: {exc}") from None
    storing = store.status().kind != "off"
    keep_inputs = store_settings.inputs
    quality = QualityMonitor(
        lambda: store.labelled(quality_settings.window, quality_settings.max_age),
        baseline_from_lock(lock), quality_settings, access_logger(f"{service.package}.quality"),
    )
    metrics.registry.register(QualityCollector(quality))
    metrics.registry.register(StoreCollector(store.status, lambda: readiness.status == "ready"))

    def start_store() -> None:
        try:
            store.start()
        except Exception:  # the store is not needed to predict: /ready says what became of it
            logger.exception("the prediction store did not start: predictions go on, and are not kept")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(readiness.load(service.load_artifacts, directory, problem))
        opening = asyncio.create_task(asyncio.to_thread(start_store))  # it may wait for a database
        yield
        loading.cancel()
        await opening
        await asyncio.to_thread(store.close, 5.0)

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

    answers_adapter: TypeAdapter[list[Any]] = TypeAdapter(list[prediction_type(response_model)])  # type: ignore[arg-type,misc]

    def predicted_rows(inputs: list[dict[str, Any]]) -> list[Any]:
        """The predictions for a batch's `inputs`, as JSON: one call of the notebook's `predict_batch` when it has
        one, else `predict` per row. If `predict_batch` fails, or returns what the response cannot carry, the rows
        are predicted one by one (the answer is then `predict`'s, or a PredictionError naming the row)."""
        if service.predict_batch is not None and inputs:
            try:
                predictions = predict_rows(service, inputs)
                answers_adapter.dump_json(answers_adapter.validate_python(predictions))
            except Exception:
                errors_log.warning("predict_batch failed on a batch of %d rows: predicting them one by one",
                                   len(inputs), exc_info=True)
            else:
                return predictions
        return [predicted(kwargs, ("body", "instances", row)) for row, kwargs in enumerate(inputs)]

    def score(http: Request, inputs: list[dict[str, Any]], given: list[str] | None) -> tuple[list[str], list[Any]]:
        """Score a batch of validated inputs as /predict/batch does, and return (ids, predictions): drift (in
        strict mode a refusal is a RequestValidationError, `loc` body.instances.N.field), the predictions (a
        PredictionError names the row), metrics, ids (`given`, or new ones), the store, and the log line."""
        metrics.observe_batch(len(inputs))
        monitor(inputs, batch=True)
        predictions = predicted_rows(inputs)
        metrics.observe_predictions(predictions)
        ids = given if given is not None else [uuid.uuid4().hex for _ in predictions]
        keep(ids, inputs, predictions)
        identify(http, ids)
        return ids, predictions

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

    def keep(ids: Sequence[str], inputs: Sequence[dict[str, Any]], predictions: Sequence[Any]) -> None:
        """Queue the predictions for the store (it never blocks nor raises)."""
        if not storing:
            return
        now = time.time()
        store.record_predictions([
            PredictionRecord(id_, now, row if keep_inputs else None, prediction)
            for id_, row, prediction in zip(ids, inputs, predictions, strict=True)
        ])

    def identify(http: Request, ids: list[str]) -> None:
        """Name the predictions' ids in the request's log line."""
        http.scope.setdefault("state", {})["prediction_ids"] = ids

    def store_state() -> dict[str, Any]:
        state = dataclasses.asdict(store.status())
        state["reason"] = scrub(str(state["reason"]))
        return state

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": error_detail(exc.errors())}, status_code=422)

    def failed_prediction(request: Request, exc: PredictionError) -> str:
        """Count and log a failed prediction; the line a client may see."""
        metrics.observe_prediction_error(exc.error)
        fields = {
            "request_id": request.scope.get("state", {}).get("request_id"),
            "route": request.url.path,
            "loc": list(exc.loc),
            "error": exc.error,
        }
        errors_log.error(exc.message, extra={"fields": fields}, exc_info=exc.__cause__)
        if exc.kind == "prediction_failed":  # the type only: its text may name paths, data, credentials
            return (f"predict raised {exc.error} on this input; its message is in the service's log "
                    f"(request {fields['request_id']})")
        return exc.message

    @app.exception_handler(PredictionError)
    async def prediction_failed(request: Request, exc: PredictionError) -> JSONResponse:
        error = {"type": exc.kind, "loc": list(exc.loc), "msg": failed_prediction(request, exc), "input": None}
        return JSONResponse({"detail": error_detail([error])}, status_code=422)

    id_header = {PREDICTION_ID_HEADER: {"description": "The prediction's id (as in the body)",
                                        "schema": {"type": "string", "pattern": ID_PATTERN}}}

    @app.post(
        "/predict",
        response_model=predict_response,
        responses={**PREDICT_ANSWERS, 200: {"headers": id_header}},
        openapi_extra=_request_body(request_model, predict_examples),
    )
    def predict(
        http: Request,
        request: Annotated[BaseModel, Depends(strict_json(request_model))],
        prediction_id: Annotated[str | None, Header(
            alias=PREDICTION_ID_HEADER, min_length=1, max_length=128, pattern=ID_PATTERN,
            description="The client's own id of this prediction (default: a new uuid4, 32 hex digits)",
        )] = None,
    ) -> Response:
        """The notebook's `predict` for one input, and the prediction's id (also the `X-Prediction-Id` header)."""
        ensure_ready()
        inputs = request.model_dump()
        monitor([inputs], batch=False)
        prediction = predicted(inputs, ("body",))
        metrics.observe_predictions([prediction])
        id_ = prediction_id or uuid.uuid4().hex
        keep([id_], [inputs], [prediction])
        identify(http, [id_])
        return Response(predict_response(prediction=prediction, id=id_).model_dump_json(),
                        media_type="application/json", headers={PREDICTION_ID_HEADER: id_})

    @app.post(
        "/predict/batch",
        response_model=batch_response,
        responses=PREDICT_ANSWERS,
        openapi_extra=_request_body(batch_request, batch_examples),
    )
    def predict_batch(http: Request, request: Annotated[BaseModel, Depends(strict_json(batch_request))]) -> Response:
        """The notebook's `predict` for each input of a batch, in order (one call of its vectorised `predict_batch`
        when it has one), and the predictions' ids."""
        ensure_ready()
        instances: list[BaseModel] = getattr(request, "instances")  # noqa: B009 - a field of a model made at run time
        given: list[str] | None = getattr(request, "ids")  # noqa: B009
        problems = _id_errors(given, len(instances))
        if problems:
            raise RequestValidationError(problems)
        ids, predictions = score(http, [instance.model_dump() for instance in instances], given)
        return Response(batch_response(predictions=predictions, ids=ids).model_dump_json(),
                        media_type="application/json")

    async def feedback_body(request: Request) -> list[BaseModel]:
        """The outcomes of a /feedback body: one `{id, outcome}`, or `{feedback: [...]}`."""
        body = await _json_body(request)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "feedback" in parsed:
            items: list[BaseModel] = getattr(_validated(feedback_batch, body), "feedback")  # noqa: B009
            return items
        return [_validated(feedback_item, body)]

    @app.post(
        "/feedback",
        response_model=FeedbackResult,
        responses=FEEDBACK_ANSWERS,
        openapi_extra=_request_body((feedback_batch, feedback_item), feedback_examples),
    )
    def feedback(items: Annotated[list[BaseModel], Depends(feedback_body)]) -> JSONResponse:
        """The true outcomes of predictions, by id: late, in any order, in batches. Unknown ids (no prediction
        stored with that id) and duplicates (an id that already has an outcome: the first is kept) are reported
        and counted, not refused."""
        now = time.time()
        outcomes = [FeedbackItem(str(item.id), item.model_dump(mode="json")["outcome"], now)  # type: ignore[attr-defined]
                    for item in items]
        try:
            result = store.record_feedback(outcomes)
        except StoreUnavailable as exc:
            raise HTTPException(status_code=503, detail=scrub(f"the prediction store is unavailable: "
                                                              f"{one_line(exc)}")) from exc
        metrics.observe_feedback(result.matched, len(result.unknown), len(result.duplicates))
        quality.feedback_received()
        return JSONResponse({"matched": result.matched, "unknown": list(result.unknown),
                             "duplicates": list(result.duplicates)})

    @app.get("/performance", response_model=QualityReport, responses=ANSWERS)
    def performance() -> JSONResponse:
        """Live quality over the recent predictions that have feedback (accuracy, macro F1 and recall per class
        for labels; MAE, RMSE and bias for numbers), against the notebook's own figures, with a status: ok,
        degraded, alert, or unknown (too few outcomes yet, no baseline, or the store cannot be read)."""
        return JSONResponse(scrub_json(_finite(quality.report())))

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
        """Readiness: the artifacts are verified against the lock and loaded; and the prediction store's state
        (when it is down, the service is still ready: predictions go on, and are not kept)."""
        if readiness.status == "ready":
            return JSONResponse({"status": "ready", "store": store_state()})
        return JSONResponse({"status": readiness.status, "reason": scrub(readiness.reason), "store": store_state()},
                            status_code=503)

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

    v2.add_v2_routes(
        app, service=service, version=str(about["version"]), status=lambda: (readiness.status, readiness.reason),
        score=score, max_batch_size=settings.max_batch_size, limit_name=settings.variable("MAX_BATCH_SIZE"),
        on_prediction_error=failed_prediction, answers=ANSWERS,
    )

    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's OpenAPI, with the schemas of the request bodies that `strict_json` validates."""
        schema = generate_openapi()
        _, definitions = models_json_schema(
            [(model, "validation") for model in request_models],
            ref_template="#/components/schemas/{model}",
        )
        schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions.get("$defs", {}))
        for parameter in schema["paths"]["/predict"]["post"].get("parameters", []):
            if parameter["name"] == PREDICTION_ID_HEADER:  # a header is text or absent, never null
                parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": ID_PATTERN}
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
    app.state.store = store
    app.state.quality = quality
    app.state.settings = settings
    app.state.batch_request = batch_request
    return app
