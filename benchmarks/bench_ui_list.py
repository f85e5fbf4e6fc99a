"""Runs-list benchmark: the windowed list over 1k and 1M cached runs vs DataTable over 10k rows.

Run: `.venv/bin/python benchmarks/bench_ui_list.py [--sizes 1000 1000000] [--reps 15]
[--workdir DIR] [--idle-seconds 10]`.

Every measurement runs the real app headless (`App.run_test`, 120×40) in a child process of its
own, so each peak RSS (`ru_maxrss`) belongs to that scenario alone and not to the cache building.
Caches are built through the cache's own write path (`Cache.apply_changes`, 5k-run pages, the
generator of bench_cache.py) and kept in --workdir, so a rerun with the same --workdir skips it.

Figures (milliseconds unless said):
- first paint: app start → list painted (run_test entered, first pause returned);
- filter <kind>: p50/p95 of "apply the filter → list repainted", and the same plus the group
  counts of the bar (which the screen computes right after the list paints); the cache's count
  memo is cleared before each repetition, so no figure is served from memory;
- page-down: p50/p95 of the page-down action, settled; jump to end: the `G` action from the
  top with the list's page LRU emptied first (p50/p95). "Settled" = every queued message
  handled and one screen update rendered (`settle()`), without Pilot's idle-detection sleeps;
  the list's own "harness pause" figure shows what one `Pilot.pause()` adds on this machine;
- idle: bytes/s the real terminal driver writes, under a pseudo-terminal, with 20 active runs
  ticking and no input (after a warm-up).
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import pty
import random
import resource
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from runs_tui.cache import Cache  # noqa: E402
from runs_tui.models import (  # noqa: E402
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

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)  # bench_cache.py's clock
SIZE = (120, 40)


def filter_cases() -> list[tuple[str, RunFilter]]:
    """One or more filters of every kind the filter screen and the list offer."""
    base = RunFilter()
    everything = RunFilter(time=TimeRange(TimePreset.ALL))
    return [
        ("group: failed (24h)", base.with_group(StatusGroup.FAILED)),
        ("group: waiting (24h)", base.with_group(StatusGroup.WAITING)),
        ("group: completed, all time", everything.with_group(StatusGroup.COMPLETED)),
        (
            "single status, 30d",
            replace(
                base,
                statuses=frozenset({RunStatus.COMPLETED_PARTIAL}),
                time=TimeRange(TimePreset.LAST_30D),
            ),
        ),
        ("type: guides, 7d", replace(base, kind=RunKind.GUIDE, time=TimeRange(TimePreset.LAST_7D))),
        ("time: 30d", replace(base, time=TimeRange(TimePreset.LAST_30D))),
        (
            "time: custom 3 days",
            replace(
                base,
                time=TimeRange(
                    TimePreset.CUSTOM, NOW - timedelta(days=10), NOW - timedelta(days=7)
                ),
            ),
        ),
        ("name: 'disk', all time", replace(everything, name="disk")),
        ("name: rare 'ad-hoc check 12'", replace(everything, name="ad-hoc check 12")),
        ("sort: name, all time", replace(everything, sort=SortColumn.NAME, descending=False)),
        ("sort: duration, all time", replace(everything, sort=SortColumn.DURATION)),
    ]


# --- building caches ---------------------------------------------------------------------------


def build_cache(path: Path, count: int) -> float:
    from bench_cache import pages

    started = time.perf_counter()
    with Cache.open(path) as cache:
        for page in pages(count, 5000):
            cache.apply_changes(page)
    return time.perf_counter() - started


def build_ticking_cache(path: Path, now: datetime) -> None:
    """20 active runs (all ticking) and some history, around the real clock."""
    runs = []
    for i in range(120):
        active = i < 20
        created = now - timedelta(minutes=i * 3 + 1)
        started = created + timedelta(seconds=2)
        status = RunStatus.EXECUTING_TRIAGE if active else RunStatus.COMPLETED_SUCCESS
        runs.append(
            RunSummary(
                id=f"tick-{i:03d}",
                kind=RunKind.FLOW,
                definition_id="db",
                name=f"Ticking run {i}",
                status=status,
                trigger=Trigger(kind=TriggerKind.MANUAL, actor="alice"),
                created_at=created,
                started_at=started,
                finished_at=None if active else started + timedelta(seconds=40),
                updated_at=started,
                version=1,
                seq=i + 1,
            )
        )
    with Cache.open(path) as cache:
        cache.apply_changes(ChangesPage(changes=runs, deleted=[], next_cursor=200, has_more=False))


# --- child scenarios ---------------------------------------------------------------------------


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def stats(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p95": pct(values, 0.95)}


async def settle(pilot: Any) -> None:
    """Every queued message handled, then one screen update rendered: the work an operator
    waits for, without the test harness's idle-detection sleeps (`Pilot.pause` adds ~20 ms)."""
    await pilot._wait_for_screen()
    pilot.app.screen._on_timer_update()


def forget_counts(cache: Cache) -> None:
    """Benchmark only: make every repetition pay for its counts (see bench_cache.py)."""
    memo = getattr(cache, "_counts_memo", None)
    if memo is not None:
        memo.clear()


async def list_scenario(cache_path: Path, reps: int) -> dict[str, Any]:
    from runs_tui.app import make_app
    from runs_tui.screens.runs import RunsScreen
    from runs_tui.service import RunsService
    from runs_tui.widgets.run_list import RunList

    cache = Cache.open(cache_path)
    service = RunsService(cache, client=None, now=lambda: NOW)
    app = make_app(service, tz=UTC, ticking=False, live=False)
    result: dict[str, Any] = {}
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        result["first_paint"] = (time.perf_counter() - started) * 1000
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        lst = screen.query_one(RunList)
        result["rows_default"] = lst.total
        filters: dict[str, Any] = {}
        for label, run_filter in filter_cases():
            listed, with_counts = [], []
            for _ in range(reps):
                screen.apply_filter(RunFilter(), remember=False)
                await pilot.pause()
                forget_counts(cache)
                t0 = time.perf_counter()
                screen.apply_filter(run_filter, remember=False)
                await settle(pilot)
                t1 = time.perf_counter()
                screen._refresh_counts()
                await settle(pilot)
                t2 = time.perf_counter()
                listed.append((t1 - t0) * 1000)
                with_counts.append((t2 - t0) * 1000)
            filters[label] = {
                "list": stats(listed),
                "with_counts": stats(with_counts),
                "rows": lst.total,
            }
        result["filters"] = filters
        screen.apply_filter(RunFilter(time=TimeRange(TimePreset.ALL)), remember=False)
        await pilot.pause()
        result["rows_all"] = lst.total
        lst.focus()
        downs = []
        for _ in range(reps * 2):
            t0 = time.perf_counter()
            lst.action_page_down()  # what the pagedown key runs
            await settle(pilot)
            downs.append((time.perf_counter() - t0) * 1000)
        result["page_down"] = stats(downs)
        ends = []
        for _ in range(reps):
            lst.action_first()
            lst.reload()  # empty the page LRU: the end is fetched cold
            forget_counts(cache)
            await pilot.pause()
            t0 = time.perf_counter()
            lst.action_last()  # what G / end runs
            await settle(pilot)
            ends.append((time.perf_counter() - t0) * 1000)
            assert lst.cursor == lst.total - 1, (lst.cursor, lst.total)
        result["jump_end"] = stats(ends)
        t0 = time.perf_counter()
        await pilot.pause()
        result["harness_pause"] = (time.perf_counter() - t0) * 1000
    cache.close()
    result["peak_rss_mib"] = peak_rss_mib()
    return result


async def datatable_scenario(cache_path: Path, rows: int, reps: int) -> dict[str, Any]:
    """The baseline: Textual's DataTable holding `rows` rows; filters rebuild it in Python."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from runs_tui.formatting import format_duration, run_elapsed
    from runs_tui.widgets.run_list import trigger_label

    with Cache.open(cache_path) as cache:
        runs = cache.rows_at(RunFilter(time=TimeRange(TimePreset.ALL)), NOW, 0, rows)

    def cells(run: RunSummary) -> tuple[str, ...]:
        return (
            run.status.label,
            run.name,
            run.kind.value,
            run.created_at.strftime("%b %d %H:%M"),
            format_duration(spent.total_seconds() if (spent := run_elapsed(run, NOW)) else None),
            trigger_label(run.trigger),
        )

    class TableApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(id="table")

        def fill(self, subset: list[RunSummary]) -> None:
            table = self.query_one(DataTable)
            table.clear()
            table.add_rows(cells(run) for run in subset)

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Status", "Run", "Type", "Started", "Duration", "Trigger")
            self.fill(runs)

    def admits(run_filter: RunFilter, run: RunSummary) -> bool:
        lo, hi = run_filter.time.bounds(NOW)
        in_time = (lo is None or run.created_at >= lo) and (hi is None or run.created_at < hi)
        if run_filter.time.includes_active and run.status.is_active:
            in_time = True
        return (
            in_time
            and (not run_filter.statuses or run.status in run_filter.statuses)
            and (run_filter.kind is None or run.kind is run_filter.kind)
            and run_filter.name.casefold() in run.name.casefold()
        )

    app = TableApp()
    result: dict[str, Any] = {}
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        result["first_paint"] = (time.perf_counter() - started) * 1000
        filters = {}
        for label, run_filter in filter_cases():
            timings = []
            for _ in range(max(3, reps // 3)):
                t0 = time.perf_counter()
                app.fill([run for run in runs if admits(run_filter, run)])
                await settle(pilot)
                timings.append((time.perf_counter() - t0) * 1000)
            filters[label] = {"list": stats(timings), "with_counts": stats(timings)}
        result["filters"] = filters
        app.fill(runs)
        await pilot.pause()
        app.query_one(DataTable).focus()
        downs = []
        table = app.query_one(DataTable)
        for _ in range(reps * 2):
            t0 = time.perf_counter()
            table.action_page_down()
            await settle(pilot)
            downs.append((time.perf_counter() - t0) * 1000)
        result["page_down"] = stats(downs)
        ends = []
        for _ in range(reps):
            table.action_scroll_top()
            await pilot.pause()
            t0 = time.perf_counter()
            table.action_scroll_bottom()
            await settle(pilot)
            ends.append((time.perf_counter() - t0) * 1000)
        result["jump_end"] = stats(ends)
    result["peak_rss_mib"] = peak_rss_mib()
    result["rows_all"] = len(runs)
    return result


def idle_app(cache_path: Path) -> None:
    """The real app on a real terminal driver (the parent holds the pty and counts bytes)."""
    from runs_tui.app import make_app
    from runs_tui.service import RunsService

    cache = Cache.open(cache_path)
    service = RunsService(cache, client=None)
    make_app(service, live=False).run()


def measure_idle(cache_path: Path, seconds: float, warmup: float = 4.0) -> dict[str, float]:
    pid, fd = pty.fork()
    if pid == 0:  # child: becomes the app
        os.environ["TERM"] = "xterm-256color"
        os.execv(
            sys.executable,
            [sys.executable, __file__, "--child", "idle", "--cache", str(cache_path)],
        )
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    total_warm, counted = 0, 0
    start = time.monotonic()
    try:
        while time.monotonic() - start < warmup + seconds:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if time.monotonic() - start < warmup:
                total_warm += len(chunk)
            else:
                counted += len(chunk)
    finally:
        os.kill(pid, 15)
        os.waitpid(pid, 0)
        os.close(fd)
    return {"startup_bytes": total_warm, "bytes_per_s": counted / seconds}


# --- parent ------------------------------------------------------------------------------------


def child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"child {args[1]} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _holds(path: Path, size: int) -> bool:
    """A kept cache is reused only if it still holds its runs (a schema change empties it)."""
    with Cache.open(path) as cache:
        return cache.count(RunFilter(time=TimeRange(TimePreset.ALL)), NOW) == size


def report(
    results: dict[str, dict[str, Any]], idle: dict[str, float], build_times: dict[int, float]
) -> None:
    names = list(results)
    print(
        f"\nRuns list at {SIZE[0]}x{SIZE[1]}, headless; ms unless stated. Columns: "
        + " | ".join(names)
    )
    for size, seconds in build_times.items():
        print(
            f"  cache of {size:,} runs built in {seconds:.1f} s"
            if seconds
            else f"  cache of {size:,} runs reused"
        )

    def row(label: str, values: list[str]) -> None:
        print(f"{label:<38}" + "".join(f"{v:>26}" for v in values))

    row("", names)
    row("rows (all time)", [f"{r.get('rows_all', 0):,}" for r in results.values()])
    row("first paint", [f"{r['first_paint']:.0f}" for r in results.values()])
    for label, _ in filter_cases():
        row(
            f"filter {label} p50/p95",
            [
                "{:.1f}/{:.1f}".format(
                    r["filters"][label]["list"]["p50"], r["filters"][label]["list"]["p95"]
                )
                for r in results.values()
            ],
        )
        row(
            "   … incl. group counts p50/p95",
            [
                "{:.1f}/{:.1f}".format(
                    r["filters"][label]["with_counts"]["p50"],
                    r["filters"][label]["with_counts"]["p95"],
                )
                for r in results.values()
            ],
        )
    row(
        "page-down p50/p95",
        [
            "{:.1f}/{:.1f}".format(r["page_down"]["p50"], r["page_down"]["p95"])
            for r in results.values()
        ],
    )
    row(
        "jump to end p50/p95",
        [
            "{:.1f}/{:.1f}".format(r["jump_end"]["p50"], r["jump_end"]["p95"])
            for r in results.values()
        ],
    )
    row(
        "(one Pilot.pause(), for reference)",
        [f"{r.get('harness_pause', 0):.1f}" for r in results.values()],
    )
    row("peak RSS MiB", [f"{r['peak_rss_mib']:.1f}" for r in results.values()])
    lists = [n for n in names if n.startswith("list")]
    if len(lists) >= 2:
        small, big = results[lists[0]], results[lists[-1]]
        worst_filter = max(f["list"]["p95"] for f in big["filters"].values())
        worst_counts = max(f["with_counts"]["p95"] for f in big["filters"].values())
        print(
            f"\nGoals at {lists[-1]}: filter p95 ≤ 50 ms: "
            f"worst {worst_filter:.1f} ms (incl. counts "
            f"{worst_counts:.1f}); jump to end ≤ 30 ms: p95 {big['jump_end']['p95']:.1f} ms; "
            f"RSS ≤ 1.15× {lists[0]}: {big['peak_rss_mib'] / small['peak_rss_mib']:.2f}×"
        )
    print(
        f"Idle output, 20 ticking runs, real driver under a pty: {idle['bytes_per_s']:.0f} B/s "
        f"(goal ≤ 2048; startup wrote {idle['startup_bytes']:,} B)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--datatable-rows", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument(
        "--idle-only",
        action="store_true",
        help="measure only the idle output (what a column change can cost)",
    )
    parser.add_argument(
        "--child", choices=["build", "list", "datatable", "idle"], help=argparse.SUPPRESS
    )
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "build":
        print(json.dumps({"seconds": build_cache(args.cache, args.count)}))
        return
    if args.child == "list":
        print(json.dumps(asyncio.run(list_scenario(args.cache, args.reps))))
        return
    if args.child == "datatable":
        print(json.dumps(asyncio.run(datatable_scenario(args.cache, args.count, args.reps))))
        return
    if args.child == "idle":
        idle_app(args.cache)
        return

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-ui-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.idle_only:
        print_idle(workdir, args.idle_seconds)
        return
    sizes = sorted(set(args.sizes) | {args.datatable_rows})
    build_times: dict[int, float] = {}
    for size in sizes:
        path = workdir / f"runs-{size}.sqlite3"
        if path.exists() and _holds(path, size):
            build_times[size] = 0.0
            continue
        for stale in workdir.glob(f"runs-{size}.sqlite3*"):
            stale.unlink()
        print(f"building a cache of {size:,} runs…", file=sys.stderr, flush=True)
        build_times[size] = child(["--child", "build", "--cache", str(path), "--count", str(size)])[
            "seconds"
        ]
    results: dict[str, dict[str, Any]] = {}
    for size in sorted(args.sizes):
        print(f"measuring the list over {size:,} runs…", file=sys.stderr, flush=True)
        results[f"list {size:,}"] = child(
            [
                "--child",
                "list",
                "--cache",
                str(workdir / f"runs-{size}.sqlite3"),
                "--reps",
                str(args.reps),
            ]
        )
    print(f"measuring DataTable with {args.datatable_rows:,} rows…", file=sys.stderr, flush=True)
    results[f"DataTable {args.datatable_rows:,}"] = child(
        [
            "--child",
            "datatable",
            "--cache",
            str(workdir / f"runs-{args.datatable_rows}.sqlite3"),
            "--count",
            str(args.datatable_rows),
            "--reps",
            str(args.reps),
        ]
    )
    idle = idle_figures(workdir, args.idle_seconds)
    report(results, idle, {s: build_times[s] for s in sizes})


def idle_figures(workdir: Path, seconds: float) -> dict[str, float]:
    ticking = workdir / "ticking.sqlite3"
    ticking.unlink(missing_ok=True)
    build_ticking_cache(ticking, datetime.now(UTC))
    print("measuring idle output…", file=sys.stderr, flush=True)
    return measure_idle(ticking, seconds)


def print_idle(workdir: Path, seconds: float) -> None:
    idle = idle_figures(workdir, seconds)
    print(
        f"Idle output, 20 ticking runs, real driver under a pty: {idle['bytes_per_s']:.0f} B/s "
        f"(goal ≤ 2048; startup wrote {idle['startup_bytes']:,} B)"
    )


if __name__ == "__main__":
    random.seed(0)
    main()
