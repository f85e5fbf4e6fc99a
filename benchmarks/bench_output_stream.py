"""Tool output streaming into the run detail screen: throughput and key-press latency.

Run:  .venv/bin/python benchmarks/bench_output_stream.py [--seconds 5] [--batch 50]

What it measures, for each contender, in a headless Textual app at 120×40:

- sustained lines/s: a producer posts `ToolOutputArrived`-style chunks of `--batch` lines and
  posts the next one as soon as the previous one is on screen (the view follows the end), for
  `--seconds`; lines shown / elapsed;
- key latency while streaming: every 100 ms a real key event (down / up, scrolling the focused
  output view, as an operator reading back does) is posted to the app; latency = post → the
  widget's scroll action ran. Median and p95;
- a 1 MiB single-line output: time to load it into the view and to page down through it.

Contenders: our detail screen (`RunDetailScreen` with its line-API `ToolOutput`), and as the
baseline Textual's `Log` (line API, no wrapping) and `RichLog` (renders each write as Rich
renderables, wraps) fed the same chunks beside a focused `OptionList`. Figures are printed, never
asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Log, OptionList, RichLog

from runs_tui.app import make_app
from runs_tui.cache import Cache
from runs_tui.events import OutputChunk
from runs_tui.messages import ToolOutputArrived
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
from runs_tui.screens.detail import RunDetailScreen
from runs_tui.service import RunsService
from runs_tui.widgets.tool_output import ToolOutput

NOW = datetime(2025, 11, 25, 14, 30, tzinfo=UTC)
SIZE = (120, 40)
LINE = (
    "2025-11-25T14:30:00.123Z INFO worker-3 processed batch {n:>7} in 12ms [ok] "
    "\x1b[32mgreen\x1b[0m"
)


@dataclass
class Result:
    name: str
    lines_per_s: float
    key_median_ms: float
    key_p95_ms: float
    keys: int
    mib_load_ms: float
    mib_page_ms: float


# --- the detail screen -----------------------------------------------------------------------


def _detail() -> RunDetail:
    start = NOW - timedelta(minutes=5)
    steps = [
        Step(
            id=f"s{i}",
            phase=StepPhase.TRIAGE if i < 3 else StepPhase.REMEDIATION,
            position=i,
            title=f"Step {i}",
            automation=AutomationType.AUTOMATED,
            status=StepStatus.SUCCEEDED
            if i < 4
            else StepStatus.RUNNING
            if i == 4
            else StepStatus.PENDING,
            started_at=start if i <= 4 else None,
            finished_at=start if i < 4 else None,
            tool=ToolInvocation(tool="stream", tool_type="sim", output=""),
        )
        for i in range(1, 7)
    ]
    return RunDetail(
        id="bench",
        kind=RunKind.FLOW,
        definition_id="bench",
        name="Streaming benchmark",
        status=RunStatus.EXECUTING_REMEDIATION,
        trigger=Trigger(),
        created_at=start,
        started_at=start,
        updated_at=NOW,
        current_step_id="s4",
        version=1,
        seq=1,
        steps=steps,
    )


def _service(folder: Path) -> RunsService:
    cache = Cache.open(folder / "bench-cache.sqlite3")
    detail = _detail()
    cache.apply_changes(
        ChangesPage(
            changes=[RunSummary.model_validate(detail.model_dump())],
            deleted=[],
            next_cursor=2,
            has_more=False,
        )
    )
    cache.store_detail(detail, None, NOW)
    return RunsService(cache, client=None, now=lambda: NOW)


# --- baselines -------------------------------------------------------------------------------


class Chunk(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class BaselineApp(App[None]):
    """A focused OptionList beside a Log or RichLog fed through messages, like the screen."""

    CSS = "OptionList { width: 30%; height: 1fr; } Log, RichLog { width: 1fr; height: 1fr; }"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        yield OptionList(*[f"Step {i}" for i in range(1, 7)])
        yield Log(id="out") if self.kind == "Log" else RichLog(id="out", wrap=True, max_lines=None)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_chunk(self, message: Chunk) -> None:
        out = self.query_one("#out")
        if isinstance(out, Log):
            out.write(message.text)
        else:
            for line in message.text.splitlines():
                out.write(line)

    def shown_lines(self) -> int:
        out = self.query_one("#out")
        return out.line_count if isinstance(out, Log) else len(out.lines)


# --- measuring -------------------------------------------------------------------------------


def _batch(start: int, count: int) -> str:
    return "".join(LINE.format(n=start + i) + "\n" for i in range(count))


async def _measure(
    name: str,
    pilot,
    post: Callable[[str], None],
    shown: Callable[[], int],  # type: ignore[no-untyped-def]
    hook: Callable[[Callable[[], None]], None],
    seconds: float,
    batch: int,
) -> tuple[float, list[float]]:
    app = pilot.app
    handled: list[float] = []
    hook(lambda: handled.append(time.perf_counter()))
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def probe() -> None:
        flip = False
        while time.perf_counter() < stop:
            await asyncio.sleep(0.1)
            before = len(handled)
            flip = not flip
            key = "down" if flip else "up"
            sent = time.perf_counter()
            app.post_message(events.Key(key, key))
            while len(handled) == before and time.perf_counter() < stop + 2:
                await asyncio.sleep(0.0005)
            if len(handled) > before:
                latencies.append((handled[before] - sent) * 1000)

    prober = asyncio.create_task(probe())
    started, sent_lines = time.perf_counter(), 0
    while time.perf_counter() < stop:
        post(_batch(sent_lines, batch))
        sent_lines += batch
        while shown() < sent_lines and time.perf_counter() < stop + 5:
            await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    await prober
    await pilot.pause()
    return shown() / elapsed, latencies


async def _one_mib(
    pilot, set_text: Callable[[str], None], page_down: Callable[[], None]
) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    text = "A" * 1_048_576
    started = time.perf_counter()
    set_text(text)
    await pilot.pause()
    loaded = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    for _ in range(20):
        page_down()
        await pilot.pause()
    return loaded, (time.perf_counter() - started) * 1000 / 20


async def bench_detail(seconds: float, batch: int) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        service = _service(Path(folder))
        app = make_app(service, live=False, tz=UTC, export_dir=Path(folder))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.open_run("bench")
            await pilot.pause(0.3)
            screen = app.screen
            assert isinstance(screen, RunDetailScreen)
            output = screen.query_one(ToolOutput)
            output.focus()
            await pilot.pause()

            def hook(record: Callable[[], None]) -> None:
                for action in ("action_scroll_down", "action_scroll_up"):
                    original = getattr(output, action)

                    def wrapped(original=original) -> None:  # type: ignore[no-untyped-def]
                        record()
                        original()

                    setattr(output, action, wrapped)

            def post(text: str) -> None:
                screen.post_message(
                    ToolOutputArrived(
                        OutputChunk("bench", screen.query_one("StepPanel").step_id, text)
                    )
                )

            rate, latencies = await _measure(
                "detail", pilot, post, lambda: output.line_count, hook, seconds, batch
            )
            loaded, paged = await _one_mib(pilot, output.set_text, output.action_page_down)
        service.cache.close()
    return _result("runs-tui ToolOutput (detail screen)", rate, latencies, loaded, paged)


async def bench_baseline(kind: str, seconds: float, batch: int) -> Result:
    app = BaselineApp(kind)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        out = app.query_one("#out")
        out.focus()
        await pilot.pause()

        def hook(record: Callable[[], None]) -> None:
            for action in ("action_scroll_down", "action_scroll_up"):
                original = getattr(out, action)

                def wrapped(original=original) -> None:  # type: ignore[no-untyped-def]
                    record()
                    original()

                setattr(out, action, wrapped)

        rate, latencies = await _measure(
            kind, pilot, lambda t: app.post_message(Chunk(t)), app.shown_lines, hook, seconds, batch
        )

        def set_text(text: str) -> None:
            out.clear()
            out.write(text) if isinstance(out, Log) else out.write(text)

        loaded, paged = await _one_mib(pilot, set_text, out.action_page_down)
    return _result(f"baseline Textual {kind}", rate, latencies, loaded, paged)


def _result(name: str, rate: float, latencies: list[float], loaded: float, paged: float) -> Result:
    ordered = sorted(latencies) or [float("nan")]
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return Result(name, rate, statistics.median(ordered), p95, len(latencies), loaded, paged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="streaming time per contender")
    parser.add_argument("--batch", type=int, default=50, help="lines per streamed chunk")
    args = parser.parse_args()
    results = [asyncio.run(bench_detail(args.seconds, args.batch))]
    for kind in ("Log", "RichLog"):
        results.append(asyncio.run(bench_baseline(kind, args.seconds, args.batch)))
    print(
        f"tool output streaming, {SIZE[0]}x{SIZE[1]}, {args.batch}-line chunks, "
        f"{args.seconds:.0f}s each, "
        f"Python {sys.version.split()[0]}"
    )
    header = (
        f"{'contender':38} {'lines/s':>9} {'key p50':>9} {'key p95':>9} {'keys':>5} "
        f"{'1MiB load':>10} {'1MiB pgdn':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:38} {r.lines_per_s:9.0f} "
            f"{r.key_median_ms:7.1f}ms {r.key_p95_ms:7.1f}ms {r.keys:5d} "
            f"{r.mib_load_ms:8.1f}ms {r.mib_page_ms:8.1f}ms"
        )


if __name__ == "__main__":
    main()
