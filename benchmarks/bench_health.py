"""Health-screen benchmark: the figures of every flow and guide over a 1M-run cache.

Run: `.venv/bin/python benchmarks/bench_health.py [--runs 1000000] [--reps 15] [--workdir DIR]`.

The cache is bench_cache.py's (1M runs over 30 days, 20 titles plus 1 % one-off names, bulk
loaded as a first sync) and kept in --workdir, so a rerun with the same --workdir skips it.

Figures (milliseconds, p50 / p95 over --reps, measured in this run):
- health <window>: `Cache.health` (what a window change costs: every line, from the index
  `ix_runs_definition`), against the baseline, a plain `GROUP BY` over the runs table for the
  same window (counts per title and status, and the durations' sum: no percentile, no MTTR, no
  sparkline, so it does *less* than the screen needs), and their ratio;
- open: the real app headless (120×40, `App.run_test`): `H` pressed → health screen mounted
  and filled (the screen's first read is the default 7-day window);
- memory: the Python heap's peak during one 30-day `Cache.health` (tracemalloc) and the
  process's peak RSS at the end (which includes the runs list the app opened on).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_cache import NOW, build  # noqa: E402

from runs_tui.cache import Cache  # noqa: E402
from runs_tui.models.health import HealthWindow, Span, window_span  # noqa: E402

WINDOWS = (HealthWindow.LAST_24H, HealthWindow.LAST_7D, HealthWindow.LAST_30D)


def p50_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))
    ]


def timed(action: Callable[[], object], reps: int) -> list[float]:
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def baseline(conn: sqlite3.Connection, span: Span) -> list[Any]:
    """The plain GROUP BY the issue names as the baseline: one scan of the window's runs."""
    return conn.execute(
        "SELECT kind, name_id, status_rank, count(*), "
        "sum(CASE WHEN finished_at IS NOT NULL AND started_at IS NOT NULL "
        "THEN finished_at - started_at END) FROM runs "
        "WHERE created_at >= ? AND created_at < ? GROUP BY kind, name_id, status_rank",
        (span.start, span.end),
    ).fetchall()


async def open_screen(path: Path, reps: int) -> list[float]:
    """H → the health screen filled, in the real app (the cache as the dashboard opens it)."""
    from runs_tui.app import make_app
    from runs_tui.screens.health import HealthScreen
    from runs_tui.service import RunsService

    samples = []
    with Cache.open(path) as cache, tempfile.TemporaryDirectory() as tmp:
        service = RunsService(cache, None, now=lambda: NOW)
        app = make_app(service, tz=UTC, live=False, ticking=False, export_dir=Path(tmp))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for _ in range(reps):
                started = time.perf_counter()
                await pilot.press("H")
                while not (isinstance(app.screen, HealthScreen) and app.screen.report):
                    await asyncio.sleep(0)
                await pilot.pause()
                samples.append((time.perf_counter() - started) * 1000)
                await pilot.press("escape")
                await pilot.pause()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the cache here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / f"health-{args.runs}.sqlite3"
        if not path.exists():
            seconds = build(path, args.runs)
            print(f"built {args.runs:,}-run cache in {seconds:.1f} s")
        with Cache.open(path) as cache:
            conn = cache._conn  # the baseline reads the same connection's tables
            print(f"\n{args.runs:,} runs · p50 / p95 ms over {args.reps} reps")
            print(
                f"{'window':<8} {'lines':>6} {'health':>17} {'GROUP BY':>17} "
                f"{'ratio p50':>9} {'p95':>6}"
            )
            for window in WINDOWS:
                span = window_span(window, NOW)
                lines = len(cache.health(span))
                ours = p50_p95(timed(lambda: cache.health(span), args.reps))
                base = p50_p95(timed(lambda: baseline(conn, span), args.reps))
                print(
                    f"{window.value:<8} {lines:>6} {ours[0]:>8.1f} {ours[1]:>8.1f} "
                    f"{base[0]:>8.1f} {base[1]:>8.1f} {ours[0] / base[0]:>8.2f}× "
                    f"{ours[1] / base[1]:>5.2f}×"
                )
            tracemalloc.start()
            cache.health(window_span(HealthWindow.LAST_30D, NOW))
            heap_peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        opened = p50_p95(asyncio.run(open_screen(path, args.reps)))
        print(f"open (H → filled, 7d): {opened[0]:.1f} / {opened[1]:.1f} ms")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"memory: heap peak of a 30d health {heap_peak:.1f} MiB · "
            f"process peak RSS {rss:.0f} MiB"
        )


if __name__ == "__main__":
    main()
