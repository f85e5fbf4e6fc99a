"""Cache benchmark: apply rate against raw sqlite3, then list queries on a 1M-run cache.

Run: `.venv/bin/python benchmarks/bench_cache.py [--runs 1000000] [--apply-rows 100000]`.

The apply table compares, on the same pre-built rows, the cache's paths (bulk load of a first
sync, page-by-page upserts, and the model-converting `apply_changes`) with plain sqlite3
executemany into the same indexed schema and into a bare table (no index at all).
Prints compact tables; timings are medians / p95 over repetitions measured in this run, with
the count memo cleared before every repetition (so nothing is served from memory).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runs_tui.cache import Cache, RowKey
from runs_tui.cache import cache as cache_module
from runs_tui.cache.checkpoint import Checkpointer
from runs_tui.cache.database import WRITE_CACHE_KIB
from runs_tui.cache.feed import RowPage
from runs_tui.cache.rows import RUN_COLUMNS, run_values
from runs_tui.models import (
    ChangesPage,
    RunFilter,
    RunKind,
    RunStatus,
    RunSummary,
    SortColumn,
    StatusGroup,
    TimePreset,
    TimeRange,
    Trigger,
    TriggerKind,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=30)
TITLES = [
    "Database health check",
    "Disk full on host",
    "Network diagnostics",
    "DNS resolution",
    "Restart web tier",
    "Certificate expiry",
    "High CPU triage",
    "Memory leak triage",
    "Kafka consumer lag",
    "Redis failover",
    "Rotate credentials",
    "Backup verification",
    "Nginx 502 errors",
    "Pod crash loop",
    "Slow queries",
    "Queue backlog",
    "Cache warmup",
    "Log volume spike",
    "Latency regression",
    "Failed deployment rollback",
]
FINISHED_MIX = (
    [RunStatus.COMPLETED_SUCCESS] * 75
    + [RunStatus.COMPLETED_FAILURE] * 10
    + [RunStatus.COMPLETED_PARTIAL] * 5
    + [RunStatus.CANCELLED] * 7
    + [RunStatus.NO_STEPS] * 3
)
ACTIVE = [s for s in RunStatus if s.is_active]
ACTORS = ["alice", "bob", "carol", "dave", "pagerduty", "grafana", "scheduler", "#ops-chat"]


def make_run(i: int, count: int, rng: random.Random) -> RunSummary:
    """Run `i` of `count`, created in feed order over the last 30 days (with some jitter)."""
    jitter = timedelta(seconds=rng.uniform(-600, 0))
    created = max(NOW - SPAN, min(NOW, NOW - SPAN + SPAN * (i / count) + jitter))
    recent = NOW - created < timedelta(hours=2)
    stuck = i % 5000 == 0  # a few old runs still waiting or executing
    status = (
        rng.choice(ACTIVE) if (recent and rng.random() < 0.3) or stuck else rng.choice(FINISHED_MIX)
    )
    started = created + timedelta(seconds=rng.randrange(1, 120))
    finished = None if status.is_active else started + timedelta(seconds=rng.randrange(5, 5400))
    name = rng.choice(TITLES) if rng.random() > 0.01 else f"Ad-hoc check {i}"
    trigger = Trigger.model_construct(kind=rng.choice(list(TriggerKind)), actor=rng.choice(ACTORS))
    return RunSummary.model_construct(
        id=f"{rng.getrandbits(128):032x}",
        kind=RunKind.FLOW if rng.random() < 0.7 else RunKind.GUIDE,
        definition_id=f"def-{hash(name) % 40}",
        name=name,
        status=status,
        trigger=trigger,
        created_at=created,
        scheduled_for=None,
        started_at=started,
        finished_at=finished,
        updated_at=finished or started,
        current_step_id=None,
        current_step=None,
        root_cause=None,
        outcome=None,
        summary=None,
        error=None,
        inputs={"host": f"web-{i % 50}"},
        version=3,
        seq=i + 1,
    )


def pages(count: int, size: int, seed: int = 1) -> Iterator[ChangesPage]:
    rng = random.Random(seed)
    for start in range(0, count, size):
        runs = [make_run(i, count, rng) for i in range(start, min(count, start + size))]
        yield ChangesPage.model_construct(
            changes=runs, deleted=[], next_cursor=start + len(runs), has_more=True
        )


# --- apply rate --------------------------------------------------------------------------------


def bench_apply(rows: int, page_size: int, workdir: Path, repeats: int) -> None:
    """Medians of `repeats` fresh caches per path; raw baselines get the very same tuples."""
    batches = list(pages(rows, page_size, seed=2))
    row_pages = [
        RowPage([run_values(r) for r in page.changes], [], page.next_cursor, True)
        for page in batches
    ]
    tuples = [[(*row, 1, 1) for row in page.rows] for page in row_pages]
    paths: dict[str, Callable[[Path], float]] = {
        "Cache.apply_rows, bulk load (first sync)": lambda path: _ours(path, row_pages, True),
        "  same, checkpoints inline (no checkpointer)": lambda path: _inline(path, row_pages),
        "Cache.apply_rows, page by page (indexed)": lambda path: _ours(path, row_pages, False),
        "full resync (410) of a cache holding them": lambda path: _resync(path, row_pages),
        "Cache.apply_changes (models), page by page": lambda path: _ours(path, batches, False),
        "raw executemany INSERT, same indexed schema": lambda path: _raw_rate(
            path, tuples, schema_from=workdir / "schema.sqlite3"
        ),
        "raw executemany INSERT, bare table": lambda path: _raw_rate(path, tuples, None),
    }
    Cache.open(workdir / "schema.sqlite3").close()
    samples: dict[str, list[float]] = {label: [] for label in paths}
    for repeat in range(repeats):
        for number, (label, measure) in enumerate(paths.items()):
            path = workdir / f"apply-{repeat}-{number}.sqlite3"
            samples[label].append(rows / measure(path))
            for leftover in workdir.glob(path.name + "*"):
                leftover.unlink()
    rate = {label: statistics.median(values) for label, values in samples.items()}
    indexed = rate["raw executemany INSERT, same indexed schema"]
    bare = rate["raw executemany INSERT, bare table"]
    print(
        f"\napply of {rows:,} rows in pages of {page_size:,} into a fresh cache "
        f"(median of {repeats})"
    )
    print(f"  {'path':<46}{'rows/s':>10}{'/indexed':>10}{'/bare':>8}")
    for label, value in rate.items():
        print(f"  {label:<46}{value:>10,.0f}{value / indexed:>9.0%}{value / bare:>8.0%}")
    print("  goal: bulk load >= 50% of raw executemany of the same rows")


def _ours(path: Path, batches: list[Any], bulk: bool) -> float:
    """Seconds to apply every page (rows or models), publishing a bulk load at the end."""
    with Cache.open(path) as cache:
        started = time.perf_counter()
        if bulk:
            cache.begin_bulk_load()
        for page in batches:
            if isinstance(page, RowPage):
                cache.apply_rows(page)
            else:
                cache.apply_changes(page)
        cache.finish_bulk_load()
        return time.perf_counter() - started


def _resync(path: Path, batches: list[RowPage]) -> float:
    """Seconds to re-read the same rows after a 410 into a cache that already holds them
    (filled untimed first), up to the end of `finish_full_resync`."""
    with Cache.open(path) as cache:
        cache.begin_bulk_load()
        for page in batches:
            cache.apply_rows(page)
        cache.finish_bulk_load()
        started = time.perf_counter()
        cache.begin_full_resync()
        for page in batches:
            cache.apply_rows(page)
        cache.finish_full_resync()
        return time.perf_counter() - started


class _NoCheckpointer:
    """Stands in for `Checkpointer`: SQLite then checkpoints inside the writer's commits."""

    def __init__(self, path: Path) -> None: ...

    @staticmethod
    def configure_writer(conn: sqlite3.Connection) -> None: ...

    def committed(self, total_changes: int) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


def _inline(path: Path, batches: list[RowPage]) -> float:
    """The bulk load with SQLite's default, inline checkpoints: what the background
    checkpointer (`cache/checkpoint.py`) saves."""
    cache_module.Checkpointer = _NoCheckpointer  # type: ignore[assignment,misc]
    try:
        return _ours(path, batches, True)
    finally:
        cache_module.Checkpointer = Checkpointer  # type: ignore[misc]


def _raw_rate(path: Path, batches: list[list[tuple[Any, ...]]], schema_from: Path | None) -> float:
    """Seconds for plain sqlite3: pre-built tuples, executemany, one transaction per page
    (WAL, synchronous NORMAL, the cache's write page cache)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
    if schema_from is None:
        conn.execute(f"CREATE TABLE runs (rid INTEGER PRIMARY KEY, {', '.join(RUN_COLUMNS)})")
    else:
        source = sqlite3.connect(schema_from)
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'run_names_fts_%' "
            "ORDER BY type = 'trigger', type = 'index'"
        ):
            conn.execute(sql)
        source.close()
        conn.execute(
            "INSERT INTO run_names (id, name, folded, searchable) VALUES (1, 'n', 'n', 'n')"
        )
    sql = (
        f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})"
    )
    started = time.perf_counter()
    for batch in batches:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, batch)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


# --- queries on a big cache --------------------------------------------------------------------


def build(path: Path, runs: int) -> float:
    """Bulk-loaded, as a first sync would."""
    started = time.perf_counter()
    with Cache.open(path) as cache:
        cache.begin_bulk_load()
        for page in pages(runs, 20_000):
            cache.apply_changes(page)
        cache.finish_bulk_load()
    return time.perf_counter() - started


def timed(action: Callable[[], object], reset: Callable[[], None], reps: int) -> list[float]:
    samples = []
    for _ in range(reps):
        reset()
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p50_p95(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):6.2f} {p95:6.2f}"


def filters() -> list[tuple[str, RunFilter]]:
    all_time = TimeRange(TimePreset.ALL)
    custom = TimeRange(
        TimePreset.CUSTOM, NOW - timedelta(days=12, hours=5), NOW - timedelta(days=9)
    )
    cases = [
        (f"group {g.value} (all time)", RunFilter.for_group(g, time=all_time)) for g in StatusGroup
    ]
    cases += [
        ("status Completed Partial", RunFilter(statuses=frozenset({RunStatus.COMPLETED_PARTIAL}))),
        ("kind guide (30d)", RunFilter(kind=RunKind.GUIDE, time=TimeRange(TimePreset.LAST_30D))),
        ("time 24h + active (default)", RunFilter()),
        ("time 7d + active", RunFilter(time=TimeRange(TimePreset.LAST_7D))),
        ("time 30d + active", RunFilter(time=TimeRange(TimePreset.LAST_30D))),
        ("time custom 3d, 12d ago", RunFilter(time=custom)),
        ("name 'health' (30d)", RunFilter(name="health", time=TimeRange(TimePreset.LAST_30D))),
        ("name 'ad-hoc check 12' (rare)", RunFilter(name="ad-hoc check 12", time=all_time)),
        ("name 'q' (1 char, 30d)", RunFilter(name="q", time=TimeRange(TimePreset.LAST_30D))),
        ("name 'ba' (2 chars, 24h)", RunFilter(name="ba")),
        (
            "waiting + name 'dns' (all)",
            RunFilter.for_group(StatusGroup.WAITING, name="dns", time=all_time),
        ),
    ]
    for sort in SortColumn:
        for descending in (True, False):
            arrow = "desc" if descending else "asc"
            cases.append(
                (
                    f"sort {sort.value} {arrow} (30d)",
                    RunFilter(
                        sort=sort, descending=descending, time=TimeRange(TimePreset.LAST_30D)
                    ),
                )
            )
    return cases


def bench_queries(cache: Cache, reps: int) -> None:
    reset = cache._counts_memo.clear  # measure real queries, never the memo
    print(
        f"\n{'filter':<32}{'rows':>9} | {'count p50 p95':>13} | {'groups p50 p95':>14} | "
        f"{'window p50 p95':>14} | {'all three p95':>13}"
    )
    worst = 0.0
    for label, f in filters():
        total = cache.count(f, NOW)
        c = timed(lambda: cache.count(f, NOW), reset, reps)
        g = timed(lambda: cache.group_counts(f, NOW), reset, reps)
        w = timed(lambda: cache.window(f, NOW, limit=50), reset, reps)
        combined = timed(
            lambda: (
                cache.count(f, NOW),
                cache.group_counts(f, NOW),
                cache.window(f, NOW, limit=50),
            ),
            reset,
            reps,
        )
        worst = max(worst, *(sorted(s)[round(0.95 * (reps - 1))] for s in (c, g, w)))
        print(
            f"{label:<32}{total:>9,} | {p50_p95(c):>13} | {p50_p95(g):>14} | {p50_p95(w):>14} | "
            f"{p50_p95(combined).split()[1]:>13}"
        )
    print(f"worst single-query p95: {worst:.2f} ms (goal <= 20 ms)")


def bench_paging(cache: Cache, reps: int) -> None:
    print(f"\n{'paging (limit 50)':<40}{'p50 ms':>8}{'p95 ms':>8}")
    cases = [
        ("default", RunFilter()),
        ("30d by name", RunFilter(sort=SortColumn.NAME, time=TimeRange(TimePreset.LAST_30D))),
        (
            "all-time by duration asc",
            RunFilter(sort=SortColumn.DURATION, descending=False, time=TimeRange(TimePreset.ALL)),
        ),
        (
            "failed all-time",
            RunFilter.for_group(StatusGroup.FAILED, time=TimeRange(TimePreset.ALL)),
        ),
    ]
    reset = cache._counts_memo.clear
    for label, f in cases:
        samples, after = [], None
        for _ in range(reps * 2):
            started = time.perf_counter()
            rows = cache.window(f, NOW, after=after, limit=50)
            samples.append((time.perf_counter() - started) * 1000)
            after = RowKey.for_run(rows[-1], f.sort)
        print(f"{'page-down (keyset), ' + label:<40}{p50_p95(samples)}")
        total = cache.count(f, NOW)
        end = timed(lambda: cache.rows_at(f, NOW, total - 50, 50), reset, reps)
        print(f"{'jump to end, ' + label:<40}{p50_p95(end)}")
        middle = timed(lambda: cache.rows_at(f, NOW, total // 3, 50), reset, max(3, reps // 4))
        print(f"{'jump to 1/3 (OFFSET), ' + label:<40}{p50_p95(middle)}")
    f = RunFilter(time=TimeRange(TimePreset.LAST_7D))
    started, n = time.perf_counter(), 0
    for _ in cache.iter_runs(f, NOW):
        n += 1
    print(f"iter_runs (7d, {n:,} runs): {n / (time.perf_counter() - started):,.0f} runs/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--apply-rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--page-size", type=int, default=1000, help="rows per applied page")
    parser.add_argument("--apply-repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="reuse/keep the big cache at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bench_apply(args.apply_rows, args.page_size, workdir, args.apply_repeats)
        path = args.keep or workdir / "big.sqlite3"
        if not path.exists():
            seconds = build(path, args.runs)
            print(
                f"\nbuilt {args.runs:,}-run cache in {seconds:.1f} s "
                f"({args.runs / seconds:,.0f} runs/s), {path.stat().st_size / 2**20:,.0f} MiB"
            )
        with Cache.open(path) as cache:
            bench_queries(cache, args.reps)
            bench_paging(cache, args.reps)


if __name__ == "__main__":
    main()
