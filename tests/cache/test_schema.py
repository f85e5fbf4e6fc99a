"""Opening caches: pragmas, schema version, rebuild of older caches, refusal of newer ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from runs_tui.cache import Cache, CacheTooNew
from runs_tui.cache.tables import SCHEMA_VERSION
from runs_tui.models import RunFilter, TimePreset, TimeRange
from tests.cache.factories import NOW, make_runs, page

ALL_TIME = RunFilter(time=TimeRange(TimePreset.ALL))


def _pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_a_new_cache_is_wal_with_the_current_version(cache: Cache, cache_file: Path) -> None:
    assert _pragma(cache_file, "journal_mode") == "wal"
    assert _pragma(cache_file, "user_version") == SCHEMA_VERSION
    assert cache._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_reopening_keeps_the_data(cache_file: Path) -> None:
    with Cache.open(cache_file) as cache:
        cache.apply_changes(page(make_runs(5), 5))
    with Cache.open(cache_file) as cache:
        assert cache.count(ALL_TIME, NOW) == 5
        assert cache.sync_state().cursor == 5


def test_an_older_cache_is_rebuilt_and_its_cursor_reset(cache_file: Path) -> None:
    with Cache.open(cache_file) as cache:
        cache.apply_changes(page(make_runs(5), 5))
    conn = sqlite3.connect(cache_file)
    conn.execute("PRAGMA user_version = 0")
    conn.execute("CREATE TABLE legacy_thing (x)")
    conn.commit()
    conn.close()
    with Cache.open(cache_file) as cache:
        assert cache.sync_state().cursor is None
        assert cache.count(ALL_TIME, NOW) == 0
        cache.apply_changes(page(make_runs(3), 3))
        assert cache.count(ALL_TIME, NOW) == 3
    assert _pragma(cache_file, "user_version") == SCHEMA_VERSION
    conn = sqlite3.connect(cache_file)
    leftover = conn.execute("SELECT name FROM sqlite_master WHERE name = 'legacy_thing'")
    assert leftover.fetchone() is None
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_foreign_sqlite_file_without_a_version_is_rebuilt(cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True)
    conn = sqlite3.connect(cache_file)
    conn.execute("CREATE TABLE runs (whatever)")
    conn.commit()
    conn.close()
    with Cache.open(cache_file) as cache:
        cache.apply_changes(page(make_runs(2), 2))
        assert cache.count(ALL_TIME, NOW) == 2


def test_a_newer_cache_is_refused_naming_file_and_versions(cache_file: Path) -> None:
    Cache.open(cache_file).close()
    conn = sqlite3.connect(cache_file)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.commit()
    conn.close()
    with pytest.raises(CacheTooNew) as caught:
        Cache.open(cache_file)
    message = str(caught.value)
    assert str(cache_file) in message
    assert str(SCHEMA_VERSION + 3) in message and str(SCHEMA_VERSION) in message
    assert caught.value.found == SCHEMA_VERSION + 3 and caught.value.supported == SCHEMA_VERSION
    assert _pragma(cache_file, "user_version") == SCHEMA_VERSION + 3  # left untouched


def test_a_file_that_is_not_a_database_is_moved_aside(cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"this is not sqlite at all" * 100)
    with Cache.open(cache_file) as cache:
        cache.apply_changes(page(make_runs(2), 2))
        assert cache.count(ALL_TIME, NOW) == 2
    assert cache_file.with_name(cache_file.name + ".corrupt").read_bytes().startswith(b"this is")


def test_the_big_write_cache_is_released_after_each_write(cache: Cache) -> None:
    cache.apply_changes(page(make_runs(3), 3))
    assert cache._conn.execute("PRAGMA cache_size").fetchone()[0] == -2000


def test_the_generated_ddl_is_that_of_the_declared_tables() -> None:
    """`schema_sql.py` is what `python -m runs_tui.cache.ddl` writes from `tables.py` today."""
    from runs_tui.cache import ddl

    assert ddl.GENERATED.read_text(encoding="utf-8") == ddl.render(ddl.compile_schema()), (
        "tables.py changed: regenerate with `.venv/bin/python -m runs_tui.cache.ddl`"
    )
