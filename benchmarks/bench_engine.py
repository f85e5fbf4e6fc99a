"""Engine throughput: N concurrently active runs in one process, against one run alone.

Run: `.venv/bin/python benchmarks/bench_engine.py [--db sqlite|URL] [--runs 1000] [--profile]`
(`--db` takes `sqlite` (a temp file, the default) or a PostgreSQL URL; each PostgreSQL
measurement gets a fresh schema, dropped at the end).

`--inline-too` measures the N runs a second time with the store calls made on the loop itself
(`write_threads=0`, how the engine worked before `writer.RunWriter`).

The runs are a guide of `--steps` sim-tool steps (each waits `--latency` seconds and prints
two lines), driven by a real `Engine` on the system clock, as a backend would. It prints, for
one run alone (the baseline) and for `--runs` at once, measured in the same process:
- how long starting the runs took (`start_run` for each, all at once);
- loop lag: how late a 50 ms timer on the engine's event loop fires, p50/p95/max (what a
  `/health` request or a `/stream` write waits for, since they share the loop);
- steps/s and the wall time until every run finished, and its ratio to the run alone.
`--profile` prints the top functions of a cProfile of the event-loop thread for the N runs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import sqlalchemy
from work_guide import write_work_guide

from runs_tui.backend import tables
from runs_tui.backend.bus import Bus
from runs_tui.backend.clock import SystemClock
from runs_tui.backend.engine import Engine
from runs_tui.backend.server import write_threads
from runs_tui.backend.store import RunStore
from runs_tui.models.domain import StartRunRequest, Trigger
from runs_tui.models.lifecycle import RunKind

PROBE_SECONDS = 0.05


def definitions(folder: Path, steps: int, latency: float) -> Path:
    write_work_guide(folder, "bench-work", "Benchmark: work", steps=steps, latency=latency)
    return folder


def pct(samples: Sequence[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def probe_lag(samples: list[float], stop: asyncio.Event) -> None:
    """How late the loop runs a timer: the wait any request on this loop sees on top of its own."""
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(PROBE_SECONDS)
        samples.append(time.perf_counter() - asked - PROBE_SECONDS)


async def drive(
    store: RunStore, folder: Path, runs: int, deadline: float, inline: bool
) -> dict[str, float]:
    """Start `runs` runs at once and wait for all of them to finish; the figures of that."""
    clock = SystemClock()
    threads = 0 if inline else write_threads(store, clock)
    engine = Engine(store, Bus(), clock, folder, pace_seconds=0.5, write_threads=threads)
    await engine.start()
    lags: list[float] = []
    stop = asyncio.Event()
    prober = asyncio.create_task(probe_lag(lags, stop))
    request = StartRunRequest(inputs={}, trigger=Trigger(actor="bench"))
    t0 = time.perf_counter()
    await asyncio.gather(
        *(engine.start_run(RunKind.GUIDE, "bench-work", request) for _ in range(runs))
    )
    started = time.perf_counter() - t0
    while engine.active_run_count() and time.perf_counter() - t0 < deadline:
        await asyncio.sleep(0.2)
    wall = time.perf_counter() - t0
    left = engine.active_run_count()
    stop.set()
    await prober
    await engine.stop()
    return {
        "start": started,
        "wall": wall,
        "left": left,
        "lag50": pct(lags, 0.5),
        "lag95": pct(lags, 0.95),
        "lagmax": max(lags, default=float("nan")),
    }


def fresh_store(db: str, folder: Path) -> tuple[RunStore, str | None]:
    if db == "sqlite":
        store = RunStore(f"sqlite:///{folder / f'engine-{uuid.uuid4().hex[:8]}.db'}")
        store.create_schema()
        return store, None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(db)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()
    separator = "&" if "?" in db else "?"
    store = RunStore(f"{db}{separator}options={quote(f'-csearch_path={schema}')}")
    store.create_schema()
    return store, schema


def drop(db: str, store: RunStore, schema: str | None) -> None:
    store.close()
    if schema is not None:
        admin = sqlalchemy.create_engine(db)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def measure(
    db: str, folder: Path, runs: int, deadline: float, profile: bool, inline: bool = False
) -> dict[str, float]:
    store, schema = fresh_store(db, folder)
    profiler = cProfile.Profile() if profile else None
    try:
        if profiler is not None:
            profiler.enable()
        figures = asyncio.run(drive(store, folder, runs, deadline, inline))
        if profiler is not None:
            profiler.disable()
        steps_done = _finished_steps(store)
    finally:
        drop(db, store, schema)
    figures["steps"] = steps_done
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(35)
        print(text.getvalue())
    return figures


def _finished_steps(store: RunStore) -> float:
    query = sqlalchemy.select(sqlalchemy.func.count()).where(
        tables.events.c.event_json.like('%"step_finished"%')
    )
    with store.sqlalchemy_engine.connect() as conn:
        return float(conn.execute(query).scalar_one())


def report(label: str, figures: dict[str, float], alone: float | None) -> None:
    ratio = f"{figures['wall'] / alone:5.2f}× alone" if alone else "baseline"
    print(
        f"  {label:<12} start {figures['start']:7.2f} s   wall {figures['wall']:7.1f} s ({ratio})"
        f"   {figures['steps'] / figures['wall']:7.1f} steps/s"
        f"   loop lag p50 {figures['lag50'] * 1000:6.1f} p95 {figures['lag95'] * 1000:7.1f}"
        f" max {figures['lagmax'] * 1000:7.1f} ms"
        + (f"   ({figures['left']:.0f} runs unfinished)" if figures["left"] else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per tool step")
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--inline-too", action="store_true", help="also measure store calls inline on the loop"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = definitions(Path(tmp), args.steps, args.latency)
        print(
            f"engine on {'SQLite' if args.db == 'sqlite' else 'PostgreSQL'}: "
            f"{args.steps} steps of {args.latency:g} s"
        )
        alone = measure(args.db, folder, 1, args.deadline, False)
        report("1 run", alone, None)
        many = measure(args.db, folder, args.runs, args.deadline, args.profile)
        report(f"{args.runs} runs", many, alone["wall"])
        if args.inline_too:
            inline = measure(args.db, folder, args.runs, args.deadline, False, inline=True)
            report(f"{args.runs} inline", inline, alone["wall"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
