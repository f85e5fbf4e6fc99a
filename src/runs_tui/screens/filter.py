"""The filter screen: status, type, time range and flow/guide name, applied to the list.

It edits a copy of the list's `RunFilter` and dismisses with the new value (or None when
cancelled), so the list screen stays the single owner of the query. A custom range is validated
here, with a message naming the bad field, because a silently ignored date would show the
operator a list they did not ask for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, time, timedelta, tzinfo
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Label, RadioSet, Static

from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.models.lifecycle import RunKind
from runs_tui.widgets.choice_row import ChoiceButton, ChoiceRow
from runs_tui.widgets.status_picker import StatusPicker
from runs_tui.widgets.text_inputs import Input

DATE_HELP = "YYYY-MM-DD or YYYY-MM-DD HH:MM"
_TIME_CHOICES: tuple[TimePreset, ...] = (
    TimePreset.LAST_24H,
    TimePreset.LAST_7D,
    TimePreset.LAST_30D,
    TimePreset.ALL,
    TimePreset.CUSTOM,
)
_TIME_LABELS = {
    TimePreset.LAST_24H: "24 hours",
    TimePreset.LAST_7D: "7 days",
    TimePreset.LAST_30D: "30 days",
    TimePreset.ALL: "All time",
    TimePreset.CUSTOM: "Custom range",
}
_KIND_CHOICES: tuple[tuple[str, RunKind | None], ...] = (
    ("All", None),
    ("Flows", RunKind.FLOW),
    ("Guides", RunKind.GUIDE),
)


class BadDate(ValueError):
    """A custom-range field the operator must correct; the message says how."""


def parse_moment(text: str, tz: tzinfo | None, *, end_of_day: bool) -> datetime | None:
    """A typed date or date-time in the display time zone; empty means open-ended.

    A bare date as the end of a range means the whole of that day (up to the next midnight).
    """
    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d" and end_of_day:
            parsed = datetime.combine(parsed.date() + timedelta(days=1), time())
        return parsed.replace(tzinfo=tz) if tz else parsed.astimezone()
    raise BadDate(f"“{text}” is not a date: use {DATE_HELP}")


def custom_range(start_text: str, end_text: str, tz: tzinfo | None) -> TimeRange:
    """Validate both fields of a custom range; raises `BadDate` with the field named."""
    try:
        start = parse_moment(start_text, tz, end_of_day=False)
    except BadDate as error:
        raise BadDate(f"From: {error}") from None
    try:
        end = parse_moment(end_text, tz, end_of_day=True)
    except BadDate as error:
        raise BadDate(f"To: {error}") from None
    if start is None and end is None:
        raise BadDate(f"A custom range needs a From or a To date ({DATE_HELP}).")
    if start is not None and end is not None and start >= end:
        raise BadDate("From must be before To.")
    return TimeRange(TimePreset.CUSTOM, start, end)


class FilterScreen(ModalScreen[RunFilter | None]):
    """Edit the list's filter. Enter in a field applies; escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
    ]

    DEFAULT_CSS = """
    FilterScreen { align: center middle; }
    FilterScreen > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    FilterScreen VerticalScroll { height: auto; max-height: 1fr; }
    FilterScreen #filter-title { text-style: bold; }
    FilterScreen Label { color: $text-muted; }
    FilterScreen ChoiceRow:focus { background: $boost; }
    FilterScreen #custom-range { height: auto; }
    FilterScreen #custom-range Input { width: 1fr; }
    FilterScreen #filter-error { color: $error; height: auto; }
    FilterScreen #filter-buttons { height: auto; align-horizontal: right; }
    FilterScreen Button { margin-left: 1; }
    """

    def __init__(
        self, current: RunFilter, *, names: Iterable[str] = (), tz: tzinfo | None = None
    ) -> None:
        super().__init__()
        self.current = current
        self.names = sorted(set(names), key=str.lower)
        self.tz = tz

    def compose(self) -> ComposeResult:
        current = self.current
        with Vertical():
            yield Static("Filter runs", id="filter-title")
            with VerticalScroll():
                yield Label("Status (space ticks; several at once; none ticked = all)")
                yield StatusPicker(current.statuses, id="filter-status")
                yield Label("Type (←/→ choose)")
                yield ChoiceRow(
                    *(
                        ChoiceButton(label, value=kind is current.kind, id=f"kind-{label.lower()}")
                        for label, kind in _KIND_CHOICES
                    ),
                    id="filter-kind",
                )
                yield Label('Time range (the "last …" ranges also show every run still active)')
                yield ChoiceRow(
                    *(
                        ChoiceButton(
                            _TIME_LABELS[preset],
                            value=preset is current.time.preset,
                            id=f"time-{preset.value}",
                        )
                        for preset in _TIME_CHOICES
                    ),
                    id="filter-time",
                )
                with Horizontal(id="custom-range"):
                    yield Input(
                        self._moment_text(current.time.start),
                        placeholder=f"From: {DATE_HELP}",
                        id="filter-from",
                    )
                    yield Input(
                        self._moment_text(current.time.end),
                        placeholder=f"To: {DATE_HELP}",
                        id="filter-to",
                    )
                yield Label("Flow / guide name contains")
                yield Input(
                    current.name,
                    placeholder="e.g. database health",
                    suggester=SuggestFromList(self.names, case_sensitive=False),
                    id="filter-name",
                )
                yield Static("", id="filter-error", markup=False)
            with Horizontal(id="filter-buttons"):
                yield Button("Apply", variant="primary", id="filter-apply")
                yield Button("Reset", id="filter-reset")
                yield Button("Cancel", id="filter-cancel")

    def on_mount(self) -> None:
        self._show_custom(self.current.time.preset is TimePreset.CUSTOM)
        self.query_one("#filter-status", StatusPicker).focus()

    def _moment_text(self, moment: datetime | None) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    def _show_custom(self, show: bool) -> None:
        self.query_one("#custom-range").display = show

    @on(RadioSet.Changed, "#filter-time")
    def _time_changed(self, event: RadioSet.Changed) -> None:
        self._show_custom(event.pressed.id == f"time-{TimePreset.CUSTOM.value}")

    def build_filter(self) -> RunFilter:
        """The filter the form describes; raises `BadDate` for a bad custom range."""
        kind_button = self.query_one("#filter-kind", RadioSet).pressed_button
        kind = dict((f"kind-{label.lower()}", k) for label, k in _KIND_CHOICES).get(
            kind_button.id if kind_button else "", None
        )
        time_button = self.query_one("#filter-time", RadioSet).pressed_button
        preset = (
            TimePreset((time_button.id or "time-24h").removeprefix("time-"))
            if time_button
            else TimePreset.LAST_24H
        )
        if preset is TimePreset.CUSTOM:
            time_range = custom_range(
                self.query_one("#filter-from", Input).value,
                self.query_one("#filter-to", Input).value,
                self.tz,
            )
        else:
            time_range = TimeRange(preset)
        return replace(
            self.current,
            statuses=self.query_one("#filter-status", StatusPicker).statuses,
            kind=kind,
            time=time_range,
            name=self.query_one("#filter-name", Input).value.strip(),
        )

    @on(Button.Pressed, "#filter-apply")
    @on(Input.Submitted)
    def action_apply(self) -> None:
        error = self.query_one("#filter-error", Static)
        try:
            result = self.build_filter()
        except BadDate as bad:
            error.update(str(bad))
            return
        self.dismiss(result)

    @on(Button.Pressed, "#filter-reset")
    def action_reset(self) -> None:
        """Back to the default view: active + last 24 hours, every status and type."""
        self.dismiss(RunFilter(sort=self.current.sort, descending=self.current.descending))

    @on(Button.Pressed, "#filter-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
