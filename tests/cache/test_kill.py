"""kill -9 in the middle of applying pages: the cache stays sound and matches its cursor."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path

from runs_tui.cache import Cache
from runs_tui.models import RunFilter, TimePreset, TimeRange
from tests.cache.factories import NOW, make_runs, page

PER_PAGE = 200


def _apply_forever(path: str, ready: multiprocessing.synchronize.Event) -> None:
    template = make_runs(PER_PAGE)
    with Cache.open(Path(path)) as cache:
        for number in range(1, 10_000):
            runs = [
                r.model_copy(update={"id": f"p{number}-{r.id}", "seq": number}) for r in template
            ]
            cache.apply_changes(page(runs, number, deleted=[f"p{number - 1}-{template[0].id}"]))
            ready.set()


def test_a_killed_writer_leaves_exactly_the_committed_pages(cache_file: Path) -> None:
    Cache.open(cache_file).close()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    writer = context.Process(target=_apply_forever, args=(str(cache_file), ready))
    writer.start()
    assert ready.wait(60)
    time.sleep(0.3)  # let it get well into later pages
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGKILL)
    writer.join(10)
    with Cache.open(cache_file) as cache:
        cursor = cache.sync_state().cursor
        assert cursor is not None and cursor >= 1
        everything = RunFilter(time=TimeRange(TimePreset.ALL))
        ids = [r.id for r in cache.iter_runs(everything, NOW)]
        assert len(ids) == cursor * PER_PAGE - (cursor - 1)  # one tombstone per later page
        assert {i.split("-", 1)[0] for i in ids} == {f"p{n}" for n in range(1, cursor + 1)}
        assert cache.count(everything, NOW) == len(ids)
    conn = sqlite3.connect(cache_file)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
