"""The timeline of one run: where its time went.

Three parts, top to bottom so they read in any width: the duration breakdown (queued, executing
per phase, waiting for input, between steps — time and percent), the steps as bars on one time
axis (waits drawn `░`, execution `█`), and the chronological event list. Reads the cached
detail; follows `RunsChanged` (the detail screen underneath fetches) and ticks while active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from runs_tui.errors import ClientError
from runs_tui.messages import RunsChanged
from runs_tui.models.domain import RunDetail
from runs_tui.widgets.run_header import RunHeader
from runs_tui.widgets.timeline_chart import BreakdownView, EventList, TimelineChart

if TYPE_CHECKING:
    from runs_tui.service import RunsService


class TimelineScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,t", "back", "Back", id="timeline.back"),
        Binding("j", "scroll(1)", "Down", show=False, id="timeline.down"),
        Binding("k", "scroll(-1)", "Up", show=False, id="timeline.up"),
        Binding("u", "refresh", "Refresh", id="timeline.refresh"),
    ]

    DEFAULT_CSS = """
    TimelineScreen .section { text-style: bold; padding: 0 1; margin-top: 1; color: $accent; }
    TimelineScreen #timeline-body { height: 1fr; }
    """

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.detail: RunDetail | None = None
        self._covered = False  # another screen was pushed over this one

    @property
    def service(self) -> RunsService:
        return self.app.service  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        now = self.service.now
        yield RunHeader(now, id="header")
        with VerticalScroll(id="timeline-body"):
            yield Static(Text("Duration breakdown"), classes="section")
            yield BreakdownView(now, id="breakdown")
            yield Static(Text("Steps on one time axis (from creation)"), classes="section")
            yield TimelineChart(now, id="chart")
            yield Static(Text("Events"), classes="section")
            yield EventList(now, id="events")
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.set_interval(1.0, self._tick)
        self.query_one("#timeline-body").focus()

    def load(self) -> None:
        cached = self.service.cache.get_detail(self.run_id)
        header = self.query_one(RunHeader)
        if cached is None:
            header.run = self.service.cache.get_run(self.run_id)
            header.freshness = "No detail cached for this run yet."
            return
        self.show(cached.detail)

    def show(self, detail: RunDetail) -> None:
        self.detail = detail
        self.query_one(RunHeader).run = detail
        for widget in (
            self.query_one(BreakdownView),
            self.query_one(TimelineChart),
            self.query_one(EventList),
        ):
            widget.detail = detail

    def _tick(self) -> None:
        if self.detail is not None and not self.detail.status.is_terminal:
            for widget in (
                self.query_one(RunHeader),
                self.query_one(BreakdownView),
                self.query_one(TimelineChart),
            ):
                widget.refresh(layout=True)

    def on_screen_suspend(self) -> None:
        self._covered = True

    def on_screen_resume(self) -> None:
        """Back on top after another screen covered this one: a covered screen gets no live
        messages (`RunsApp.broadcast`), so fetch what may have changed meanwhile."""
        if self._covered:
            self._covered = False
            self.load()
            self.fetch()

    def on_runs_changed(self, message: RunsChanged) -> None:
        if message.full or self.run_id in message.run_ids:
            self.load()
            self.fetch()

    @work(exclusive=True, group="timeline-fetch", exit_on_error=False)
    async def fetch(self, *, report: bool = False) -> None:
        """The fresh detail (its events) from the backend; offline, the cached one stays."""
        try:
            cached = await self.service.refresh_detail(self.run_id)
        except ClientError as error:
            if report:
                self.notify(
                    error.explain(), title="Not refreshed", severity="warning", markup=False
                )
            return
        if cached is not None:
            self.show(cached.detail)

    def action_refresh(self) -> None:
        self.fetch(report=True)

    def action_scroll(self, delta: int) -> None:
        body = self.query_one("#timeline-body", VerticalScroll)
        body.scroll_relative(y=delta, animate=False)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
