"""Drawing the timeline: step bars on one axis, the duration breakdown, the event list.

The geometry (ticks, which cell is executing or waiting) is `runs_tui.timeline`'s, tested without
a terminal; these widgets only lay it out for the width they get, so the same run reads at 80
columns and at 200, over seconds or over days. Executing is `█`, waiting for input `░`: the
shapes differ, so the chart reads without colour.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from runs_tui.formatting import clock_time, format_span
from runs_tui.models.domain import EventType, RunDetail
from runs_tui.sanitize import inert, truncate
from runs_tui.timeline import (
    EXPIRED_GLYPH,
    GLYPHS,
    QUEUED,
    TRACK_GLYPH,
    SegmentKind,
    axis_ticks,
    bars,
    breakdown,
    draw_bar,
    entries,
    run_end,
    run_start,
    to_column,
)
from runs_tui.widgets.step_list import STEP_GLYPHS

KIND_STYLES = {SegmentKind.EXECUTING: "cyan", SegmentKind.WAITING: "yellow"}
EXPIRED_STYLE = "bold red"
EVENT_STYLES = {EventType.INPUT_EXPIRED: "bold red", EventType.AUDIT: "dim italic"}
SHARE_BAR_CELLS = 20
MAX_EVENTS = 2000


class DetailView(Widget):
    """A view of one run's detail measured against the service's clock: the timeline screen
    sets `detail`, and each view redraws (and re-measures active runs) from it. The layout
    rule below applies to every subclass (Textual matches CSS type names up the hierarchy)."""

    DEFAULT_CSS = """
    DetailView { height: auto; padding: 0 1; }
    """

    detail: reactive[RunDetail | None] = reactive(None, layout=True)

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now


class TimelineChart(DetailView):
    """One row per started step, a shared time axis, and a legend."""

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        if self.detail is None:
            return 1
        step_bars = bars(self.detail, self._now())
        return len(step_bars) + 3 + any(bar.expired_at is not None for bar in step_bars)

    def render(self) -> Text:
        detail = self.detail
        if detail is None:
            return Text("No timeline yet", style="dim italic")
        now = self._now()
        step_bars = bars(detail, now)
        if not step_bars:
            return Text("No step has started yet.", style="dim italic")
        width = self.content_region.width or self.size.width
        label_width = max(12, min(30, width // 3))
        axis_width = max(10, width - label_width - 1)
        origin, span = run_start(detail), run_end(detail, now) - run_start(detail)
        lines = [self._axis(label_width, axis_width, span)]
        for bar in step_bars:
            line = Text(no_wrap=True, overflow="ellipsis")
            label = truncate(f"{STEP_GLYPHS[bar.status]} {inert(bar.title)}", label_width - 1)
            line.append(label.ljust(label_width))
            expired = (
                to_column(bar.expired_at, origin, span, axis_width)
                if bar.expired_at is not None
                else None
            )
            for column, kind in enumerate(draw_bar(bar, origin, span, axis_width)):
                if column == expired:
                    line.append(EXPIRED_GLYPH, style=EXPIRED_STYLE)
                elif kind is None:
                    line.append(TRACK_GLYPH, style="dim")
                else:
                    line.append(GLYPHS[kind], style=KIND_STYLES[kind])
            lines.append(line)
        any_expired = any(bar.expired_at is not None for bar in step_bars)
        lines.append(self._legend(label_width, expired=any_expired))
        return Text("\n").join(lines)

    @staticmethod
    def _axis(label_width: int, axis_width: int, span) -> Text:  # type: ignore[no-untyped-def]
        cells = [" "] * axis_width
        for column, label in axis_ticks(span, axis_width):
            start = min(column, max(0, axis_width - len(label)))
            for offset, char in enumerate(label):
                cells[start + offset] = char
        text = Text(no_wrap=True)
        text.append("Step".ljust(label_width), style="bold")
        text.append("".join(cells), style="dim")
        return text

    @staticmethod
    def _legend(label_width: int, *, expired: bool = False) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" " * label_width)
        text.append(GLYPHS[SegmentKind.EXECUTING], style=KIND_STYLES[SegmentKind.EXECUTING])
        text.append(" executing   ")
        text.append(GLYPHS[SegmentKind.WAITING], style=KIND_STYLES[SegmentKind.WAITING])
        text.append(" waiting for input   ")
        text.append(TRACK_GLYPH, style="dim")
        text.append(" not running")
        if expired:  # only where it happened, on a line of its own: the usual legend stays
            text.append("\n" + " " * label_width)
            text.append(EXPIRED_GLYPH, style=EXPIRED_STYLE)
            text.append(" a prompt expired: no answer before its deadline")
        return text


class BreakdownView(DetailView):
    """Total duration split into queued, executing per phase, waiting, between steps."""

    def render(self) -> Table | Text:
        if self.detail is None:
            return Text("")
        result = breakdown(self.detail, self._now())
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(no_wrap=True)
        for share in result.shares:
            if share.key == QUEUED:  # before the start: outside the run's duration
                table.add_row(
                    Text("Queued before start", style="dim"), format_span(share.duration), "", ""
                )
                continue
            cells = round(share.percent / 100 * SHARE_BAR_CELLS)
            glyph = (
                GLYPHS[SegmentKind.WAITING]
                if share.key == "waiting"
                else GLYPHS[SegmentKind.EXECUTING]
            )
            table.add_row(
                share.label,
                format_span(share.duration),
                f"{share.percent:5.1f}%",
                Text(glyph * cells, style="yellow" if share.key == "waiting" else "cyan"),
            )
        active = "" if self.detail.finished_at else " so far"
        table.add_row(
            Text("Total" + active, style="bold"),
            Text(format_span(result.ran), style="bold"),
            "100.0%",
            "",
        )
        return table


class EventList(DetailView):
    """The run's events in order: offset from creation, clock time, what happened."""

    def render(self) -> Table | Text:
        if self.detail is None:
            return Text("")
        rows = entries(self.detail)
        if not rows:
            return Text("No events recorded.", style="dim italic")
        now = self._now()
        shown = rows[:MAX_EVENTS]
        # The time columns keep their width: a long entry is cut, never the times beside it.
        offsets = max(len("+" + format_span(entry.offset)) for entry in shown)
        clocks = max(len(clock_time(entry.at, now)) for entry in shown)
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", no_wrap=True, style="dim", min_width=offsets)
        table.add_column(no_wrap=True, style="dim", min_width=clocks)
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        for entry in shown:
            style = EVENT_STYLES.get(entry.kind, "") if entry.kind else ""
            table.add_row(
                "+" + format_span(entry.offset),
                clock_time(entry.at, now),
                Text(
                    truncate(inert(entry.text), 300),
                    style=style,
                    no_wrap=True,
                    overflow="ellipsis",
                ),
            )
        if len(rows) > MAX_EVENTS:
            table.add_row(
                "", "", Text(f"… {len(rows) - MAX_EVENTS} more (see the export)", style="dim")
            )
        return table
