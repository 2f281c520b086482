"""Two replicas of a built service on one real PostgreSQL, and the store going down under them.

The bundled iris example is built for real; two uvicorn processes on 127.0.0.1 serve it with
`<PREFIX>_STORE_URL` set to the same database of a PostgreSQL server the test starts
(Debian's, see _postgres.py; `.ci/run` installs it). Predictions answered by one replica get
their outcomes through the other, and both report the same live quality; then PostgreSQL is
stopped mid-test: predictions still answer 200, `/ready` stays 200 and says the store is down,
`/feedback` is 503, nothing crashes, and once PostgreSQL is back the predictions made while it
was down arrive (the writer kept them queued) and get their feedback matched.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from _postgres import PostgresServer, running_postgres
from _services import RunningService, metric_samples, running_service

from nb2prod.converter import BuildOptions, build

pytestmark = [pytest.mark.slow, pytest.mark.kernel]  # builds the notebook in a real kernel, serves it twice

ROOT = Path(__file__).resolve().parent.parent
IRIS = ROOT / "examples" / "iris" / "train.ipynb"


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    result = build(BuildOptions(IRIS, tmp_path_factory.mktemp("postgres-builds") / "iris-service", gate=False))
    return result.output, result.package_name


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    with running_postgres(tmp_path) as server:
        yield server


def rows() -> tuple[list[dict[str, float]], list[str]]:
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True)
    frame = data.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    return frame.to_dict("records"), [str(data.target_names[t]) for t in data.target]


def predict(client: httpx.Client, instances: list[dict[str, float]]) -> tuple[list[str], list[Any]]:
    response = client.post("/predict/batch", json={"instances": instances})
    assert response.status_code == 200, response.text
    return response.json()["ids"], response.json()["predictions"]


def feedback(client: httpx.Client, ids: list[str], outcomes: list[Any]) -> httpx.Response:
    return client.post("/feedback", json={"feedback": [{"id": i, "outcome": o} for i, o in zip(ids, outcomes,
                                                                                                 strict=True)]})


def wait_for(condition: Any, what: str, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.2)


def test_two_replicas_share_the_store_and_survive_it_going_down(
    iris: tuple[Path, str], postgres: PostgresServer, tmp_path: Path
) -> None:
    project, package = iris
    prefix = package.upper()
    env = {f"{prefix}_STORE_URL": postgres.url, f"{prefix}_QUALITY_WINDOW": "1000"}
    inputs, species = rows()
    with ExitStack() as stack:
        replicas: list[RunningService] = [
            stack.enter_context(running_service(project, package, env=env, log_path=tmp_path / f"replica-{n}.log",
                                                timeout=60, uvicorn_args=["--no-access-log"]))
            for n in (1, 2)
        ]
        one, two = (stack.enter_context(r.client()) for r in replicas)
        for client in (one, two):
            ready = client.get("/ready").json()
            assert ready["status"] == "ready" and ready["store"]["kind"] == "postgresql" and ready["store"]["up"]

        # predicted by replica one, the outcomes sent to replica two: matched there, counted by both
        ids, predictions = predict(one, inputs[:100])
        answer = feedback(two, ids, species[:100])
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"matched": 100, "unknown": [], "duplicates": []}
        accuracy = sum(p == s for p, s in zip(predictions, species[:100], strict=True)) / 100
        for client in (one, two):
            report = client.get("/performance").json()
            assert report["count"] == 100 and report["metrics"]["accuracy"] == pytest.approx(accuracy)
        # an outcome sent again, to the replica that predicted: a duplicate there
        again = feedback(one, ids[:3], species[:3]).json()
        assert again["matched"] == 0 and sorted(again["duplicates"]) == sorted(ids[:3])
        assert postgres.psql("SELECT count(*) FROM predictions").strip() == "100"

        # PostgreSQL goes down under both replicas
        postgres.stop()
        down_ids, down_predictions = predict(one, inputs[100:150])  # answers 200 at once, as before
        assert down_predictions == predict(two, inputs[100:150])[1]
        single = one.post("/predict", json=inputs[0])
        assert single.status_code == 200
        for client in (one, two):
            ready = wait_for(lambda c=client: (r := c.get("/ready")).status_code == 200
                             and not r.json()["store"]["up"] and r.json(), "the store reported down")
            assert ready["status"] == "ready" and ready["store"]["reason"]
        assert feedback(two, down_ids[:1], species[100:101]).status_code == 503
        samples = metric_samples(one)
        assert samples[("model_store_up", ())] == 0
        assert samples[("model_quality_status", ())] == -1  # unknown: the window cannot be read
        assert one.get("/health").status_code == 200

        # back: the queued predictions are written, feedback for them is matched on the other replica
        postgres.start()
        for client in (one, two):
            wait_for(lambda c=client: c.get("/ready").json()["store"]["up"], "the store reported up again")
        answer = wait_for(lambda: (r := feedback(two, down_ids, species[100:150])).status_code == 200 and r.json(),
                          "feedback accepted again")
        assert answer == {"matched": 50, "unknown": [], "duplicates": []}
        assert metric_samples(one)[("model_store_up", ())] == 1
        for client in (one, two):  # a replica's report is cached for a second: the other one's may be older
            wait_for(lambda c=client: c.get("/performance").json()["count"] == 150, "the 150 labelled predictions",
                     seconds=5)
        assert all(r.process.poll() is None for r in replicas), "a replica exited"
        assert int(postgres.psql("SELECT count(*) FROM predictions").strip()) >= 150 + 50 + 1
    for n in (1, 2):  # the store's trouble is logged as such; no request failed inside the app
        log = (tmp_path / f"replica-{n}.log").read_text(encoding="utf-8")
        assert "Exception in ASGI application" not in log, log[-3000:]
        assert '"status": 500' not in log and '"status":500' not in log, log[-3000:]
