"""The HTTP service: a FastAPI app around the notebook's `predict`.

The artifacts are verified and loaded in the background when the app starts: `/health`
answers at once, `/ready` and the prediction endpoints only once the artifacts are in.
"""

import asyncio
import logging
import platform
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException
from fastapi.responses import JSONResponse

from {{ cookiecutter.package_name }} import lockfile, model
from {{ cookiecutter.package_name }}.schema import (
    EXAMPLES,
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


class Readiness:
    """Whether the artifacts are loaded and verified: `loading`, `ready` or `failed` (with the reason)."""

    def __init__(self) -> None:
        self.status = "loading"
        self.reason = ""

    async def load(self, directory: lockfile.PathLike | None) -> None:
        try:
            await asyncio.to_thread(model.load_artifacts, directory)
        except Exception as exc:
            logger.exception("the artifacts were not loaded: the service will not become ready")
            self.status, self.reason = "failed", str(exc)
        else:
            self.status = "ready"


def create_app(directory: lockfile.PathLike | None = None) -> FastAPI:
    """The service, loading its artifacts from `directory` (default: the package's own)."""
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(readiness.load(directory))
        yield
        loading.cancel()

    app = FastAPI(
        title=METADATA["title"],
        description=METADATA["description"],
        version=METADATA["version"],
        lifespan=lifespan,
    )

    def predict_one(request: PredictRequest) -> Any:
        if readiness.status != "ready":
            raise HTTPException(status_code=503, detail=f"not ready: artifacts {readiness.status}")
        return jsonable(model.predict(**request.model_dump()))

    @app.post("/predict")
    def predict(request: Annotated[PredictRequest, Body(openapi_examples=PREDICT_EXAMPLES)]) -> PredictResponse:
        """The notebook's `predict` for one input."""
        return PredictResponse(prediction=predict_one(request))

    @app.post("/predict/batch")
    def predict_batch(request: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLES)]) -> BatchResponse:
        """The notebook's `predict` for each input of a batch, in order."""
        return BatchResponse(predictions=[predict_one(instance) for instance in request.instances])

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

    return app


app = create_app()
