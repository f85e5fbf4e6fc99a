"""Bulk load (a first sync into an empty cache): staged pages, published at once, must end
exactly where applying the same pages one by one ends — rows, counts, name search — and
stay consistent when interrupted at any point."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from runs_tui.cache import Cache, bulk, writes
from runs_tui.cache.writes import COUNT_TABLES
from runs_tui.models import ChangesPage, RunFilter, StatusGroup, TimePreset, TimeRange
from tests.cache.factories import NOW, make_runs

EVERYTHING = RunFilter(time=TimeRange(TimePreset.ALL))
PER_PAGE = 40


def feed() -> list[ChangesPage]:
    """Pages as a server would send them during a first sync: some runs come twice (changed
    meanwhile), some are deleted after being sent, one predates 1970 (periods floor)."""
    runs = make_runs(200, seed=11)
    runs[5] = runs[5].model_copy(update={"created_at": datetime(1969, 12, 31, 22, 30, tzinfo=UTC)})
    pages = []
    for number, start in enumerate(range(0, len(runs), PER_PAGE), start=1):
        chunk = list(runs[start : start + PER_PAGE])
        deleted: list[str] = []
        if number > 1:  # a run of the previous page changed, and one was deleted
            earlier = runs[start - 3]
            chunk.append(earlier.model_copy(update={"name": "Renamed", "seq": 1000 + number}))
            deleted.append(runs[start - 7].id)
        pages.append(
            ChangesPage(changes=chunk, deleted=deleted, next_cursor=start + PER_PAGE, has_more=True)
        )
    pages[-1] = pages[-1].model_copy(update={"has_more": False})
    return pages


def snapshot(cache: Cache, path: Path) -> tuple[Any, ...]:
    """Everything the query side can tell apart, and the count tables themselves."""
    runs = sorted((r.model_dump() for r in cache.iter_runs(EVERYTHING, NOW)), key=str)
    searches = {
        text: sorted(r.id for r in cache.iter_runs(RunFilter(name=text, time=EVERYTHING.time), NOW))
        for text in ("renamed", "dis", "ü")
    }
    with sqlite3.connect(path) as conn:  # names, not name ids (handed out in write order)
        counts = {
            t.name: sorted(
                conn.execute(
                    f"SELECT period, status_rank, kind, n"
                    f"{', (SELECT name FROM run_names WHERE id = name_id)' if t.by_name else ''} "
                    f"FROM {t.name}"
                )
            )
            for t in COUNT_TABLES
        }
    return runs, searches, counts, cache.group_counts(EVERYTHING, NOW), cache.waiting_count()


def bulk_loaded(path: Path, pages: list[ChangesPage]) -> Cache:
    cache = Cache.open(path)
    assert cache.begin_bulk_load()
    for page in pages:
        cache.apply_changes(page)
    assert cache.finish_bulk_load() > 0
    return cache


def test_a_bulk_load_ends_where_page_by_page_ends(tmp_path: Path) -> None:
    with Cache.open(tmp_path / "one-by-one.sqlite3") as reference:
        for page in feed():
            reference.apply_changes(page)
        expected = snapshot(reference, tmp_path / "one-by-one.sqlite3")
    with bulk_loaded(tmp_path / "bulk.sqlite3", feed()) as cache:
        assert snapshot(cache, tmp_path / "bulk.sqlite3") == expected
        state = cache.sync_state()
        assert not state.bulk_loading and state.cursor == 200
        later = make_runs(3, seed=12)[0].model_copy(
            update={"id": "later", "seq": 5000, "name": "Brand new title"}
        )
        cache.apply_changes(
            ChangesPage(changes=[later], deleted=[], next_cursor=201, has_more=False)
        )  # back on the ordinary path
        assert cache.get_run("later") == later
        found = cache.iter_runs(RunFilter(name="NEW TIT", time=EVERYTHING.time), NOW)
        assert [run.id for run in found] == ["later"]  # the search index is fed again
    assert len(expected[0]) == 200 - 4  # four tombstones, the duplicates counted once


def test_queries_show_the_cache_as_before_until_the_load_is_published(cache: Cache) -> None:
    assert cache.begin_bulk_load()
    for page in feed()[:3]:
        cache.apply_changes(page)
    assert cache.sync_state().bulk_loading and cache.sync_state().cursor == 120
    assert cache.count(EVERYTHING, NOW) == 0
    assert cache.window(EVERYTHING, NOW, limit=10) == []
    assert cache.group_counts(EVERYTHING, NOW) == dict.fromkeys(StatusGroup, 0)
    assert cache.get_run(feed()[0].changes[0].id) is None
    cache.finish_bulk_load()
    assert cache.count(EVERYTHING, NOW) == len(list(cache.iter_runs(EVERYTHING, NOW))) > 100


def test_only_an_empty_cache_without_a_cursor_bulk_loads(cache: Cache) -> None:
    cache.apply_changes(feed()[0])
    assert not cache.begin_bulk_load()
    assert cache.finish_bulk_load() == 0


def test_a_publish_that_fails_midway_leaves_the_staged_load_to_publish_again(
    cache: Cache, cache_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = feed()
    cache.begin_bulk_load()
    for page in pages:
        cache.apply_changes(page)

    def crash(conn: sqlite3.Connection) -> None:
        raise RuntimeError("killed while building the count tables")

    monkeypatch.setattr(bulk, "_count_from_runs", crash)
    with pytest.raises(RuntimeError):
        cache.finish_bulk_load()
    assert cache.sync_state().bulk_loading and cache.count(EVERYTHING, NOW) == 0
    assert cache.window(EVERYTHING, NOW, limit=5) == []  # its indexes are all still there
    monkeypatch.undo()
    assert cache.finish_bulk_load() == 196
    with bulk_loaded(cache_file.with_name("again.sqlite3"), pages) as fresh:
        assert snapshot(cache, cache_file) == snapshot(fresh, cache_file.with_name("again.sqlite3"))


def test_a_cache_that_gained_rows_meanwhile_is_published_by_upsert(
    cache: Cache, cache_file: Path, tmp_path: Path
) -> None:
    """The safety net: if `runs` is not empty at the end, staged rows go through the
    ordinary upsert (sequence rules, counts) instead of replacing the table."""
    pages = feed()
    cache.begin_bulk_load()
    for page in pages[1:]:
        cache.apply_changes(page)
    first = pages[0]
    newer = first.changes[0].model_copy(update={"summary": "newest", "seq": 9000})
    cache._write(
        lambda conn: writes.upsert_runs(  # a write that bypassed staging
            conn, cache._names, [newer], writes.current_generation(conn)
        )
    )
    cache.apply_changes(first.model_copy(update={"next_cursor": 200}))
    cache.finish_bulk_load()
    assert cache.get_run(newer.id) == newer  # the staged older copy did not win
    with Cache.open(tmp_path / "ref.sqlite3") as reference:  # the same writes, in order
        reference.apply_changes(
            ChangesPage(changes=[newer], deleted=[], next_cursor=0, has_more=False)
        )
        for page in [*pages[1:], first.model_copy(update={"next_cursor": 200})]:
            reference.apply_changes(page)
        assert snapshot(cache, cache_file) == snapshot(reference, tmp_path / "ref.sqlite3")


def test_a_full_resync_during_a_load_drops_what_was_staged(cache: Cache) -> None:
    pages = feed()
    cache.begin_bulk_load()
    cache.apply_changes(pages[0])
    cache.begin_full_resync()
    cache.apply_changes(pages[1])
    cache.finish_bulk_load()
    cache.finish_full_resync()
    ids = {r.id for r in cache.iter_runs(EVERYTHING, NOW)}
    assert ids == {r.id for r in pages[1].changes} - set(pages[1].deleted)


def _stage_forever(path: str, ready: Any) -> None:
    template = make_runs(PER_PAGE, seed=5)
    with Cache.open(Path(path)) as cache:
        cache.begin_bulk_load()
        for number in range(1, 100_000):
            runs = [
                r.model_copy(update={"id": f"p{number}-{r.id}", "seq": number}) for r in template
            ]
            cache.apply_changes(
                ChangesPage(changes=runs, deleted=[], next_cursor=number, has_more=True)
            )
            ready.set()


def test_a_load_killed_mid_way_keeps_whole_pages_and_resumes(cache_file: Path) -> None:
    Cache.open(cache_file).close()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    writer = context.Process(target=_stage_forever, args=(str(cache_file), ready))
    writer.start()
    assert ready.wait(60)
    time.sleep(0.3)
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGKILL)
    writer.join(10)
    with sqlite3.connect(cache_file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        staged = conn.execute("SELECT count(*) FROM run_staging").fetchone()[0]
    with Cache.open(cache_file) as cache:
        state = cache.sync_state()
        assert state.bulk_loading and state.cursor is not None
        assert staged == state.cursor * PER_PAGE
        assert cache.count(EVERYTHING, NOW) == 0
        assert cache.begin_bulk_load()  # the next sync carries on staging
        cache.apply_changes(
            ChangesPage(changes=[], deleted=[], next_cursor=state.cursor + 1, has_more=False)
        )
        assert cache.finish_bulk_load() == staged
        assert cache.count(EVERYTHING, NOW) == staged
        prefixes = {r.id.split("-", 1)[0] for r in cache.iter_runs(EVERYTHING, NOW)}
        assert prefixes == {f"p{n}" for n in range(1, state.cursor + 1)}
    with sqlite3.connect(cache_file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
