"""The top of the run detail screen: what run this is, how it is doing, and how fresh that is.

Name, type, status (glyph + label), trigger, start, duration (ticking while active), outcome and
root cause once known, the flow's or guide's recent record ("3 of the last 10 runs failed":
is this run a one-off or the runbook breaking?) when the screen gives a way to read it, and,
when the detail shown is not fresh from the backend, its age. Every backend value goes through
`inert` into a `Text`; nothing is markup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.geometry import Region
from textual.reactive import reactive
from textual.widget import Widget

from runs_tui.formatting import (
    NO_DURATION,
    clock_time,
    due_words,
    format_span,
    run_elapsed,
    run_is_ticking,
)
from runs_tui.models.domain import EventType, RunDetail, RunSummary
from runs_tui.models.status import RunStatus
from runs_tui.sanitize import inert, truncate
from runs_tui.widgets.status_badge import status_text

NAME_CELLS = 160
SHORT_ID = 12
RESULT_CELLS = 300

__all__ = ["RunHeader", "run_duration"]


CANCELLED_BY = "cancelled by "


def cancelled_by(run: RunSummary) -> str:
    """Who cancelled the run: the cancel's status event names them; a summary without events
    still has the backend's `error`, "cancelled by <actor>". Empty when nobody is named."""
    if isinstance(run, RunDetail):
        for event in reversed(run.events):
            if event.type is EventType.STATUS_CHANGED and event.data.get("to") == "cancelled":
                return str(event.data.get("actor") or "")
    error = run.error or ""
    return error[len(CANCELLED_BY) :] if error.startswith(CANCELLED_BY) else ""


def _cancel_line(run: RunSummary, now: datetime) -> Text | None:
    """ "Cancelled by carol at 17:54:10": a cancelled run says who stopped it and when, on the
    screen the other operators look at, not only in the timeline."""
    if run.status is not RunStatus.CANCELLED:
        return None
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("Cancelled", style="bold")
    actor = cancelled_by(run)
    if actor:
        line.append(" by ")
        line.append(truncate(inert(actor), NAME_CELLS), style="bold")
    if run.finished_at is not None:
        line.append(" at " + clock_time(run.finished_at, now))
    return line


def short_id(run_id: str) -> str:
    """The run id as the header shows it: ids up to 12 characters whole, longer ones (32 hex
    digits) as their first 8, a prefix every id-taking command and Go to run accept."""
    return inert(run_id if len(run_id) <= SHORT_ID else run_id[:8])


def run_duration(run: RunSummary, now: datetime) -> str:
    """`run_elapsed` in the detail's style (tenths under 10 s); "—" when there is none."""
    spent = run_elapsed(run, now)
    return NO_DURATION if spent is None else format_span(spent)


def header_facts(run: RunSummary | None) -> tuple[object, ...]:
    """Everything of a run the header draws apart from the clock: a new detail of the same
    run with the same facts (another line of output) leaves the header as it is."""
    if run is None:
        return ()
    return (
        run.id,
        run.name,
        run.kind,
        run.status,
        run.trigger,
        run.created_at,
        run.started_at,
        run.finished_at,
        run.scheduled_for,
        run.outcome,
        run.root_cause,
        run.error,
        cancelled_by(run),
    )


class RunHeader(Widget):
    """Renders a `RunSummary` (a `RunDetail` is one) and the freshness of what is shown."""

    DEFAULT_CSS = """
    RunHeader {
        height: auto;
        padding: 0 1;
        background: $boost;
        border-bottom: solid $primary 40%;
    }
    """

    run: reactive[RunSummary | None] = reactive(None, layout=True)
    freshness: reactive[str] = reactive("", layout=True)

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        record: Callable[[RunSummary], str] | None = None,
        id: str | None = None,
    ) -> None:
        """`record` gives the words of the run's flow or guide's recent record (read when the
        run shown changes, not on every tick: it is a cache query)."""
        super().__init__(id=id)
        self._now = now
        self._record = record
        self._record_words: tuple[tuple[str, int, str], str] | None = None

    def show(self, run: RunSummary) -> None:
        """Show `run`, redrawing only when a fact the header draws changed (the duration
        ticks on its own: `tick`)."""
        if header_facts(run) == header_facts(self.run):
            self.set_reactive(RunHeader.run, run)
        else:
            self.run = run

    def tick(self) -> None:
        """Redraw the timing line alone (the duration counting), not the whole header."""
        if self.run is not None:
            self.refresh(Region(0, 1, self.size.width, 1))

    def render(self) -> Text:
        run = self.run
        if run is None:
            return Text(self.freshness or "Loading run…", style="italic")
        now = self._now()
        lines = [self._title_line(run), self._timing_line(run, now)]
        for extra in (self._result_line(run), _cancel_line(run, now), self._record_line(run)):
            if extra is not None:
                lines.append(extra)
        if self.freshness:
            lines.append(Text(self.freshness, style="italic yellow"))
        return Text("\n").join(lines)

    def _title_line(self, run: RunSummary) -> Text:
        """Id, name, kind, status on one row: the status narrows ("Waiting (Remediation)")
        before the row would wrap, and a name too long for the row is cut with an ellipsis."""
        width = self.content_size.width or NAME_CELLS
        for short in (False, True):
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(short_id(run.id) + "  ", style="dim")
            line.append(truncate(inert(run.name), NAME_CELLS), style="bold")
            line.append("  ·  ")
            line.append(run.kind.value.capitalize())
            line.append("  ·  ")
            line.append_text(status_text(run.status, short=short))
            if line.cell_len <= width:
                return line
        line.truncate(width, overflow="ellipsis")
        return line

    def _timing_line(self, run: RunSummary, now: datetime) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        actor = truncate(inert(run.trigger.actor), NAME_CELLS) if run.trigger.actor else ""
        line.append("Trigger ", style="dim")
        line.append(run.trigger.kind.value + (f": {actor}" if actor else ""))
        if run.status is RunStatus.SCHEDULED_FOR_EXECUTION and run.scheduled_for is not None:
            line.append("   " + due_words(run.scheduled_for, now))
            return line
        line.append("   Started ", style="dim")
        line.append(clock_time(run.started_at or run.created_at, now))
        line.append("   Duration ", style="dim")
        line.append(run_duration(run, now) + (" ⏱" if run_is_ticking(run) else ""))
        return line

    def _record_line(self, run: RunSummary) -> Text | None:
        if self._record is None:
            return None
        shown = (run.id, run.version, run.status.value)
        if self._record_words is None or self._record_words[0] != shown:
            self._record_words = (shown, self._record(run))
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{run.kind.value.capitalize()} record ", style="dim")
        line.append(self._record_words[1])
        return line

    def _result_line(self, run: RunSummary) -> Text | None:
        if not (run.outcome or run.root_cause):
            return None
        line = Text()
        if run.outcome:
            line.append("Outcome ", style="dim")
            line.append(truncate(inert(run.outcome), RESULT_CELLS), style="bold")
        if run.root_cause:
            line.append("   Root cause " if run.outcome else "Root cause ", style="dim")
            line.append(truncate(inert(run.root_cause), RESULT_CELLS))
        return line
