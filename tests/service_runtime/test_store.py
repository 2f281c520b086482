"""nb2prod/service_runtime/store.py: the prediction store, on SQLite and on a real PostgreSQL (tests/_postgres.py).

The tests parametrized by `url` run on both; the PostgreSQL ones start a server (once per module, a fresh
database per test) and are marked slow. The store-down tests stop the server mid-test and start it again."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _postgres import PostgresServer, running_postgres

from nb2prod.service_runtime import store as store_module
from nb2prod.service_runtime.store import (
    DEFAULT_SQLITE_PATH,
    ORPHAN_SECONDS,
    FeedbackItem,
    PredictionRecord,
    PredictionStore,
    StoreUnavailable,
    open_store,
    parse_store_url,
)

Maker = Callable[..., PredictionStore]


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with running_postgres(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store/predictions.sqlite3"  # four slashes: an absolute path
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.fixture
def make_store() -> Iterator[Maker]:
    made: list[PredictionStore] = []

    def make(url: str | None, start: bool = True, **options: Any) -> PredictionStore:
        settings: dict[str, Any] = {"max_rows": 1000, "max_age_seconds": None, "queue_size": 1000,
                                    "retry_seconds": 0.5, **options}
        store = open_store(url, **settings)
        made.append(store)
        if start:
            store.start()
        return store

    yield make
    for store in made:
        store.close()


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    """`sql`'s rows, read straight from the store's database."""
    location = parse_store_url(url)
    if location.kind == "sqlite":
        conn = sqlite3.connect(location.target)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(location.target) as conn:
        return [tuple(row) for row in conn.execute(sql).fetchall()]


def predictions(prefix: str, count: int, start: float, step: float = 1.0, output: Any = None) -> list[PredictionRecord]:
    return [PredictionRecord(f"{prefix}{i}", start + i * step, {"x": i, "name": f"n{i}"},
                             i % 3 if output is None else output) for i in range(count)]


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# ---- URLs ---------------------------------------------------------------------------------------------------


def test_urls_name_the_store() -> None:
    for empty in (None, "", "  "):
        location = parse_store_url(empty)
        assert (location.kind, location.target) == ("sqlite", DEFAULT_SQLITE_PATH) == ("sqlite", "predictions.sqlite3")
    assert parse_store_url("off").kind == parse_store_url(" OFF ").kind == "off"
    assert parse_store_url("sqlite:///data/p.db").target == "data/p.db"
    assert parse_store_url("sqlite:////var/lib/p.db").target == "/var/lib/p.db"
    for url in ("postgresql://u:pw@db.example:5432/preds", "postgres://u@db/preds", "postgresql:///preds"):
        assert parse_store_url(url).kind == "postgresql"
    assert parse_store_url("postgresql://u:s3cret@db/preds").shown == "postgresql://u:***@db/preds"


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://u@db/preds", "none of off, sqlite:///<path> and postgresql://"),
    ("sqlite://p.db", "is not sqlite:///<path>"),
    ("sqlite:///", "names no SQLite file"),
    ("sqlite:///:memory:", "in-memory database cannot be shared"),
    ("postgresql://u:s3cret@db:port/preds", "has a port that is not a number"),
    ("postgresql://u:s3cret@db/preds?nosuchoption=1", "is not a valid PostgreSQL URL"),
    ("predictions.sqlite3", "none of off"),
])
def test_a_bad_url_is_a_one_line_value_error_naming_it(url: str, says: str) -> None:
    with pytest.raises(ValueError) as info:
        open_store(url, max_rows=10, max_age_seconds=None, queue_size=10)
    message = str(info.value)
    assert says in message and "\n" not in message
    assert "s3cret" not in message
    assert (url if "s3cret" not in url else url.replace("s3cret", "***")) in message


def test_the_default_is_a_sqlite_file_in_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_store: Maker) -> None:
    monkeypatch.chdir(tmp_path)
    store = make_store(None)
    assert store.status().kind == "sqlite" and store.status().up
    store.record_predictions(predictions("p", 3, time.time()))
    assert store.record_feedback([FeedbackItem("p0", 1, time.time())]).matched == 1
    assert (tmp_path / "predictions.sqlite3").is_file()


def test_bounds_out_of_range_are_refused() -> None:
    for bad in ({"max_rows": 0}, {"queue_size": 0}, {"max_age_seconds": 0.0}, {"max_age_seconds": float("inf")}):
        settings = {"max_rows": 10, "max_age_seconds": None, "queue_size": 10, **bad}
        with pytest.raises(ValueError):
            open_store("off", **settings)


# ---- predictions and feedback -------------------------------------------------------------------------------


def test_predictions_and_their_feedback(url: str, make_store: Maker) -> None:
    store = make_store(url)
    assert store.status().up and store.status().reason == ""
    now = time.time()
    store.record_predictions(predictions("p", 5, now - 10, output="cat"))
    store.record_predictions([PredictionRecord("n", now - 1, {"x": 1.5}, {"label": "dog", "p": [0.25, 0.75]})])
    # sent right after the predictions were queued: found all the same (the queue is written first);
    # out of order (p3 before p0), with an unknown id and an id twice in one call
    result = store.record_feedback([FeedbackItem("p3", "dog", now), FeedbackItem("p0", "cat", now),
                                    FeedbackItem("nope", "cat", now), FeedbackItem("p3", "cat", now),
                                    FeedbackItem("n", {"label": "cat"}, now)])
    assert (result.matched, result.unknown, result.duplicates) == (3, ["nope"], ["p3"])
    again = store.record_feedback([FeedbackItem("p0", "dog", now + 1), FeedbackItem("p1", "cat", now + 1)])
    assert (again.matched, again.unknown, again.duplicates) == (1, [], ["p0"])
    assert store.labelled(10, None) == [({"label": "dog", "p": [0.25, 0.75]}, {"label": "cat"}),
                                        ("cat", "dog"), ("cat", "cat"), ("cat", "cat")]  # n, p3, p1, p0: newest first
    assert store.labelled(1, None) == [({"label": "dog", "p": [0.25, 0.75]}, {"label": "cat"})]
    assert rows(url, "SELECT outcome FROM feedback WHERE id = 'p0'") == [('"cat"',)]  # the first outcome kept
    status = store.status()
    assert (status.written, status.queued, status.dropped) == (6, 0, 0)


def test_feedback_waits_for_the_predictions_queued_before_it(
        url: str, make_store: Maker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "LINGER_SECONDS", 30.0)  # the writer would hold the rows half a minute...
    monkeypatch.setattr(store_module, "RECHECK_SECONDS", 0.0)  # ... and no second look
    store = make_store(url)
    now = time.time()
    store.record_predictions(predictions("p", 3, now))
    began = time.monotonic()
    assert store.record_feedback([FeedbackItem("p2", 2, now)]).matched == 1  # written first, at once
    assert time.monotonic() - began < 5
    assert store.status().written == 3


def test_late_feedback_joins_a_prediction_stored_after_it(url: str, make_store: Maker) -> None:
    store = make_store(url)
    now = time.time()
    assert store.record_feedback([FeedbackItem("late", 2.5, now)]).unknown == ["late"]  # kept all the same
    assert store.labelled(10, None) == []
    store.record_predictions([PredictionRecord("late", now, None, 2.0)])
    wait_for(lambda: store.status().written == 1)
    assert store.labelled(10, None) == [(2.0, 2.5)]
    assert store.record_feedback([FeedbackItem("late", 3.0, now)]).duplicates == ["late"]


def test_a_prediction_id_given_twice_keeps_its_first_row(url: str, make_store: Maker) -> None:
    store = make_store(url)
    now = time.time()
    store.record_predictions([PredictionRecord("same", now, {"x": 1}, "first")])
    store.record_predictions([PredictionRecord("same", now + 1, {"x": 2}, "second")])
    assert store.record_feedback([FeedbackItem("same", "first", now)]).matched == 1
    assert store.labelled(5, None) == [("first", "first")]


def test_labelled_windows_by_size_and_age(url: str, make_store: Maker) -> None:
    store = make_store(url)
    now = time.time()
    store.record_predictions(predictions("p", 20, now - 1900, step=100))  # p19 is the newest: now - 0
    store.record_predictions(predictions("u", 5, now - 50, step=10))  # newer, but never labelled
    store.record_feedback([FeedbackItem(f"p{i}", i, now) for i in range(20)])
    newest = store.labelled(5, None)
    assert newest == [(i % 3, i) for i in (19, 18, 17, 16, 15)]
    assert store.labelled(100, 950) == [(i % 3, i) for i in range(19, 9, -1)]  # made within 950 s: p10 .. p19
    assert len(store.labelled(100, None)) == 20
    assert store.labelled(0, None) == []


def test_inputs_are_kept_unless_turned_off(url: str, make_store: Maker) -> None:
    store = make_store(url)
    now = time.time()
    store.record_predictions([PredictionRecord("kept", now, {"age": 41, "city": "Köln"}, 1),
                              PredictionRecord("private", now, None, 0)])
    store.record_feedback([FeedbackItem("kept", 1, now)])
    stored = dict(rows(url, "SELECT id, inputs FROM predictions"))
    assert stored == {"kept": '{"age":41,"city":"K\\u00f6ln"}', "private": None}


# ---- bounds ------------------------------------------------------------------------------------------------


def test_pruning_by_rows_and_age(url: str, make_store: Maker) -> None:
    store = make_store(url, max_rows=10, max_age_seconds=1000.0, prune_seconds=3600.0)
    store.prune_rows = 10**9  # only the explicit prune() below
    now = time.time()
    store.record_predictions(predictions("new", 15, now - 14))  # new14 is the newest
    store.record_predictions(predictions("old", 5, now - 5000))  # older than max_age
    store.record_feedback([FeedbackItem(name, 1, now) for name in ("new0", "new9", "new14", "old1")])
    store.record_feedback([FeedbackItem("orphan-new", 1, now), FeedbackItem("orphan-old", 1, now - 2 * ORPHAN_SECONDS)])
    assert store.prune() == 10  # the 5 old ones by age, new0 .. new4 beyond the newest 10
    kept = sorted(row[0] for row in rows(url, "SELECT id FROM predictions"))
    assert kept == sorted(f"new{i}" for i in range(5, 15))
    assert sorted(row[0] for row in rows(url, "SELECT id FROM feedback")) == ["new14", "new9", "orphan-new"]
    assert store.prune() == 0


def test_the_writer_prunes_on_its_own(url: str, make_store: Maker) -> None:
    store = make_store(url, max_rows=50, prune_seconds=0.2)
    now = time.time()
    for start in range(0, 300, 30):  # prunes when a tenth of max_rows was written, and every 0.2 s
        store.record_predictions(predictions(f"b{start}-", 30, now + start))
        time.sleep(0.02)
    wait_for(lambda: store.status().written == 300)
    wait_for(lambda: rows(url, "SELECT COUNT(*) FROM predictions")[0][0] == 50)
    assert rows(url, "SELECT MIN(time) FROM predictions")[0][0] == pytest.approx(now + 250, abs=1e-3)


def test_a_full_queue_drops_and_counts_and_never_blocks(tmp_path: Path, make_store: Maker) -> None:
    url = f"sqlite:///{tmp_path}/p.sqlite3"
    store = make_store(url, start=False, queue_size=100)  # not started: nothing leaves the queue
    now = time.time()
    took = []
    for start in range(0, 250, 50):
        began = time.perf_counter()
        store.record_predictions(predictions(f"b{start}-", 50, now + start))
        took.append(time.perf_counter() - began)
    status = store.status()
    assert (status.queued, status.dropped, status.written, status.up) == (100, 150, 0, False)
    assert status.reason == "not started"
    assert max(took) < 0.05
    store.start()
    wait_for(lambda: store.status().written == 100)
    assert store.status().queued == 0
    kept = {row[0] for row in rows(url, "SELECT id FROM predictions")}
    assert kept == {f"b{start}-{i}" for start in (0, 50) for i in range(50)}  # the first 100, in the queue


def test_close_writes_what_is_queued_and_then_keeps_nothing(tmp_path: Path, make_store: Maker) -> None:
    url = f"sqlite:///{tmp_path}/p.sqlite3"
    store = make_store(url, queue_size=5000)
    store.record_predictions(predictions("p", 2000, time.time()))
    store.close()
    assert store.status().written == 2000 and store.status().queued == 0
    store.record_predictions(predictions("q", 3, time.time()))
    assert store.status().dropped == 3
    with pytest.raises(StoreUnavailable, match="closed"):
        store.record_feedback([FeedbackItem("p0", 1, time.time())])
    assert rows(url, "SELECT COUNT(*) FROM predictions") == [(2000,)]


def test_the_off_store_keeps_nothing(make_store: Maker) -> None:
    store = make_store("off")
    store.record_predictions(predictions("p", 3, time.time()))
    result = store.record_feedback([FeedbackItem("p0", 1, time.time()), FeedbackItem("p0", 2, time.time())])
    assert (result.matched, result.unknown, result.duplicates) == (0, ["p0"], ["p0"])
    assert store.labelled(10, None) == [] and store.prune() == 0
    status = store.status()
    assert (status.kind, status.up, status.queued, status.dropped, status.written) == ("off", True, 0, 0, 0)


# ---- the database down ------------------------------------------------------------------------------------


def test_sqlite_that_cannot_be_opened_is_down_and_recovers(tmp_path: Path, make_store: Maker) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the store's folder should be", encoding="utf-8")
    store = make_store(f"sqlite:///{blocker}/p.sqlite3")
    status = store.status()
    assert not status.up and str(blocker) in status.reason and "\n" not in status.reason
    store.record_predictions(predictions("p", 10, time.time()))  # no error, kept in the queue
    assert store.status().queued == 10
    with pytest.raises(StoreUnavailable):
        store.record_feedback([FeedbackItem("p1", 1, time.time())])
    with pytest.raises(StoreUnavailable):
        store.labelled(10, None)
    blocker.unlink()
    wait_for(lambda: store.status().up and store.status().written == 10)
    assert store.record_feedback([FeedbackItem("p1", 1, time.time())]).matched == 1


@pytest.mark.slow
def test_postgresql_stopped_mid_test(tmp_path: Path, make_store: Maker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "PING_SECONDS", 0.5)
    with running_postgres(tmp_path) as server:
        store = make_store(server.url, queue_size=5000, max_rows=5000)
        now = time.time()
        store.record_predictions(predictions("before", 5, now - 100))
        assert store.record_feedback([FeedbackItem("before1", 1, now)]).matched == 1
        server.stop()
        wait_for(lambda: not store.status().up)  # noticed while idle, by the writer's ping
        took = []
        for start in range(0, 1000, 100):
            began = time.perf_counter()
            store.record_predictions(predictions(f"down{start}-", 100, now + start))
            took.append(time.perf_counter() - began)
        assert max(took) < 0.05, took
        wait_for(lambda: "Connection refused" in store.status().reason)  # the writer's retries, with backoff
        status = store.status()
        assert not status.up and "\n" not in status.reason and server.url in status.reason
        assert status.queued == 1000 and status.dropped == 0
        with pytest.raises(StoreUnavailable):
            store.record_feedback([FeedbackItem("down0-1", 1, now)])
        with pytest.raises(StoreUnavailable):
            store.labelled(10, None)
        server.start()
        wait_for(lambda: store.status().up and store.status().written == 1005)
        assert store.status().queued == 0 and store.status().reason == ""
        assert store.record_feedback([FeedbackItem("down0-1", 1, now), FeedbackItem("before2", 2, now)]).matched == 2
        assert store.labelled(10, None) == [(1, 1), (2, 2), (1, 1)]  # the reader reconnected too
        assert rows(server.url, "SELECT COUNT(*) FROM predictions") == [(1005,)]


@pytest.mark.slow
def test_two_replicas_share_one_postgresql(
        pg_server: PostgresServer, make_store: Maker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "RECHECK_SECONDS", 1.0)  # ample time for the other replica's queue
    url = pg_server.create_database()
    first, second = make_store(url), make_store(url)
    now = time.time()
    first.record_predictions(predictions("a", 3, now))
    second.record_predictions(predictions("b", 3, now + 10))
    # feedback for the first replica's predictions sent to the second, right away: found
    result = second.record_feedback([FeedbackItem("a0", 0, now), FeedbackItem("a1", 2, now)])
    assert (result.matched, result.unknown, result.duplicates) == (2, [], [])
    result = first.record_feedback([FeedbackItem("b2", 2, now), FeedbackItem("a1", 1, now)])
    assert (result.matched, result.unknown, result.duplicates) == (1, [], ["a1"])
    assert first.labelled(10, None) == second.labelled(10, None) == [(2, 2), (1, 2), (0, 0)]


def test_concurrent_starts_migrate_once_sqlite(tmp_path: Path, make_store: Maker) -> None:
    concurrent_starts(f"sqlite:///{tmp_path}/p.sqlite3", make_store)


@pytest.mark.slow
def test_concurrent_starts_migrate_once_postgresql(pg_server: PostgresServer, make_store: Maker) -> None:
    concurrent_starts(pg_server.create_database(), make_store)


def concurrent_starts(url: str, make_store: Maker) -> None:
    stores = [make_store(url, start=False) for _ in range(6)]
    barrier = threading.Barrier(len(stores))

    def start(store: PredictionStore) -> None:
        barrier.wait()
        store.start()

    threads = [threading.Thread(target=start, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [store.status().up for store in stores] == [True] * len(stores), [s.status().reason for s in stores]
    assert rows(url, "SELECT version FROM schema_version") == [(1,)]
    for number, store in enumerate(stores):
        store.record_predictions([PredictionRecord(f"r{number}", time.time(), None, number)])
    for store in stores:
        wait_for(lambda store=store: store.status().written == 1)  # type: ignore[misc]
    result = stores[0].record_feedback([FeedbackItem(f"r{n}", n, time.time()) for n in range(len(stores))])
    assert result.matched == len(stores)
    assert stores[1].labelled(2 * len(stores), None) and stores[0].start() is None  # a second start: nothing


def test_a_schema_newer_than_the_service_is_refused(tmp_path: Path, make_store: Maker) -> None:
    url = f"sqlite:///{tmp_path}/p.sqlite3"
    make_store(url).close()
    conn = sqlite3.connect(tmp_path / "p.sqlite3")
    conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    conn.commit()
    conn.close()
    status = make_store(url).status()
    assert not status.up and "schema is version 99, newer than this service's (1)" in status.reason
