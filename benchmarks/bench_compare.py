"""Comparing two runs: `run_compare.compare_runs` and the comparison screen, on big outputs.

Run:  .venv/bin/python benchmarks/bench_compare.py [--steps 10] [--lines 2000] [--repeat 7]

What it measures:

- `compare_runs` of two runs of `--steps` steps whose tool outputs are `--lines` lines each,
  every line carrying a timestamp, a clock time, a run id and a duration (all masked), one line
  in ten really different. Baseline, in the same run: `difflib.unified_diff` of the same
  outputs already masked, step by step — the diff alone, which the comparison cannot beat; the
  ratio says what masking, alignment and the value diffs add on top. Median and p95. (A diff
  of the outputs unmasked is no baseline: every line differs, and difflib goes quadratic.)
  Then the same with outputs that differ only in their last 20 lines (a failed run beside a
  good one), where leaving the common ends out of the matching pays.
- the comparison screen: from `=` with two runs marked to the comparison on screen (every row
  mounted), in a headless app at 120×40, against the same app opening the detail screen of
  one of the runs (the screen an operator would otherwise flip between). Median and p95.

Figures are printed, never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runs_tui.app import make_app
from runs_tui.cache import Cache
from runs_tui.models import (
    AutomationType,
    ChangesPage,
    RunDetail,
    RunKind,
    RunStatus,
    RunSummary,
    Step,
    StepPhase,
    StepStatus,
    ToolInvocation,
    Trigger,
)
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.run_compare import Masker, compare_runs
from runs_tui.screens.compare import CompareScreen
from runs_tui.screens.detail import RunDetailScreen
from runs_tui.service import RunsService

NOW = datetime(2025, 11, 25, 14, 30, tzinfo=UTC)
SIZE = (120, 40)


def _output(run_id: str, lines: int, shift: int) -> str:
    at = NOW - timedelta(hours=shift)
    return "".join(
        f"{(at + timedelta(seconds=n)).isoformat()} run {run_id} step ok {n} "
        f"took {n % 90}ms at {(at + timedelta(seconds=n)):%H:%M:%S}"
        f"{' value ' + str(shift) if n % 10 == 0 else ''}\n"
        for n in range(lines)
    )


def make_run(run_id: str, steps: int, lines: int, shift: int) -> RunDetail:
    created = NOW - timedelta(hours=shift)
    return RunDetail(
        id=run_id,
        kind=RunKind.FLOW,
        definition_id="bench",
        name="Benchmark flow",
        status=RunStatus.COMPLETED_SUCCESS,
        trigger=Trigger(actor="bench"),
        created_at=created,
        started_at=created,
        finished_at=created + timedelta(minutes=5),
        updated_at=created + timedelta(minutes=5),
        inputs={"host": "db-1"},
        version=3,
        seq=shift,
        steps=[
            Step(
                id=f"triage-{index}",
                phase=StepPhase.TRIAGE,
                position=index,
                title=f"Step {index}",
                automation=AutomationType.AUTOMATED,
                status=StepStatus.SUCCEEDED,
                started_at=created,
                finished_at=created + timedelta(seconds=index),
                tool=ToolInvocation(
                    tool="sim", tool_type="sim", output=_output(run_id, lines, shift), exit_status=0
                ),
            )
            for index in range(1, steps + 1)
        ],
    )


def timed(work: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(name: str, values: list[float], baseline: list[float] | None = None) -> None:
    median = statistics.median(values)
    ratio = f"  ×{median / statistics.median(baseline):.2f} of the baseline" if baseline else ""
    print(f"  {name:<44} median {median:8.1f} ms   p95 {p95(values):8.1f} ms{ratio}")


def bench_module(a: RunDetail, b: RunDetail, repeat: int) -> None:
    mask = Masker()
    masked = [
        (mask(x.tool.output, a.id).splitlines(), mask(y.tool.output, b.id).splitlines())
        for x, y in zip(a.steps, b.steps, strict=True)
        if x.tool is not None and y.tool is not None
    ]

    def diff_only() -> None:
        for left, right in masked:
            list(difflib.unified_diff(left, right, n=2, lineterm=""))

    baseline = timed(diff_only, repeat)
    comparison = timed(lambda: compare_runs(a, b), repeat)
    print("compare_runs, one line in ten different")
    report("baseline: difflib alone, on masked outputs", baseline)
    report("compare_runs (masking, alignment, values)", comparison, baseline)

    # A failed run beside a good one: the same output until the last lines.
    ending = _ended_differently(b)
    ends = [
        (mask(x.tool.output, b.id).splitlines(), mask(y.tool.output, b.id).splitlines())
        for x, y in zip(b.steps, ending.steps, strict=True)
        if x.tool is not None and y.tool is not None
    ]

    def diff_ends() -> None:
        for left, right in ends:
            list(difflib.unified_diff(left, right, n=2, lineterm=""))

    baseline = timed(diff_ends, repeat)
    comparison = timed(lambda: compare_runs(b, ending), repeat)
    print("compare_runs, the last 20 lines different")
    report("baseline: difflib alone, on masked outputs", baseline)
    report("compare_runs (masking, alignment, values)", comparison, baseline)


def _ended_differently(run: RunDetail) -> RunDetail:
    steps = []
    for step in run.steps:
        assert step.tool is not None
        lines = step.tool.output.splitlines(keepends=True)
        tail = [f"error {n}: connection refused\n" for n in range(20)]
        output = "".join(lines[:-20] + tail)
        steps.append(
            step.model_copy(update={"tool": step.tool.model_copy(update={"output": output})})
        )
    return run.model_copy(update={"id": "e9d8c7b6a5f40312", "steps": steps})


async def _screen_times(a: RunDetail, b: RunDetail, repeat: int) -> tuple[list[float], list[float]]:
    folder = Path(tempfile.mkdtemp())
    cache = Cache.open(folder / "bench.sqlite3")
    cache.apply_changes(
        ChangesPage(
            changes=[RunSummary.model_validate(d.model_dump()) for d in (a, b)],
            deleted=[],
            next_cursor=10,
            has_more=False,
        )
    )
    for detail in (a, b):
        cache.store_detail(detail, '"bench"', NOW)
    service = RunsService(cache, None, now=lambda: NOW)
    app = make_app(
        service,
        tz=UTC,
        live=False,
        export_dir=folder,
        initial_filter=RunFilter(time=TimeRange(TimePreset.ALL)),
    )
    compare_ms: list[float] = []
    detail_ms: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(repeat):
            start = time.perf_counter()
            app.push_screen(CompareScreen(b.id, a.id))
            screen = app.screen
            while not (isinstance(screen, CompareScreen) and screen.comparison is not None):
                await pilot.pause(0.001)
                screen = app.screen
            await pilot.pause()
            compare_ms.append((time.perf_counter() - start) * 1000)
            app.pop_screen()
            await pilot.pause()

            start = time.perf_counter()
            app.push_screen(RunDetailScreen(a.id))
            await pilot.pause()
            while not isinstance(app.screen, RunDetailScreen) or app.screen.detail is None:
                await pilot.pause(0.001)
            await pilot.pause()
            detail_ms.append((time.perf_counter() - start) * 1000)
            app.pop_screen()
            await pilot.pause()
    cache.close()
    return compare_ms, detail_ms


def bench_screen(a: RunDetail, b: RunDetail, repeat: int) -> None:
    compare_ms, detail_ms = asyncio.run(_screen_times(a, b, repeat))
    print("the screen, 120×40 (cache only)")
    report("baseline: open the run's detail screen", detail_ms)
    report("open the comparison (every row mounted)", compare_ms, detail_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    a = make_run("a1b2c3d4e5f60718", args.steps, args.lines, 2)
    b = make_run("0f1e2d3c4b5a6978", args.steps, args.lines, 1)
    print(f"{args.steps} steps × {args.lines:,} output lines per run, {args.repeat} repeats")
    bench_module(a, b, args.repeat)
    bench_screen(a, b, max(3, args.repeat // 3))


if __name__ == "__main__":
    main()
