"""A minimal read-only view of one run, used only until the detail screen (part 2) exists.

Everything shown is untrusted and goes through `inert`, built as `Text`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from runs_tui.messages import RunsChanged
from runs_tui.sanitize import inert
from runs_tui.widgets.run_list import format_duration, run_duration, trigger_label
from runs_tui.widgets.status_badge import status_text

if TYPE_CHECKING:
    from runs_tui.app import RunsApp


class RunSummaryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="summary.back"),
    ]

    def __init__(self, run_id: str, *, focus_prompt: bool = False) -> None:
        super().__init__()
        self.run_id = run_id
        self.focus_prompt = focus_prompt

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        yield Footer()

    def on_mount(self) -> None:
        self._show()

    def on_runs_changed(self, message: RunsChanged) -> None:
        self._show()

    def _show(self) -> None:
        app = cast("RunsApp", self.app)
        run = app.service.cache.get_run(self.run_id)
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        if run is None:
            table.add_row("Run", Text(f"{inert(self.run_id)} is no longer in the cache."))
        else:
            rows = [
                ("Run", Text(inert(run.name))),
                ("Status", status_text(run.status)),
                ("Type", Text(run.kind.value)),
                ("Trigger", Text(trigger_label(run.trigger))),
                ("Started", Text(run.created_at.astimezone(app.tz).strftime("%Y-%m-%d %H:%M:%S"))),
                ("Duration", Text(format_duration(run_duration(run, app.service.now())))),
                ("Current step", Text(inert(run.current_step or "—"))),
                ("Outcome", Text(inert(run.outcome or "—"))),
                ("Error", Text(inert(run.error or "—"))),
                ("Id", Text(inert(run.id))),
            ]
            for label, value in rows:
                table.add_row(label, value)
        self.query_one("#summary", Static).update(table)
