"""The prediction store: every prediction (id, time, inputs, output) and the true outcomes sent for them.

`open_store(url, ...)` picks the database from the URL of `<PREFIX>_STORE_URL`:

| URL | store |
|---|---|
| unset or empty | the SQLite file `predictions.sqlite3` in the working directory (DEFAULT_SQLITE_PATH) |
| `off` | nothing is kept: writes are no-ops, `labelled()` is empty, every feedback id is unknown |
| `sqlite:///relative/path.db` | a SQLite file, its folder created (SQLAlchemy's spelling: `sqlite:////abs/path.db`) |
| `postgresql://user:password@host:port/database` | PostgreSQL through psycopg 3 (also `postgres://`, any libpq URL) |

A bad URL is a ValueError naming it (its password hidden). Two tables, created at start with
`CREATE TABLE IF NOT EXISTS` and numbered in `schema_version` (idempotent: replicas starting at
once against one PostgreSQL take turns under an advisory lock; SQLite takes its write lock):

    predictions(id TEXT PRIMARY KEY, time DOUBLE PRECISION, inputs TEXT NULL, output TEXT)
    feedback(id TEXT PRIMARY KEY, outcome TEXT, time DOUBLE PRECISION)

`inputs`, `output` and `outcome` are JSON text; `time` is seconds since the epoch. A prediction id
given twice keeps its first row. Two services sharing one PostgreSQL database need a schema each
(`?options=-csearch_path%3Dname` in the URL).

**Writes never slow or fail a prediction.** `record_predictions` appends to a bounded queue (one
lock, no I/O) and returns; a daemon thread, the writer, owns the one writing connection and
writes the queue in batches (after a short linger, so that a burst is one transaction). A full
queue drops the new rows and counts them (`status().dropped`). When the database cannot be
reached the writer keeps its rows, retries with a doubling backoff (up to `retry_seconds`),
and `status()` says `up=False` with a one-line reason; when it is back, it reconnects, runs the
migrations again and writes what the queue held. An idle writer checks the connection every
few seconds, so the status also turns while nothing is written.

**Feedback** (`record_feedback`) is synchronous: it goes through the writer after every
prediction queued before it (so feedback sent right after a prediction finds it), and counts
for each id: *matched* (the first outcome of a stored prediction), *unknown* (no prediction
with that id is stored: it is kept all the same, and joins the prediction if that arrives later,
e.g. from another replica's queue: an id unknown at first is looked for once more after RECHECK_SECONDS;
such orphans are pruned after ORPHAN_SECONDS), *duplicate*
(the id already has an outcome, or appears twice: the first outcome is kept).
`StoreUnavailable` when the database cannot be reached or the wait exceeds `flush_timeout`.

**Pruning**, by the writer every `prune_seconds` and whenever a tenth of `max_rows` has been
written since the last time: predictions older than `max_age_seconds` and those beyond the
newest `max_rows`, with their feedback; orphan feedback older than ORPHAN_SECONDS.

`labelled(size, max_age_seconds)` reads the newest labelled predictions (their prediction time
within `max_age_seconds`), newest first, as (prediction, outcome) pairs, on a connection of its
own (a new one per call for SQLite, one kept under a lock for PostgreSQL).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

DEFAULT_SQLITE_PATH = "predictions.sqlite3"
"""The store when `<PREFIX>_STORE_URL` is unset or empty: this SQLite file, relative to the working directory."""
SCHEMA_VERSION = 1
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "off": "off"}
BATCH_ROWS = 500
"""Most predictions written in one transaction."""
LINGER_SECONDS = 0.05
"""How long the writer waits for more rows after the first one of a batch arrives."""
PING_SECONDS = 5.0
"""How often an idle writer checks its connection (so that the status says when the database went away)."""
ORPHAN_SECONDS = 86400.0
"""How long feedback for an id with no stored prediction is kept, waiting for it."""
RECHECK_SECONDS = 0.2
"""How long after an id was found unknown it is looked for once more: a prediction another replica (or worker
process) answered a moment ago may still be in that one's queue."""
RETRY_FIRST_SECONDS = 0.2
CONNECT_TIMEOUT = 5
"""Seconds to connect to PostgreSQL (libpq's `connect_timeout`, unless the URL gives one)."""
SQLITE_BUSY_SECONDS = 5.0
"""How long a SQLite connection waits for another process's write lock."""
ADVISORY_LOCK = 0x6E62_3270_726F_64
"""The PostgreSQL advisory lock the migrations and the pruning take ("nb2prod" in ASCII)."""
_IN_CHUNK = 500
"""Ids per `IN (...)` of a SQLite query (well under its limit on host parameters)."""


@dataclass(frozen=True)
class PredictionRecord:
    """One prediction: its id, time (seconds since the epoch), inputs (None when inputs are not kept) and output."""

    id: str
    time: float
    inputs: dict[str, Any] | None
    output: Any


@dataclass(frozen=True)
class FeedbackItem:
    """The true outcome of the prediction `id`, received at `time`."""

    id: str
    outcome: Any
    time: float


@dataclass(frozen=True)
class FeedbackResult:
    """How many outcomes matched a stored prediction; the ids that matched none, and those already labelled."""

    matched: int
    unknown: list[str]
    duplicates: list[str]


@dataclass(frozen=True)
class StoreStatus:
    """Where the store stands: its kind (`sqlite`, `postgresql`, `off`), whether its database is reachable
    (else why not, in one line), the writes queued, dropped (queue full, or left at close) and written."""

    kind: str
    up: bool
    reason: str
    queued: int
    dropped: int
    written: int


class StoreUnavailable(Exception):
    """The store's database cannot be reached (or did not answer in time)."""


# ---- URLs ---------------------------------------------------------------------------------------------------


def hide_password(url: str) -> str:
    """`url` with its password (in the user part or a `password=` parameter) replaced by `***`."""
    url = re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^:/@]*):[^@/]*@", r"\1:***@", url, flags=re.IGNORECASE)


@dataclass(frozen=True)
class StoreLocation:
    """What a store URL names: its kind, and the SQLite path or the PostgreSQL URL."""

    kind: str
    target: str
    shown: str
    """The URL as messages show it (password hidden)."""


def parse_store_url(url: str | None) -> StoreLocation:
    """The store that `url` names (see the module's table). ValueError, in one line, for a URL it cannot use."""
    text = (url or "").strip()
    if not text:
        return StoreLocation("sqlite", DEFAULT_SQLITE_PATH, f"sqlite:///{DEFAULT_SQLITE_PATH}")
    shown = hide_password(text)
    if text.lower() == "off":
        return StoreLocation("off", "", "off")
    scheme = text.split(":", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) else ""
    if scheme == "sqlite":
        if not text.lower().startswith("sqlite:///"):
            raise ValueError(f"the store URL {shown!r} is not sqlite:///<path> (three slashes, then a relative "
                             "path; four for an absolute one)")
        path = text[len("sqlite:///"):].split("?", 1)[0]
        if not path or path == ":memory:" or path.endswith("/"):
            raise ValueError(f"the store URL {shown!r} names no SQLite file (an in-memory database cannot be shared "
                             "by the writer and the readers: name a file, or use off)")
        return StoreLocation("sqlite", path, shown)
    if scheme in ("postgresql", "postgres"):
        parts = urlsplit(text)
        try:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise ValueError(f"the store URL {shown!r} has a port that is not a number") from None
        try:
            from psycopg.conninfo import conninfo_to_dict
        except ImportError:
            raise ValueError(f"the store URL {shown!r} needs psycopg, which is not installed "
                             "(pip install 'psycopg[binary]')") from None
        try:
            conninfo_to_dict(text)
        except Exception as exc:  # psycopg.ProgrammingError: libpq could not parse it
            raise ValueError(f"the store URL {shown!r} is not a valid PostgreSQL URL "
                             f"({_one_line(exc, hide=text)})") from None
        return StoreLocation("postgresql", text, shown)
    raise ValueError(f"the store URL {shown!r} is none of off, sqlite:///<path> and postgresql://"
                     "user@host:port/database")


def _one_line(exc: BaseException, hide: str = "") -> str:
    """The first line of an exception's message (its type when it has none), never showing `hide`."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if hide:
        text = text.replace(hide, hide_password(hide))
    return text


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=_fallback)


def _fallback(value: Any) -> Any:
    """numpy's scalars and arrays (`.tolist()`), else the value's text: the store keeps what it can."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else str(value)


# ---- the databases ------------------------------------------------------------------------------------------

EncodedRow = tuple[str, float, str | None, str]
EncodedItem = tuple[str, str, float]


class _Backend(Protocol):
    kind: str

    def connect(self) -> Any: ...
    def migrate(self, conn: Any) -> None: ...
    def write_predictions(self, conn: Any, rows: Sequence[EncodedRow]) -> None: ...
    def write_feedback(self, conn: Any, items: Sequence[EncodedItem]) -> tuple[set[str], set[str]]: ...
    def prune(self, conn: Any, max_rows: int, cutoff: float | None, orphan_cutoff: float) -> int: ...
    def ping(self, conn: Any) -> None: ...
    def labelled(self, size: int, min_time: float | None) -> list[tuple[str, str]]: ...
    def known(self, ids: Sequence[str]) -> set[str]: ...
    def is_connection_error(self, exc: BaseException) -> bool: ...
    def close_reader(self) -> None: ...


def _tables(double: str) -> list[str]:
    return [
        (f"CREATE TABLE IF NOT EXISTS predictions (id TEXT PRIMARY KEY, time {double} NOT NULL, inputs TEXT NULL, "
         "output TEXT NOT NULL)"),
        "CREATE INDEX IF NOT EXISTS predictions_time ON predictions (time, id)",
        f"CREATE TABLE IF NOT EXISTS feedback (id TEXT PRIMARY KEY, outcome TEXT NOT NULL, time {double} NOT NULL)",
        "CREATE INDEX IF NOT EXISTS feedback_time ON feedback (time)",
    ]


MIGRATIONS: dict[int, list[str]] = {1: _tables("DOUBLE PRECISION")}
"""The statements that bring the schema from the version before to each version (all idempotent)."""


def _chunks(items: Sequence[str], size: int = _IN_CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _SQLite:
    kind = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path

    def connect(self) -> sqlite3.Connection:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=SQLITE_BUSY_SECONDS, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _transaction(self, conn: sqlite3.Connection, work: Callable[[], Any]) -> Any:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work()
            conn.execute("COMMIT")
            return result
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise

    def migrate(self, conn: sqlite3.Connection) -> None:
        def work() -> None:
            _migrate(lambda sql, *args: conn.execute(sql, *args).fetchone(), "?")

        self._transaction(conn, work)

    def write_predictions(self, conn: sqlite3.Connection, rows: Sequence[EncodedRow]) -> None:
        self._transaction(conn, lambda: conn.executemany(
            "INSERT INTO predictions (id, time, inputs, output) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING", rows))

    def write_feedback(self, conn: sqlite3.Connection, items: Sequence[EncodedItem]) -> tuple[set[str], set[str]]:
        def work() -> tuple[set[str], set[str]]:
            ids = [item[0] for item in items]
            labelled = self._existing(conn, "feedback", ids)
            new = [item for item in items if item[0] not in labelled]
            conn.executemany("INSERT INTO feedback (id, outcome, time) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
                             new)
            inserted = [item[0] for item in new]
            return set(inserted), self._existing(conn, "predictions", inserted)

        result: tuple[set[str], set[str]] = self._transaction(conn, work)
        return result

    @staticmethod
    def _existing(conn: sqlite3.Connection, table: str, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            found.update(row[0] for row in conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk))
        return found

    def prune(self, conn: sqlite3.Connection, max_rows: int, cutoff: float | None, orphan_cutoff: float) -> int:
        def work() -> int:
            deleted = 0
            if cutoff is not None:
                conn.execute("DELETE FROM feedback WHERE id IN (SELECT id FROM predictions WHERE time < ?)", (cutoff,))
                deleted += conn.execute("DELETE FROM predictions WHERE time < ?", (cutoff,)).rowcount
            edge = conn.execute("SELECT time, id FROM predictions ORDER BY time DESC, id DESC LIMIT 1 OFFSET ?",
                                (max_rows,)).fetchone()
            if edge is not None:  # the newest of the rows beyond max_rows: it and all older go
                older = "time < ? OR (time = ? AND id <= ?)"
                conn.execute(f"DELETE FROM feedback WHERE id IN (SELECT id FROM predictions WHERE {older})",
                             (edge[0], edge[0], edge[1]))
                deleted += conn.execute(f"DELETE FROM predictions WHERE {older}", (edge[0], edge[0], edge[1])).rowcount
            conn.execute("DELETE FROM feedback WHERE time < ? AND NOT EXISTS "
                         "(SELECT 1 FROM predictions WHERE predictions.id = feedback.id)", (orphan_cutoff,))
            return deleted

        result: int = self._transaction(conn, work)
        return result

    def ping(self, conn: sqlite3.Connection) -> None:
        conn.execute("SELECT 1 FROM schema_version LIMIT 1").fetchall()

    def _read(self, read: Callable[[sqlite3.Connection], Any]) -> Any:
        if not Path(self.path).is_file():
            raise StoreUnavailable(f"the SQLite store {self.path} does not exist (yet)")
        try:
            conn = sqlite3.connect(self.path, timeout=SQLITE_BUSY_SECONDS)
            try:
                return read(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot read the SQLite store {self.path}: {_one_line(exc)}") from None

    def labelled(self, size: int, min_time: float | None) -> list[tuple[str, str]]:
        query, parameters = _labelled_query(size, min_time)
        rows: list[tuple[str, str]] = self._read(
            lambda conn: [(row[0], row[1]) for row in conn.execute(query.replace("%s", "?"), parameters)])
        return rows

    def known(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = self._read(lambda conn: self._existing(conn, "predictions", ids))
        return found

    def is_connection_error(self, exc: BaseException) -> bool:
        return isinstance(exc, (sqlite3.OperationalError, OSError))

    def close_reader(self) -> None:
        pass


def _labelled_query(size: int, min_time: float | None) -> tuple[str, tuple[Any, ...]]:
    """The query of `labelled()` (`%s` placeholders) and its parameters."""
    where = "" if min_time is None else " WHERE p.time >= %s"
    parameters = (size,) if min_time is None else (min_time, size)
    query = (f"SELECT p.output, f.outcome FROM predictions p JOIN feedback f ON f.id = p.id{where} "
             "ORDER BY p.time DESC, p.id DESC LIMIT %s")
    return query, parameters


def _migrate(run: Callable[..., Any], placeholder: str) -> None:
    """Bring the schema to SCHEMA_VERSION inside the caller's transaction. ``run(sql, parameters?)`` executes
    one statement and returns its first row (None for a statement without rows)."""
    run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    current = run("SELECT MAX(version) FROM schema_version")[0] or 0
    _check_version(current)
    for version in range(current + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[version]:
            run(statement)
        run(f"INSERT INTO schema_version (version) VALUES ({placeholder})", (version,))


def _check_version(current: int) -> None:
    if current > SCHEMA_VERSION:
        raise _SchemaTooNew(f"the store's schema is version {current}, newer than this service's "
                            f"({SCHEMA_VERSION}): a newer service migrated it")


class _SchemaTooNew(Exception):
    pass


class _Postgres:
    kind = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        self.psycopg = psycopg
        given = conninfo_to_dict(url)
        extra: dict[str, Any] = {"application_name": "nb2prod-store"}
        if "connect_timeout" not in given:
            extra["connect_timeout"] = CONNECT_TIMEOUT
        extra = {key: value for key, value in extra.items() if key not in given}
        self.url = url
        self.conninfo = make_conninfo(url, **extra)
        self.reader: Any = None
        self.reader_lock = threading.Lock()

    def connect(self) -> Any:
        return self.psycopg.connect(self.conninfo, autocommit=False)

    def _transaction(self, conn: Any, work: Callable[[Any], Any]) -> Any:
        try:
            with conn.cursor() as cursor:
                result = work(cursor)
            conn.commit()
            return result
        except BaseException:
            with contextlib.suppress(Exception):  # a broken connection: the caller drops it
                conn.rollback()
            raise

    def migrate(self, conn: Any) -> None:
        def work(cursor: Any) -> None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK,))  # replicas starting at once wait

            def run(sql: str, *args: Any) -> Any:
                cursor.execute(sql, *args)
                return cursor.fetchone() if cursor.description else None

            _migrate(run, "%s")

        self._transaction(conn, work)

    def write_predictions(self, conn: Any, rows: Sequence[EncodedRow]) -> None:
        columns = [list(column) for column in zip(*rows, strict=True)]
        self._transaction(conn, lambda cursor: cursor.execute(
            "INSERT INTO predictions (id, time, inputs, output) SELECT * FROM "
            "unnest(%s::text[], %s::double precision[], %s::text[], %s::text[]) ON CONFLICT (id) DO NOTHING", columns))

    def write_feedback(self, conn: Any, items: Sequence[EncodedItem]) -> tuple[set[str], set[str]]:
        def work(cursor: Any) -> tuple[set[str], set[str]]:
            cursor.execute("INSERT INTO feedback (id, outcome, time) SELECT * FROM "
                           "unnest(%s::text[], %s::text[], %s::double precision[]) ON CONFLICT (id) DO NOTHING "
                           "RETURNING id", [list(column) for column in zip(*items, strict=True)])
            inserted = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT id FROM predictions WHERE id = ANY(%s)", (inserted,))
            return set(inserted), {row[0] for row in cursor.fetchall()}

        result: tuple[set[str], set[str]] = self._transaction(conn, work)
        return result

    def prune(self, conn: Any, max_rows: int, cutoff: float | None, orphan_cutoff: float) -> int:
        def work(cursor: Any) -> int:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (ADVISORY_LOCK,))
            if not cursor.fetchone()[0]:  # another replica prunes (or migrates) right now
                return 0
            deleted = 0
            if cutoff is not None:
                cursor.execute("DELETE FROM feedback WHERE id IN (SELECT id FROM predictions WHERE time < %s)",
                               (cutoff,))
                cursor.execute("DELETE FROM predictions WHERE time < %s", (cutoff,))
                deleted += cursor.rowcount
            cursor.execute("SELECT time, id FROM predictions ORDER BY time DESC, id DESC LIMIT 1 OFFSET %s",
                           (max_rows,))
            edge = cursor.fetchone()
            if edge is not None:
                older = "time < %s OR (time = %s AND id <= %s)"
                cursor.execute(f"DELETE FROM feedback WHERE id IN (SELECT id FROM predictions WHERE {older})",
                               (edge[0], edge[0], edge[1]))
                cursor.execute(f"DELETE FROM predictions WHERE {older}", (edge[0], edge[0], edge[1]))
                deleted += cursor.rowcount
            cursor.execute("DELETE FROM feedback WHERE time < %s AND NOT EXISTS "
                           "(SELECT 1 FROM predictions WHERE predictions.id = feedback.id)", (orphan_cutoff,))
            return deleted

        result: int = self._transaction(conn, work)
        return result

    def ping(self, conn: Any) -> None:
        self._transaction(conn, lambda cursor: cursor.execute("SELECT 1"))

    def _read(self, query: str, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.reader_lock:
            for attempt in (1, 2):  # a kept connection the server dropped (a restart) gets one fresh try
                fresh = self.reader is None
                try:
                    if self.reader is None:
                        self.reader = self.psycopg.connect(self.conninfo, autocommit=True)
                    with self.reader.cursor() as cursor:
                        cursor.execute(query, parameters)
                        return [tuple(row) for row in cursor.fetchall()]
                except self.psycopg.Error as exc:
                    self.close_reader()
                    if fresh or attempt == 2 or not self.is_connection_error(exc):
                        reason = f"cannot read the PostgreSQL store: {_one_line(exc, self.url)}"
                        raise StoreUnavailable(reason) from None
        raise AssertionError("unreachable")

    def labelled(self, size: int, min_time: float | None) -> list[tuple[str, str]]:
        return [(row[0], row[1]) for row in self._read(*_labelled_query(size, min_time))]

    def known(self, ids: Sequence[str]) -> set[str]:
        return {row[0] for row in self._read("SELECT id FROM predictions WHERE id = ANY(%s)", (list(ids),))}

    def is_connection_error(self, exc: BaseException) -> bool:
        errors = self.psycopg
        return isinstance(exc, (errors.OperationalError, errors.InterfaceError, OSError)) or (
            isinstance(exc, errors.Error) and getattr(exc, "sqlstate", None) is None)

    def close_reader(self) -> None:
        if self.reader is not None:
            with contextlib.suppress(Exception):
                self.reader.close()
            self.reader = None


# ---- the store ----------------------------------------------------------------------------------------------


class _Job:
    """Work the writer does for a caller that waits: after the `target`-th queued prediction is written."""

    def __init__(self, work: Callable[[Any], Any], target: int) -> None:
        self.work = work
        self.target = target
        self.started = False
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.set()


class PredictionStore:
    """The store of one service process (see the module's documentation); `open_store` builds it."""

    def __init__(
        self,
        backend: _Backend | None,
        *,
        max_rows: int,
        max_age_seconds: float | None,
        queue_size: int,
        shown: str = "off",
        prune_seconds: float = 60.0,
        retry_seconds: float = 5.0,
        flush_timeout: float = 10.0,
        logger: logging.Logger | None = None,
    ) -> None:
        if max_rows < 1 or queue_size < 1:
            raise ValueError(f"the store needs max_rows and queue_size of at least 1, not {max_rows} and {queue_size}")
        if max_age_seconds is not None and not 0 < max_age_seconds < math.inf:
            raise ValueError(f"the store's maximum age must be a positive number of seconds, not {max_age_seconds}")
        self.backend = backend
        self.kind = backend.kind if backend is not None else "off"
        self.location = shown
        self.max_rows, self.max_age, self.queue_size = max_rows, max_age_seconds, queue_size
        self.prune_seconds, self.retry_seconds, self.flush_timeout = prune_seconds, retry_seconds, flush_timeout
        self.prune_rows = max(1, max_rows // 10)
        self.logger = logger or logging.getLogger(__name__)
        self._cond = threading.Condition(threading.Lock())
        self._pending: deque[PredictionRecord] = deque()
        self._pending_since = 0.0
        self._inflight: list[PredictionRecord] = []
        self._jobs: deque[_Job] = deque()
        self._enqueued = self._committed = self._dropped = self._written = 0
        self._up = backend is None
        self._reason = "" if backend is None else "not started"
        self._thread: threading.Thread | None = None
        self._started = threading.Event()  # the writer's first connection attempt is over
        self._stopping = False
        self._closed = False
        self._stop_deadline = math.inf
        self._retry_at = 0.0
        self._backoff = RETRY_FIRST_SECONDS
        self._next_prune = self._next_ping = 0.0
        self._written_since_prune = 0

    # -- the interface

    def start(self) -> None:
        """Start the writer, which connects and runs the migrations; waits for its first attempt (bounded)."""
        if self.backend is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"{self.kind}-store-writer", daemon=True)
        self._thread.start()
        self._started.wait(CONNECT_TIMEOUT + SQLITE_BUSY_SECONDS + 1.0)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (for at most `timeout` seconds while the database answers) and stop the writer;
        rows left unwritten are counted as dropped."""
        with self._cond:
            if self._closed:
                return
            self._closed = self._stopping = True
            self._stop_deadline = time.monotonic() + timeout
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout + 1.0)
        with self._cond:
            left = len(self._pending) + len(self._inflight)
            if left and (self._thread is None or not self._thread.is_alive()):
                self._dropped += left
                self._pending.clear()
                self._inflight.clear()
            jobs, self._jobs = list(self._jobs), deque()
        for job in jobs:
            job.finish(error=StoreUnavailable("the store is closed"))
        if self.backend is not None:
            self.backend.close_reader()

    def record_predictions(self, rows: list[PredictionRecord]) -> None:
        """Queue `rows` for the writer; never blocks on the database, never raises. Rows that do not fit in
        the queue (or come after close) are dropped and counted."""
        if self.backend is None or not rows:
            return
        with self._cond:
            if self._closed:
                self._dropped += len(rows)
                return
            room = self.queue_size - len(self._pending) - len(self._inflight)
            taken = rows if len(rows) <= room else rows[: max(room, 0)]
            self._dropped += len(rows) - len(taken)
            if not taken:
                return
            was_empty = not self._pending
            if was_empty:
                self._pending_since = time.monotonic()
            self._pending.extend(taken)
            self._enqueued += len(taken)
            if was_empty or len(self._pending) >= BATCH_ROWS:
                self._cond.notify_all()

    def record_feedback(self, items: list[FeedbackItem]) -> FeedbackResult:
        """Store the outcomes of `items` (after every prediction queued so far is written), the first one of
        an id kept; see the module's documentation for what is counted. Raises StoreUnavailable."""
        seen: set[str] = set()
        unique, repeated = [], []
        for item in items:
            if item.id in seen:
                repeated.append(item.id)
            else:
                seen.add(item.id)
                unique.append(item)
        if self.backend is None:
            return FeedbackResult(0, [item.id for item in unique], repeated)
        if not unique:
            return FeedbackResult(0, [], repeated)
        encoded = [(item.id, _json(item.outcome), float(item.time)) for item in unique]
        backend = self.backend
        inserted, known = self._submit(lambda conn: backend.write_feedback(conn, encoded))
        ids = [item.id for item in unique]
        late = [id_ for id_ in ids if id_ in inserted and id_ not in known]
        if late:
            time.sleep(RECHECK_SECONDS)
            try:
                known = known | backend.known(late)
            except StoreUnavailable:
                pass  # the outcomes are stored: they stay counted as unknown
        return FeedbackResult(
            matched=sum(1 for id_ in ids if id_ in inserted and id_ in known),
            unknown=[id_ for id_ in ids if id_ in inserted and id_ not in known],
            duplicates=[id_ for id_ in ids if id_ not in inserted] + repeated,
        )

    def labelled(self, size: int, max_age_seconds: float | None) -> list[tuple[Any, Any]]:
        """The newest `size` predictions that have an outcome (made within `max_age_seconds`), newest first,
        as (prediction, outcome) pairs. Raises StoreUnavailable."""
        if self.backend is None or size < 1:
            return []
        if self._thread is None:
            raise StoreUnavailable("the store is not started")
        min_time = None if max_age_seconds is None else time.time() - max_age_seconds
        return [(json.loads(output), json.loads(outcome)) for output, outcome in self.backend.labelled(size, min_time)]

    def status(self) -> StoreStatus:
        with self._cond:
            return StoreStatus(kind=self.kind, up=self._up, reason=self._reason,
                               queued=len(self._pending) + len(self._inflight), dropped=self._dropped,
                               written=self._written)

    def prune(self) -> int:
        """Prune now (the writer does it on its own every `prune_seconds`); the predictions deleted.
        Raises StoreUnavailable."""
        if self.backend is None:
            return 0
        backend = self.backend
        max_rows, max_age = self.max_rows, self.max_age

        def work(conn: Any) -> int:
            now = time.time()
            return backend.prune(conn, max_rows, None if max_age is None else now - max_age, now - ORPHAN_SECONDS)

        deleted: int = self._submit(work)
        return deleted

    # -- the caller's side of a job

    def _submit(self, work: Callable[[Any], Any]) -> Any:
        with self._cond:
            if self._closed or self._thread is None:
                raise StoreUnavailable("the store is closed" if self._closed else "the store is not started")
            job = _Job(work, self._enqueued)
            self._jobs.append(job)
            self._cond.notify_all()
        if not job.done.wait(self.flush_timeout):
            with self._cond:
                if not job.started:
                    self._jobs.remove(job)
                    ahead = len(self._pending) + len(self._inflight)
                    raise StoreUnavailable(f"the store did not answer within {self.flush_timeout:g} s "
                                           f"({ahead} writes queued)")
            if not job.done.wait(self.flush_timeout):
                raise StoreUnavailable(f"the store did not answer within {2 * self.flush_timeout:g} s")
        if job.error is not None:
            raise job.error
        return job.result

    # -- the writer

    def _run(self) -> None:
        assert self.backend is not None
        backend = self.backend
        conn: Any = None
        try:
            while True:
                task = self._next_task(conn is not None)
                if task is None:
                    return
                if conn is None:
                    conn = self._connect(backend)
                    continue
                try:
                    self._do(task, backend, conn)
                except Exception as exc:
                    if not backend.is_connection_error(exc) and not isinstance(exc, _SchemaTooNew):
                        self._failed_not_down(task, exc)
                        continue
                    self._close_quietly(conn)
                    conn = None
                    self._went_down(f"writes to the {NAMES[self.kind]} store failed: {_one_line(exc, self._hide())}",
                                    task if isinstance(task, _Job) else None)
        finally:
            self._close_quietly(conn)
            self._started.set()

    def _hide(self) -> str:
        return getattr(self.backend, "url", "")

    def _next_task(self, connected: bool) -> _Job | str | None:
        """What the writer does next (waiting until there is something): None to stop, "connect", a job,
        "write" (the rows in `_inflight`), "prune" or "ping"."""
        with self._cond:
            while True:
                now = time.monotonic()
                if self._stopping and (now >= self._stop_deadline or not connected
                                       or not (self._pending or self._inflight or self._jobs)):
                    return None
                if not connected:
                    if self._jobs or now >= self._retry_at:
                        return "connect"
                    self._cond.wait(self._retry_at - now)
                    continue
                if self._jobs and self._jobs[0].target <= self._committed:
                    job = self._jobs.popleft()
                    job.started = True
                    return job
                if self._inflight:
                    return "write"
                if self._pending:
                    linger = self._pending_since + LINGER_SECONDS - now
                    if linger > 0 and not (self._stopping or self._jobs or len(self._pending) >= BATCH_ROWS):
                        self._cond.wait(linger)
                        continue
                    self._inflight = [self._pending.popleft() for _ in range(min(BATCH_ROWS, len(self._pending)))]
                    self._pending_since = now
                    return "write"
                if now >= self._next_prune or self._written_since_prune >= self.prune_rows:
                    return "prune"
                if now >= self._next_ping:
                    return "ping"
                self._cond.wait(min(self._next_prune, self._next_ping) - now)

    def _connect(self, backend: _Backend) -> Any:
        conn = None
        try:
            conn = backend.connect()
            backend.migrate(conn)
        except Exception as exc:
            self._close_quietly(conn)
            where = getattr(backend, "path", None) or hide_password(self._hide())
            self._went_down(f"cannot reach the {NAMES[self.kind]} store {where}: {_one_line(exc, self._hide())}", None,
                            fail_jobs=True)
            self._started.set()
            return None
        with self._cond:
            if not self._up:
                if self._reason != "not started":
                    self.logger.warning("the prediction store is back up (%s)", self.location)
                self._up, self._reason = True, ""
            self._backoff = RETRY_FIRST_SECONDS
            now = time.monotonic()
            self._next_ping = now + PING_SECONDS
            self._next_prune = now  # prune once after connecting
            self._cond.notify_all()
        self._started.set()
        return conn

    def _went_down(self, reason: str, job: _Job | None, fail_jobs: bool = False) -> None:
        with self._cond:
            if self._up or self._reason != reason:
                self.logger.error("the prediction store is down: %s", reason)
            self._up, self._reason = False, reason
            self._retry_at = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, self.retry_seconds)
            failed = list(self._jobs) if fail_jobs else []
            if fail_jobs:
                self._jobs.clear()
            self._cond.notify_all()
        for waiting in ([job] if job is not None else []) + failed:
            waiting.finish(error=StoreUnavailable(reason))

    def _failed_not_down(self, task: _Job | str, exc: Exception) -> None:
        """An error that is not the database going away: the rows or the job that caused it are given up."""
        if isinstance(task, _Job):
            task.finish(error=exc)
            return
        with self._cond:
            if task == "write":
                self.logger.error("dropped %d predictions the store refused: %s", len(self._inflight), _one_line(exc))
                self._dropped += len(self._inflight)
                self._committed += len(self._inflight)
                self._inflight = []
            elif task == "prune":
                self.logger.warning("pruning the store failed: %s", _one_line(exc))
                self._next_prune = time.monotonic() + self.prune_seconds
                self._written_since_prune = 0
            self._cond.notify_all()

    def _do(self, task: _Job | str, backend: _Backend, conn: Any) -> None:
        if isinstance(task, _Job):
            try:
                result = task.work(conn)
            except Exception as exc:
                if backend.is_connection_error(exc):
                    raise
                task.finish(error=exc)
            else:
                task.finish(result)
            return
        if task == "write":
            with self._cond:
                rows = list(self._inflight)
            encoded = []
            for row in rows:
                try:
                    encoded.append((str(row.id), float(row.time), None if row.inputs is None else _json(row.inputs),
                                    _json(row.output)))
                except (TypeError, ValueError, RecursionError) as exc:
                    self.logger.error("dropped prediction %s, which the store cannot encode: %s", row.id,
                                      _one_line(exc))
                    with self._cond:
                        self._dropped += 1
            if encoded:
                backend.write_predictions(conn, encoded)
            with self._cond:
                self._written += len(encoded)
                self._written_since_prune += len(encoded)
                self._committed += len(rows)
                self._inflight = []
                self._next_ping = time.monotonic() + PING_SECONDS
                self._cond.notify_all()
        elif task == "prune":
            now = time.time()
            deleted = backend.prune(conn, self.max_rows, None if self.max_age is None else now - self.max_age,
                                    now - ORPHAN_SECONDS)
            if deleted:
                self.logger.info("pruned %d predictions from the store", deleted)
            with self._cond:
                self._next_prune = time.monotonic() + self.prune_seconds
                self._written_since_prune = 0
        else:
            backend.ping(conn)
            with self._cond:
                self._next_ping = time.monotonic() + PING_SECONDS

    @staticmethod
    def _close_quietly(conn: Any) -> None:
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def open_store(
    url: str | None,
    *,
    max_rows: int,
    max_age_seconds: float | None,
    queue_size: int,
    prune_seconds: float = 60.0,
    retry_seconds: float = 5.0,
    flush_timeout: float = 10.0,
    logger: logging.Logger | None = None,
) -> PredictionStore:
    """The store `url` names (see the module's table), not started yet: call `start()`. ValueError for a URL
    it cannot use or bounds out of range."""
    location = parse_store_url(url)
    backend: _Backend | None
    if location.kind == "off":
        backend = None
    elif location.kind == "sqlite":
        backend = _SQLite(location.target)
    else:
        backend = _Postgres(location.target)
    return PredictionStore(backend, max_rows=max_rows, max_age_seconds=max_age_seconds, queue_size=queue_size,
                           shown=location.shown, prune_seconds=prune_seconds, retry_seconds=retry_seconds,
                           flush_timeout=flush_timeout, logger=logger)
