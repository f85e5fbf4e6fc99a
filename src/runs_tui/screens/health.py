"""The health of flows and guides: every one of them over a window, getting worse first.

One key from anywhere (`H`) opens it. Each line is a flow or guide with, over the window
(`1` 24 h, `2` 7 days, `3` 30 days, `c` a custom range): its runs, success rate, failures,
partials and cancels, the median and p95 duration, the mean time to resolution, its
unresolved failures and the trend of its failure rate against the window before; then the
outcomes of its last 30 runs, one character each. The panel under the list says all of it for
the selected line in words, with the durations of those 30 runs as bars. Enter opens the runs
list filtered to that flow or guide over the same window.

Why lines of text rather than a DataTable: the columns are chosen for the terminal's width
(at 80 columns the sparklines and the times move to the panel), and every cell must read
without colour (NO_COLOR, tmux over SSH): glyphs and arrows carry the meaning, style only
repeats it. The figures come from the cache (`RunsService.health`), so the screen opens
offline too; live changes re-read it, paced like the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from runs_tui.flow_health import HealthReport, duration, percent, span_words, trend_words
from runs_tui.messages import RunsChanged, SyncStatusChanged
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.models.health import DefinitionHealth, DefinitionKey, HealthWindow
from runs_tui.sanitize import inert, truncate
from runs_tui.screens.base import ServiceScreen
from runs_tui.screens.reload_pacer import ReloadPacer
from runs_tui.widgets.app_header import AppHeader
from runs_tui.widgets.key_footer import KeyFooter
from runs_tui.widgets.text_inputs import Input

WIDE = 118  # from this many columns the table has its times and sparkline
WINDOW_WORDS = {
    HealthWindow.LAST_24H: "last 24 hours",
    HealthWindow.LAST_7D: "last 7 days",
    HealthWindow.LAST_30D: "last 30 days",
    HealthWindow.CUSTOM: "custom range",
}
KIND_MARK = {"flow": "F", "guide": "G"}


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    right: bool = True


NARROW_COLUMNS = (
    Column("NAME", 26, right=False),
    Column("RUNS", 5),
    Column("OK%", 4),
    Column("FAIL", 4),
    Column("PART", 4),
    Column("CANC", 4),
    Column("UNRES", 5),
    Column("TREND", 6),
)
WIDE_COLUMNS = (
    *NARROW_COLUMNS[:6],
    Column("P50", 7),
    Column("P95", 7),
    Column("MTTR", 7),
    *NARROW_COLUMNS[6:],
    Column("LAST 30", 30, right=False),
)


def cells(line: DefinitionHealth, wide: bool) -> list[str]:
    counts = line.counts
    name = f"{KIND_MARK[line.key.kind.value]} {inert(line.key.name)}"
    narrow = [
        name,
        str(counts.runs),
        percent(counts.success_rate),
        str(counts.failed),
        str(counts.partial),
        str(counts.cancelled),
        str(line.unresolved),
        trend_words(line),
    ]
    if not wide:
        return narrow
    times = [duration(line.p50), duration(line.p95), duration(line.mttr)]
    return [*narrow[:6], *times, *narrow[6:], line.outcome_marks]


def _fit(text: str, column: Column) -> str:
    text = truncate(text, column.width) if len(text) > column.width else text
    return text.rjust(column.width) if column.right else text.ljust(column.width)


def header_text(wide: bool) -> Text:
    columns = WIDE_COLUMNS if wide else NARROW_COLUMNS
    return Text(" ".join(_fit(c.title, c) for c in columns).rstrip(), style="bold")


def line_text(line: DefinitionHealth, wide: bool) -> Text:
    """One line; a trend up and unresolved failures are bold (the arrow and count say it)."""
    columns = WIDE_COLUMNS if wide else NARROW_COLUMNS
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, (cell, column) in enumerate(zip(cells(line, wide), columns)):
        if index:
            text.append(" ")
        style = ""
        if column.title == "TREND" and cell.startswith("▲"):
            style = "bold"
        elif column.title == "UNRES" and line.unresolved:
            style = "bold"
        text.append(_fit(cell, column), style=style)
    return text


def panel_text(line: DefinitionHealth, window: HealthWindow) -> Text:
    """Every figure of the selected line in words, and its two 30-run sparklines."""
    counts = line.counts
    kind = line.key.kind.value
    resolved = (
        f"MTTR {duration(line.mttr)} ({line.resolutions} resolved)"
        if line.resolutions
        else "nothing resolved"
    )
    text = Text()
    text.append(f"{inert(line.key.name)} ({kind})", style="bold")
    text.append(
        f" · {WINDOW_WORDS[window]}: {counts.runs} runs · {percent(counts.success_rate)} success"
        f" · {counts.failed} failed · {counts.partial} partial · {counts.cancelled} cancelled"
        f" · p50 {duration(line.p50)} · p95 {duration(line.p95)} · {resolved}"
        f" · {line.unresolved} unresolved · failure rate {percent(counts.failure_rate)}"
        f" (before {percent(line.previous.failure_rate)}, {trend_words(line)})\n"
    )
    text.append(f"last {len(line.latest)} outcomes  ")
    text.append(line.outcome_marks or "none yet")
    text.append("  (✓ success ✗ failure ◐ partial ⊘ cancelled ∅ no steps · running)\n")
    text.append(f"last {len(line.latest)} durations ")
    text.append(line.duration_bars or "none yet")
    text.append(f"  enter: the runs of this {kind} in the list")
    return text


class HealthScreen(ServiceScreen):
    """Every flow and guide over a window, getting worse first; Enter lists its runs."""

    help_title = "Health of flows and guides"
    RELOADS_PER_SECOND: ClassVar[float] = 2.0

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,H", "back", "Back", id="health.back"),
        Binding("1", "window('24h')", "24h", id="health.window_24h"),
        Binding("2", "window('7d')", "7d", id="health.window_7d"),
        Binding("3", "window('30d')", "30d", id="health.window_30d"),
        Binding("c", "custom_window", "Custom", id="health.window_custom"),
        Binding("u", "refresh", "Refresh", show=False, id="health.refresh"),
    ]

    DEFAULT_CSS = """
    HealthScreen #health-title { height: 1; padding: 0 1; background: $primary 15%; }
    HealthScreen #health-columns { height: 1; padding: 0 1; }
    HealthScreen OptionList, HealthScreen OptionList:focus { height: 1fr; border: none;
        padding: 0 1; }
    HealthScreen #health-panel { height: auto; max-height: 7; padding: 0 1;
        border-top: solid $primary 40%; }
    """

    def __init__(self, window: HealthWindow = HealthWindow.LAST_7D) -> None:
        super().__init__()
        self.window = window
        self.custom: tuple[datetime, datetime | None] | None = None
        self.report: HealthReport | None = None
        self._wide: bool | None = None
        self._pacer = ReloadPacer(self, lambda: self.reload(), self.RELOADS_PER_SECOND)

    def compose(self) -> ComposeResult:
        service = self.service
        yield AppHeader(
            service.profile_label or "default", service.backend_label or "local cache", id="header"
        )
        yield Static("", id="health-title")
        yield Static("", id="health-columns")
        yield OptionList(id="health-lines")
        yield Static("", id="health-panel")
        yield KeyFooter()

    @property
    def lines(self) -> OptionList:
        return self.query_one("#health-lines", OptionList)

    def on_mount(self) -> None:
        header = self.query_one(AppHeader)
        header.key_hint = self.runs_app.inbox_key_hint()
        self.lines.focus()
        self.reload()
        self.refresh_app_header()
        self.set_interval(1.0, self.refresh_app_header)

    def on_resize(self, event: Resize) -> None:
        if self.report is not None and self._is_wide() != self._wide:
            self.show(self.report)

    def _is_wide(self) -> bool:
        return self.size.width >= WIDE

    # --- reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the figures in a worker (a thread with its own cache connection): the latest
        request wins, and the screen keeps answering keys while a big cache is read."""
        if self.report is None:
            self.query_one("#health-title", Static).update(
                Text(f"Health of flows and guides · {WINDOW_WORDS[self.window]} · reading…")
            )
        self._read(self.window, self.custom)

    @work(exclusive=True, group="health", exit_on_error=False)
    async def _read(
        self, window: HealthWindow, custom: tuple[datetime, datetime | None] | None
    ) -> None:
        start, end = custom if custom else (None, None)
        report = await self.service.read_health(window, start, end)
        if window is self.window and custom == self.custom:
            self.show(report)

    def catch_up(self) -> None:
        self.reload()

    def on_runs_changed(self, message: RunsChanged) -> None:
        """A run started, moved, finished or went: the figures follow (paced)."""
        self._pacer.request()

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self.sync_status = message.event.status
        self.refresh_app_header()

    # --- showing ----------------------------------------------------------------------------

    def show(self, report: HealthReport) -> None:
        """Re-fill the lines; the cursor stays on its flow or guide."""
        kept = self.selected_key()
        self.report = report
        self._wide = wide = self._is_wide()
        now = self.service.now()
        unresolved = report.unresolved
        parts = [
            "Health of flows and guides" if wide else "Health",
            WINDOW_WORDS[report.window],
            f"{unresolved} unresolved failure{'s' if unresolved != 1 else ''}",
            "getting worse first" if wide else "worse first",
        ]
        if wide:
            parts.append(span_words(report.span, now))
        title = " · ".join(parts)
        self.query_one("#health-title", Static).update(Text(title))
        self.query_one("#health-columns", Static).update(header_text(wide))
        options = self.lines
        options.clear_options()
        if not report.lines:
            self.query_one("#health-panel", Static).update(
                Text("No flow or guide in the cache yet: their runs are counted once synced.")
            )
            return
        options.add_options(
            [
                Option(line_text(line, wide), id=f"line-{index}")
                for index, line in enumerate(report.lines)
            ]
        )
        keys = [line.key for line in report.lines]
        options.highlighted = keys.index(kept) if kept in keys else 0
        self._show_panel()

    def selected(self) -> DefinitionHealth | None:
        if self.report is None or not self.report.lines:
            return None
        highlighted = self.lines.highlighted
        if highlighted is None or highlighted >= len(self.report.lines):
            return None
        return self.report.lines[highlighted]

    def selected_key(self) -> DefinitionKey | None:
        line = self.selected()
        return None if line is None else line.key

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._show_panel()

    def _show_panel(self) -> None:
        line = self.selected()
        if line is not None:
            self.query_one("#health-panel", Static).update(panel_text(line, self.window))

    # --- actions ----------------------------------------------------------------------------

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        """Enter: the runs list filtered to this flow or guide, over the same window."""
        line = self.selected()
        if line is None:
            return
        self.runs_app.show_filter(self.runs_filter(line.key))

    def runs_filter(self, key: DefinitionKey) -> RunFilter:
        if self.window is HealthWindow.CUSTOM and self.custom is not None:
            start, end = self.custom
            time = TimeRange(TimePreset.CUSTOM, start, end)
        else:
            preset = {
                HealthWindow.LAST_24H: TimePreset.LAST_24H,
                HealthWindow.LAST_7D: TimePreset.LAST_7D,
                HealthWindow.LAST_30D: TimePreset.LAST_30D,
            }.get(self.window, TimePreset.LAST_7D)
            time = TimeRange(preset)
        return RunFilter(kind=key.kind, name=key.name, time=time)

    def action_window(self, value: str) -> None:
        self.window = HealthWindow(value)
        self.custom = None
        self.reload()

    @work(exit_on_error=False)
    async def action_custom_window(self) -> None:
        chosen = await self.app.push_screen_wait(CustomWindowDialog(self.service.now()))
        if chosen is None:
            return
        self.window = HealthWindow.CUSTOM
        self.custom = chosen
        self.reload()

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()


class CustomWindowDialog(ModalScreen[tuple[datetime, datetime | None] | None]):
    """From and to (ISO, local time unless a zone is given; an empty "to" means now)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="health_custom.cancel"),
    ]

    DEFAULT_CSS = """
    CustomWindowDialog { align: center middle; }
    CustomWindowDialog > Vertical { width: 60; height: auto; padding: 1 2;
        border: round $primary; background: $surface; }
    CustomWindowDialog Input { margin-bottom: 1; }
    CustomWindowDialog #custom-error { height: auto; text-style: bold; }
    """

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self._now = now

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Custom window — from (YYYY-MM-DD HH:MM)")
            yield Input(id="custom-from", placeholder="2024-05-01 00:00")
            yield Label("to (empty: now)")
            yield Input(id="custom-to", placeholder="now")
            yield Static("", id="custom-error")
            yield Button("Show", id="custom-show", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#custom-from", Input).focus()

    def _moment(self, text: str) -> datetime | None:
        if not text.strip():
            return None
        moment = datetime.fromisoformat(text.strip())
        return moment if moment.tzinfo else moment.replace(tzinfo=self._now.tzinfo)

    @on(Input.Submitted)
    @on(Button.Pressed, "#custom-show")
    def _submit(self) -> None:
        error = self.query_one("#custom-error", Static)
        try:
            start = self._moment(self.query_one("#custom-from", Input).value)
            end = self._moment(self.query_one("#custom-to", Input).value)
        except ValueError:
            error.update(Text("Not a date and time: write it as 2024-05-01 14:00"))
            return
        if start is None:
            error.update(Text("A custom window needs a start."))
            return
        if (end or self._now) <= start:
            error.update(Text("The window must end after it starts."))
            return
        self.dismiss((start, end))

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["CustomWindowDialog", "HealthScreen", "header_text", "line_text", "panel_text"]
