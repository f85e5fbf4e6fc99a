"""The background checkpointer copies the WAL into the database file off the writer's path."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from runs_tui.cache import Cache
from runs_tui.cache.checkpoint import CHANGES_PER_CHECKPOINT, FALLBACK_PAGES, Checkpointer
from tests.cache.factories import make_runs, page


def _writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # only the checkpointer copies
    conn.execute("CREATE TABLE blobs (data BLOB)")
    return conn


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_nudge_copies_committed_pages_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = _writer(path)
    conn.executemany("INSERT INTO blobs VALUES (?)", [(b"x" * 4096,) for _ in range(256)])
    assert path.stat().st_size < 100_000  # a megabyte, all of it still in the WAL
    checkpointer = Checkpointer(path)
    try:
        checkpointer.nudge()
        assert _wait_for(lambda: path.stat().st_size > 1_000_000)
    finally:
        checkpointer.close()
        conn.close()


def test_a_closed_checkpointer_stops_and_stays_stopped(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = _writer(path)
    checkpointer = Checkpointer(path)
    checkpointer.nudge()
    checkpointer.close()
    assert not checkpointer._thread.is_alive()  # type: ignore[union-attr]
    conn.executemany("INSERT INTO blobs VALUES (?)", [(b"x" * 4096,) for _ in range(64)])
    checkpointer.nudge()
    time.sleep(0.1)
    assert path.stat().st_size < 100_000
    assert not checkpointer._thread.is_alive()  # type: ignore[union-attr]
    conn.close()


def test_a_cache_writer_checkpoints_in_batches_of_rows_and_joins_its_thread(
    tmp_path: Path,
) -> None:
    cache = Cache.open(tmp_path / "checkpointed.sqlite3")
    autocheckpoint = cache._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert autocheckpoint == FALLBACK_PAGES
    for number in range(20):  # small commits, like an idle dashboard's polls
        cache.apply_changes(page(make_runs(2, seed=number), number + 1))
    assert not _thread_of("checkpointed.sqlite3")
    cache.apply_changes(page(make_runs(CHANGES_PER_CHECKPOINT), 100))  # a bulk-sized page
    assert _thread_of("checkpointed.sqlite3")
    cache.close()
    assert not _thread_of("checkpointed.sqlite3")


def test_a_cache_never_closed_still_ends_its_thread(tmp_path: Path) -> None:
    cache = Cache.open(tmp_path / "abandoned.sqlite3")
    cache.apply_changes(page(make_runs(CHANGES_PER_CHECKPOINT), 1))
    thread = _thread_of("abandoned.sqlite3")
    assert thread is not None
    del cache
    gc.collect()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_the_thread_never_creates_a_missing_database(tmp_path: Path) -> None:
    checkpointer = Checkpointer(tmp_path / "gone.sqlite3")
    checkpointer.nudge()
    checkpointer.close()
    assert not (tmp_path / "gone.sqlite3").exists()


def _thread_of(file_name: str) -> threading.Thread | None:
    return next((t for t in threading.enumerate() if t.name == f"checkpoint {file_name}"), None)
