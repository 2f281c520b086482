"""The HTTP service: a FastAPI app around the notebook's `predict`.

The artifacts are verified and loaded in the background when the app starts: `/health`
answers at once, `/ready` and the prediction endpoints only once the artifacts are in.
Every request is counted in the metrics of `/metrics` and logged as one JSON line, and
its body is limited in size (see observability.py). The inputs of `/predict` and
`/predict/batch` feed the drift monitor of `/drift` and, in strict mode, are refused when
the notebook's `reference` data never had their values (see drift.py).
"""

import asyncio
import logging
import platform
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from {{ cookiecutter.package_name }} import lockfile, model
from {{ cookiecutter.package_name }}.drift import ENV_PREFIX, DriftCollector, DriftMonitor, DriftSettings, load_profile
from {{ cookiecutter.package_name }}.observability import (
    LimitsMiddleware,
    Metrics,
    ObservabilityMiddleware,
    access_logger,
)
from {{ cookiecutter.package_name }}.schema import (
    EXAMPLES,
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    METADATA,
    BatchRequest,
    BatchResponse,
    PredictRequest,
    PredictResponse,
    jsonable,
)

logger = logging.getLogger(__name__)

PREDICT_EXAMPLES = {
    f"example {number}": {"summary": f"notebook example {number}", "value": example["input"]}
    for number, example in enumerate(EXAMPLES, start=1)
}
BATCH_EXAMPLES = {"examples": {"value": {"instances": [example["input"] for example in EXAMPLES]}}}
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


class Readiness:
    """Whether the artifacts are loaded and verified: `loading`, `ready` or `failed` (with the reason)."""

    def __init__(self) -> None:
        self.status = "loading"
        self.reason = ""

    async def load(self, directory: lockfile.PathLike | None, problem: str = "") -> None:
        if problem:  # found before loading anything (the profile, or the settings, cannot be used)
            logger.error("the service will not become ready: %s", problem)
            self.status, self.reason = "failed", problem
            return
        try:
            await asyncio.to_thread(model.load_artifacts, directory)
        except Exception as exc:
            logger.exception("the artifacts were not loaded: the service will not become ready")
            self.status, self.reason = "failed", str(exc)
        else:
            self.status = "ready"


def create_app(directory: lockfile.PathLike | None = None, drift_settings: DriftSettings | None = None) -> FastAPI:
    """The service, loading its artifacts from `directory` (default: the package's own).

    `drift_settings` default to the environment's (`DriftSettings.from_env`).
    """
    readiness = Readiness()
    try:
        locked = lockfile.read_lock(directory)["artifacts"]
    except lockfile.ArtifactError:
        locked = []  # the service will not become ready; /ready says why
    metrics = Metrics({key: str(METADATA[key]) for key in BUILD_KEYS}, locked)
    settings = drift_settings if drift_settings is not None else DriftSettings.from_env()
    problem, profile = "", None
    try:
        profile = load_profile(directory)
    except lockfile.ArtifactError as exc:
        problem = str(exc)
    if not problem and settings.strict and not (profile and profile["features"]):
        lacking = "the notebook had no `reference` cell" if profile is None else "it profiles no input"
        problem = f"strict validation ({ENV_PREFIX}_STRICT) needs the profile of the `reference` data: {lacking}"
    drift = DriftMonitor(profile, settings, access_logger("{{ cookiecutter.package_name }}.drift"), reason=problem)
    metrics.registry.register(DriftCollector(drift))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(readiness.load(directory, problem))
        yield
        loading.cancel()

    app = FastAPI(
        title=METADATA["title"],
        description=METADATA["description"],
        version=METADATA["version"],
        lifespan=lifespan,
    )

    def ensure_ready() -> None:
        if readiness.status != "ready":
            raise HTTPException(status_code=503, detail=f"not ready: artifacts {readiness.status}")

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

    @app.post("/predict")
    def predict(request: Annotated[PredictRequest, Body(openapi_examples=PREDICT_EXAMPLES)]) -> PredictResponse:
        """The notebook's `predict` for one input."""
        ensure_ready()
        inputs = request.model_dump()
        monitor([inputs], batch=False)
        prediction = jsonable(model.predict(**inputs))
        metrics.observe_predictions([prediction])
        return PredictResponse(prediction=prediction)

    @app.post("/predict/batch")
    def predict_batch(request: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLES)]) -> BatchResponse:
        """The notebook's `predict` for each input of a batch, in order."""
        ensure_ready()
        metrics.observe_batch(len(request.instances))
        inputs = [instance.model_dump() for instance in request.instances]
        monitor(inputs, batch=True)
        predictions = [jsonable(model.predict(**kwargs)) for kwargs in inputs]
        metrics.observe_predictions(predictions)
        return BatchResponse(predictions=predictions)

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @app.get("/ready", responses={503: {"description": "The artifacts are loading, or failed to load"}})
    def ready() -> JSONResponse:
        """Readiness: the artifacts are verified against the lock and loaded."""
        if readiness.status == "ready":
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": readiness.status, "reason": readiness.reason}, status_code=503)

    @app.get("/metadata")
    def metadata() -> dict[str, Any]:
        """What this service is: its notebook, build, artifacts, request schema and parameters."""
        try:
            artifacts = lockfile.read_lock(directory)["artifacts"]
        except lockfile.ArtifactError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from exc
        return {
            **{key: METADATA[key] for key in METADATA_KEYS},
            "python_runtime": platform.python_version(),
            "artifacts": [
                {key: entry.get(key) for key in ("name", "file", "format", "type", "sha256")} for entry in artifacts
            ],
            "request_schema": PredictRequest.model_json_schema(),
        }

    @app.get("/drift")
    def drift_report() -> dict[str, Any]:
        """Input drift: for each input of `predict`, its recent values against the notebook's `reference` data
        (PSI, status, out-of-range values and unseen categories); `available` is false without a reference."""
        return drift.report()

    @app.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
    def prometheus_metrics() -> Response:
        """Prometheus metrics: requests, latency, predictions, batch sizes, input drift, and the build."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # The last added is the outermost: every answer, a 413 or 422 of the limits too, is counted and logged.
    app.add_middleware(LimitsMiddleware, max_body_bytes=MAX_BODY_BYTES, max_json_depth=MAX_JSON_DEPTH)
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=metrics,
        routes=app.router.routes,
        logger=access_logger("{{ cookiecutter.package_name }}.access"),
    )
    app.state.metrics = metrics
    app.state.drift = drift
    return app


app = create_app()
