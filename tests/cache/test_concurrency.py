"""Two processes writing one cache at once: both finish, nothing is lost, the file is sound."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from runs_tui.cache import Cache
from runs_tui.models import RunFilter, TimePreset, TimeRange
from tests.cache.factories import NOW, make_runs, page

PAGES = 30
PER_PAGE = 40


def _writer(path: str, prefix: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    runs = [r.model_copy(update={"id": f"{prefix}-{r.id}"}) for r in make_runs(PAGES * PER_PAGE)]
    with Cache.open(Path(path)) as cache:
        barrier.wait()
        for n in range(PAGES):
            cache.apply_changes(page(runs[n * PER_PAGE : (n + 1) * PER_PAGE], n))
            cache.record_sync_success(NOW)
            cache.count(RunFilter(), NOW)


def test_two_processes_apply_pages_to_one_cache_at_once(cache_file: Path) -> None:
    Cache.open(cache_file).close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=_writer, args=(str(cache_file), name, barrier))
        for name in ("left", "right")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=90)
    assert [w.exitcode for w in workers] == [0, 0]
    with Cache.open(cache_file) as cache:
        assert cache.count(RunFilter(time=TimeRange(TimePreset.ALL)), NOW) == 2 * PAGES * PER_PAGE
    conn = sqlite3.connect(cache_file)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counted = conn.execute("SELECT sum(n) FROM run_totals_hourly").fetchone()[0]
    assert counted == conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    conn.close()
