"""Run a built service with uvicorn on 127.0.0.1, for the tests that talk to one over HTTP.

`running_service(project, package, log_path=...)` starts `uvicorn <package>.app:app` on a free
port, its output going to `log_path`, waits until `/ready` answers 200 (or, with
`ready=False`, until the artifacts have finished loading, whether they loaded or not), yields a
`RunningService`, and stops the process on exit: terminate, then kill if it has not gone
after ten seconds. A service that exits, fails to load or does not answer in time fails
the test with (the end of) its log in the message.

Test modules import it as `from _services import ...`: `tests/` is not a package, and pytest's
default import mode puts each test file's folder on `sys.path` (as `test_template_deploy.py`
relies on to import from `test_template`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

STOP_SECONDS = 10
"""How long a terminated service may take to exit before it is killed."""
LOG_TAIL = 4000
"""How much of the end of its log a failure message shows (uvicorn logs every /ready poll)."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningService:
    """A service started by `running_service`; `ready_response` is the /ready answer the wait ended on."""

    package: str
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    ready_response: httpx.Response | None = None

    def log(self) -> str:
        """What the service has written to its log so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self) -> str:
        """The end of the log, for failure messages."""
        return self.log()[-LOG_TAIL:]

    def client(self, timeout: float = 10) -> httpx.Client:
        """A client of the service (no proxies from the environment)."""
        return httpx.Client(base_url=self.url, timeout=timeout, trust_env=False)

    def wait(self, *, ready: bool, timeout: float, poll: float = 0.05) -> httpx.Response:
        """Poll /ready until it answers 200 (`ready`) or any status but `loading`; the answer."""
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while True:
                returncode = self.process.poll()
                assert returncode is None, f"{self.package} exited with {returncode}:\n{self.log_tail()}"
                assert time.monotonic() < deadline, (
                    f"{self.package} did not {'become ready' if ready else 'finish loading'} in {timeout}s:\n"
                    f"{self.log_tail()}"
                )
                try:
                    response = client.get("/ready")
                except httpx.TransportError:
                    time.sleep(poll)
                    continue
                status = _status(response)
                if response.status_code == 200 or (not ready and status not in (None, "loading")):
                    self.ready_response = response
                    return response
                assert status != "failed", f"{self.package} failed to load: {response.text}\n{self.log_tail()}"
                time.sleep(poll)


def _status(response: httpx.Response) -> object:
    """The `status` of a /ready answer (None if it is not a JSON object)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("status") if isinstance(body, dict) else None


@contextmanager
def running_service(
    project: Path | None,
    package: str,
    *,
    log_path: Path,
    python: str | os.PathLike[str] = sys.executable,
    env: Mapping[str, str] | None = None,
    ready: bool = True,
    timeout: float = 60,
    port: int | None = None,
    uvicorn_args: Sequence[str] = (),
) -> Iterator[RunningService]:
    """Serve `package` with `python -m uvicorn` and wait for /ready (see the module's docstring).

    `project`: the folder holding the package, run from (cwd and PYTHONPATH, with no bytecode
    written into it); None for a package installed in `python`'s environment. `env` is added to
    (and overrides) the inherited environment. `port`: a free one unless given.
    """
    port = free_port() if port is None else port
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if project is not None:
        environment.update(PYTHONPATH=str(project), PYTHONDONTWRITEBYTECODE="1")
    environment.update(env or {})
    command = [os.fspath(python), "-m", "uvicorn", f"{package}.app:app", "--host", "127.0.0.1", "--port", str(port),
               *uvicorn_args]
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, cwd=project, env=environment, stdout=out, stderr=subprocess.STDOUT)
    try:
        service = RunningService(package, f"http://127.0.0.1:{port}", port, process, log_path)
        service.wait(ready=ready, timeout=timeout)
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def metric_samples(client: httpx.Client) -> Samples:
    """The service's ``/metrics``, parsed: (sample name, sorted labels) -> value."""
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
