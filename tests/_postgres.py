"""A real PostgreSQL server for the tests: Debian's `initdb` and `pg_ctl` on a folder of their own.

`running_postgres(tmp_path)` initialises a cluster (trust authentication, user `postgres`),
starts it on 127.0.0.1 and a free port with its unix socket in the same folder, creates the
database `nb2prod`, yields a `PostgresServer` (its `url` is that database's URL, and `str()` of
it too), and stops it on exit (`pg_ctl stop -m fast`). `stop()` and `start()` take the same
server down and bring it back mid-test (same port, same data); `create_database()` gives a
fresh database on it (a URL), so that tests can share one server.

PostgreSQL refuses to run as root: as root the cluster lives in a folder of its own under the
system's temporary folder (pytest's tmp_path is private to root), owned by the `postgres` user,
and every command runs under `runuser -u postgres --`; that folder is removed on exit.

When Debian's binaries (/usr/lib/postgresql/<version>/bin) are not installed the test is
skipped with the reason, except under CI=true, where `.ci/run` installs them: there it fails.

Test modules import it as `from _postgres import ...` (tests/ is on sys.path: see _services.py).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from _services import free_port

BIN_GLOB = "/usr/lib/postgresql/*/bin"
USER = "postgres"
START_SECONDS = 60


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's folder of binaries (with initdb and pg_ctl), or None."""
    found = [Path(path) for path in glob.glob(BIN_GLOB) if (Path(path) / "initdb").is_file()
             and (Path(path) / "pg_ctl").is_file()]
    found.sort(key=lambda path: [int(part) if part.isdigit() else 0 for part in path.parent.name.split(".")])
    return found[-1] if found else None


def require_postgres() -> Path:
    """The binaries' folder; else skip (or, under CI=true, fail) with the reason."""
    bindir = postgres_bin()
    if bindir is None:
        reason = f"PostgreSQL is not installed (no initdb in {BIN_GLOB}; Debian's package postgresql)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}, and CI=true: .ci/run installs it")
        pytest.skip(reason)
    return bindir


class PostgresServer:
    """One PostgreSQL cluster in `root` (see the module's documentation)."""

    _databases = itertools.count(1)

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.log_path = root / "postgres.log"
        self.port = free_port()
        self.host = "127.0.0.1"
        self.as_root = os.geteuid() == 0
        self.running = False
        self.database = "nb2prod"

    @property
    def url(self) -> str:
        return self.url_of(self.database)

    def url_of(self, database: str) -> str:
        return f"postgresql://{USER}@{self.host}:{self.port}/{database}"

    def __str__(self) -> str:
        return self.url

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", USER, "--", *args] if self.as_root else list(args)

    def _run(self, *args: str, timeout: float = START_SECONDS) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self._command(*args), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, cwd=self.root)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed (exit status {proc.returncode}): "
                               f"{(proc.stderr or proc.stdout).strip()}\n{self.log()}")
        return proc

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        except OSError:
            return ""

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        settings = {
            "listen_addresses": f"'{self.host}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "40",
            "shared_buffers": "16MB",
            "fsync": "off",  # a test server: nothing to keep across a crash
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        with (self.data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self) -> None:
        """Start (or restart after `stop()`) the server; returns once it accepts connections."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-w", "-t",
                  str(START_SECONDS), "start")
        self.running = True

    def stop(self) -> None:
        """Stop the server now (fast mode: open connections are cut), keeping its data."""
        if self.running:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.running = False

    def psql(self, sql: str, database: str | None = None) -> str:
        """The output of `sql` run by psql (unaligned, tuples only)."""
        return self._run(str(self.bindir / "psql"), "-h", self.host, "-p", str(self.port), "-U", USER, "-d",
                         database or self.database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql).stdout

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database on this server; its URL."""
        name = name or f"db{next(self._databases)}_{int(time.time() * 1000) % 100000}"
        self.psql(f'CREATE DATABASE "{name}"', database="postgres")
        return self.url_of(name)


@contextmanager
def running_postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL server with an empty database `nb2prod` (see the module's documentation)."""
    bindir = require_postgres()
    if os.geteuid() == 0:
        root = Path(tempfile.mkdtemp(prefix="nb2prod-postgres-"))
        shutil.chown(root, USER, USER)
    else:
        root = tmp_path / "postgres"
        root.mkdir()
    server = PostgresServer(bindir, root)
    try:
        server.init()
        server.start()
        server.create_database(server.database)
        yield server
    finally:
        try:
            server.stop()
        finally:
            if server.as_root:
                shutil.rmtree(root, ignore_errors=True)
