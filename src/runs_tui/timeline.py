"""Where did a run's time go? Step bars on one time axis and the total duration broken down.

The seed's Timeline asks for "when each step started and finished", "wait times for user input"
and the "total duration breakdown". This module turns a `RunDetail` into:

- `bars(detail, now)`: one `StepBar` per step that started, made of `Segment`s that are either
  executing or waiting for input (a step that asks a question runs, waits, then runs again);
- `breakdown(detail, now)`: the run's whole life split into queued, executing per phase,
  waiting for input and "between steps" (deciding, summarizing, hand-overs), so the parts add
  up to the total exactly;
- `entries(detail)`: the chronological event list in words;
- `axis_ticks` / `draw_bar`: the cell-level drawing, kept here so it is tested without a
  terminal and readable for runs of seconds and of days alike.

Pure logic, no Textual. Active runs are measured up to `now` (the service's clock).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from runs_tui.expiry_words import expired_words
from runs_tui.formatting import format_span
from runs_tui.models.domain import (
    AuditAction,
    Event,
    EventType,
    RunDetail,
    Step,
    StepPhase,
    StepStatus,
)
from runs_tui.models.status import RunStatus


class SegmentKind(StrEnum):
    EXECUTING = "executing"
    WAITING = "waiting"


# Glyphs differ in shape, not only colour, so a bar reads under NO_COLOR and in a screenshot.
GLYPHS = {SegmentKind.EXECUTING: "█", SegmentKind.WAITING: "░"}
EMPTY_GLYPH = " "
TRACK_GLYPH = "·"
EXPIRED_GLYPH = "✕"
"""Where a prompt's deadline passed unanswered: a shape of its own, never a wait's end."""


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    kind: SegmentKind

    @property
    def duration(self) -> timedelta:
        return max(self.end - self.start, timedelta(0))


@dataclass(frozen=True)
class StepBar:
    step_id: str
    title: str
    phase: StepPhase
    status: StepStatus
    segments: tuple[Segment, ...]
    expired_at: datetime | None = None  # a prompt of this step expired unanswered then

    @property
    def start(self) -> datetime:
        return self.segments[0].start

    @property
    def end(self) -> datetime:
        return self.segments[-1].end

    def time_in(self, kind: SegmentKind) -> timedelta:
        return sum((s.duration for s in self.segments if s.kind is kind), timedelta(0))


@dataclass(frozen=True)
class Share:
    """One line of the breakdown: a label, its time and its percentage of the total."""

    key: str
    label: str
    duration: timedelta
    percent: float


@dataclass(frozen=True)
class Breakdown:
    """`total` is the run's whole life (creation to finish or now); `ran` leaves out the time
    queued before the start, and is the run's duration everywhere else (the header, the list,
    the CLI): one duration rule. Percentages are of `ran`; queued time has none."""

    total: timedelta
    shares: tuple[Share, ...]

    @property
    def ran(self) -> timedelta:
        queued = self.get(QUEUED)
        return self.total - (queued.duration if queued else timedelta(0))

    def get(self, key: str) -> Share | None:
        return next((s for s in self.shares if s.key == key), None)


@dataclass(frozen=True)
class Entry:
    """One line of the chronological list."""

    at: datetime
    offset: timedelta
    text: str
    step_id: str | None = None
    kind: EventType | None = None


# --- bars ------------------------------------------------------------------------------------


def run_start(detail: RunDetail) -> datetime:
    """The origin of the time axis: creation, so queueing time is visible on the axis."""
    return detail.created_at


def run_end(detail: RunDetail, now: datetime) -> datetime:
    """Finish time, or `now` while the run is active (never before the start)."""
    end = detail.finished_at or now
    return max(end, run_start(detail))


def _waits(detail: RunDetail, step: Step) -> list[tuple[datetime, datetime | None]]:
    """(asked, answered) pairs for a step, from its events when present, else from the prompt
    and response timestamps. `answered` None = still waiting."""
    asked = [
        e.at for e in detail.events if e.step_id == step.id and e.type is EventType.INPUT_REQUESTED
    ]
    answered = [  # an expiry ends the wait too (it is not an answer: see `expired_at`)
        e.at
        for e in detail.events
        if e.step_id == step.id and e.type in (EventType.INPUT_RECEIVED, EventType.INPUT_EXPIRED)
    ]
    if not asked and step.prompt is not None and step.prompt.requested_at is not None:
        asked = [step.prompt.requested_at]
        if step.response is not None and step.response.answered_at is not None:
            answered = [step.response.answered_at]
    pairs: list[tuple[datetime, datetime | None]] = []
    for index, at in enumerate(sorted(asked)):
        pairs.append((at, sorted(answered)[index] if index < len(answered) else None))
    return pairs


def step_segments(detail: RunDetail, step: Step, now: datetime) -> tuple[Segment, ...]:
    """A started step's life as executing / waiting segments, clipped to the run's span."""
    if step.started_at is None:
        return ()
    end = step.finished_at or (
        run_end(detail, now) if not step.status.is_finished else step.started_at
    )
    end = max(end, step.started_at)
    segments: list[Segment] = []
    cursor = step.started_at
    for asked, answered in _waits(detail, step):
        asked = min(max(asked, cursor), end)
        stop = min(answered or end, end)
        if asked > cursor:
            segments.append(Segment(cursor, asked, SegmentKind.EXECUTING))
        segments.append(Segment(asked, max(stop, asked), SegmentKind.WAITING))
        cursor = max(stop, asked)
    if cursor < end or not segments:
        segments.append(Segment(cursor, end, SegmentKind.EXECUTING))
    return tuple(segments)


def bars(detail: RunDetail, now: datetime) -> list[StepBar]:
    """One bar per step that started, in start order (ties keep the definition order)."""
    result = []
    for step in sorted(detail.steps, key=lambda s: s.position):
        segments = step_segments(detail, step, now)
        if segments:
            expired = expired_at(detail, step)
            result.append(StepBar(step.id, step.title, step.phase, step.status, segments, expired))
    result.sort(key=lambda bar: bar.start)
    return result


def expired_at(detail: RunDetail, step: Step) -> datetime | None:
    """When the step's (last) prompt expired unanswered, from its `input_expired` event."""
    times = [
        e.at for e in detail.events if e.step_id == step.id and e.type is EventType.INPUT_EXPIRED
    ]
    return max(times) if times else None


# --- breakdown -------------------------------------------------------------------------------

QUEUED = "queued"
WAITING = "waiting"
BETWEEN = "between"
_PHASE_ORDER = (StepPhase.TRIAGE, StepPhase.REMEDIATION, StepPhase.PROCEDURE)


def _executing_key(phase: StepPhase) -> str:
    return f"executing:{phase.value}"


def breakdown(detail: RunDetail, now: datetime) -> Breakdown:
    """Split creation → finish (or now) into parts that add up to the total exactly.

    Waiting beats executing where intervals overlap, executing beats queued, and any instant no
    step covers is "queued" before the run started and "between steps" after (deciding the
    remediation, summarizing)."""
    origin, end = run_start(detail), run_end(detail, now)
    started = detail.started_at or min((b.start for b in bars(detail, now)), default=end)
    if detail.status is RunStatus.SCHEDULED_FOR_EXECUTION:
        started = end  # waiting for its time: nothing has run yet, it is all before the start
    intervals: list[tuple[datetime, datetime, int, str]] = []
    for bar in bars(detail, now):
        for seg in bar.segments:
            key = WAITING if seg.kind is SegmentKind.WAITING else _executing_key(bar.phase)
            intervals.append((seg.start, seg.end, 2 if key == WAITING else 1, key))
    totals = _sweep(origin, end, min(max(started, origin), end), intervals)
    return _shares(totals, end - origin, detail)


def _sweep(
    origin: datetime,
    end: datetime,
    started: datetime,
    intervals: list[tuple[datetime, datetime, int, str]],
) -> dict[str, timedelta]:
    """Attribute every elementary slice of [origin, end] to its highest-priority interval."""
    points = sorted(
        {
            origin,
            end,
            started,
            *(min(max(t, origin), end) for a, b, _, _ in intervals for t in (a, b)),
        }
    )
    totals: dict[str, timedelta] = {}
    for left, right in zip(points, points[1:]):
        covering = [
            (prio, key) for a, b, prio, key in intervals if a <= left and b >= right and b > a
        ]
        if covering:
            key = max(covering)[1]
        else:
            key = QUEUED if right <= started else BETWEEN
        totals[key] = totals.get(key, timedelta(0)) + (right - left)
    return totals


def _shares(totals: dict[str, timedelta], total: timedelta, detail: RunDetail) -> Breakdown:
    phases_used = {s.phase for s in detail.steps}
    keys = [QUEUED] + [_executing_key(p) for p in _PHASE_ORDER if p in phases_used]
    keys += [WAITING, BETWEEN]
    labels = {QUEUED: "Queued", WAITING: "Waiting for input", BETWEEN: "Between steps"}
    shares = []
    seconds = (total - totals.get(QUEUED, timedelta(0))).total_seconds()
    for key in keys:
        duration = totals.get(key, timedelta(0))
        label = labels.get(key) or f"Executing {key.split(':', 1)[1]}"
        percent = (
            100.0 * duration.total_seconds() / seconds if seconds > 0 and key != QUEUED else 0.0
        )
        shares.append(Share(key, label, duration, percent))
    return Breakdown(total, tuple(shares))


# --- chronological entries -------------------------------------------------------------------


def entries(detail: RunDetail, *, include_output: bool = False) -> list[Entry]:
    """The run's events in order, in words. Tool output chunks are left out by default: the
    detail screen shows output; the timeline is about *when*."""
    titles = {s.id: s.title for s in detail.steps}
    origin = run_start(detail)
    result = []
    for event in sorted(detail.events, key=lambda e: (e.at, e.seq)):
        if event.type is EventType.TOOL_OUTPUT and not include_output:
            continue
        text = describe_event(event, titles.get(event.step_id or "", event.step_id or ""))
        result.append(Entry(event.at, event.at - origin, text, event.step_id, event.type))
    return result


def describe_event(event: Event, step_title: str) -> str:
    """A short sentence for one event. Data values are untrusted: callers make them inert."""
    data = event.data
    step = f"“{step_title}”" if step_title else "step"
    match event.type:
        case EventType.RUN_CREATED:
            return "Run created" + _by(data.get("actor"))
        case EventType.STATUS_CHANGED:
            target = data.get("to") or data.get("status") or ""
            label = RunStatus.label_of(target) or str(target)
            return f"Status → {label}" + _by(data.get("actor"))
        case EventType.STEP_STARTED:
            return f"Started {step}"
        case EventType.STEP_FINISHED:
            status = str(data.get("status", "finished")).replace("_", " ")
            return f"Finished {step}: {status}"
        case EventType.INPUT_REQUESTED:
            return f"Waiting for input on {step}"
        case EventType.INPUT_RECEIVED:
            who = data.get("answered_by") or "someone"
            value = data.get("value")
            said = f": {quoted(str(value))}" if value else ""
            if data.get("expired"):  # on_expiry = default: the system took the defaults
                return f"Deadline passed on {step}: defaults taken by {who}{said}"
            return f"{who} answered {step}{_via(data.get('client'))}{said}"
        case EventType.INPUT_EXPIRED:
            return f"{EXPIRED_GLYPH} {expired_words(data, event.at, event.at)} ({step})"
        case EventType.AUDIT:
            return audit_words(data, step if event.step_id else "")
        case EventType.VARIABLE_SET:
            return f"Variable {data.get('name', '?')} = {data.get('value', '')}"
        case EventType.TOOL_OUTPUT:
            return f"Output from {step}"
    return str(event.type)


AUDIT_VERBS = {
    AuditAction.ANSWER: "answered",
    AuditAction.EXPIRY: "recorded the expiry of",
    AuditAction.CANCEL: "cancelled the run",
    AuditAction.RERUN: "reran the run",
    AuditAction.DELETE: "deleted the run",
    AuditAction.BULK_DELETE: "deleted runs in bulk",
}


def audit_words(data: dict[str, object], step: str) -> str:
    """An audit entry (the event's data): "Audit: alice via dashboard answered “Delete logs”".
    Who and which client are the backend's record, never what a client claimed."""
    try:
        action: AuditAction | None = AuditAction(str(data.get("action")))
    except ValueError:
        action = None
    verb = AUDIT_VERBS.get(action) if action else None  # type: ignore[arg-type]
    words = f"Audit: {data.get('actor') or 'someone'}{_via(data.get('client'))} "
    words += verb or str(data.get("action") or "acted")
    if action in (AuditAction.ANSWER, AuditAction.EXPIRY) and step:
        words += f" {step}"
    return words


def _via(client: object) -> str:
    """ " via cli": which program acted (`X-Runs-Client`), when recorded."""
    return f" via {client}" if client else ""


def quoted(value: str) -> str:
    """An operator's answer as typed, in curly quotes, so a one-word answer ("done") reads as
    what was said and not as part of the sentence."""
    return f"“{value}”"


def _by(actor: object) -> str:
    """The " by <actor>" suffix when the event names who acted (a cancel, a rerun, a start)."""
    return f" by {actor}" if actor else ""


# --- drawing helpers -------------------------------------------------------------------------

_TICK_STEPS = tuple(
    timedelta(seconds=s)
    for s in (
        1,
        2,
        5,
        10,
        15,
        30,
        60,
        120,
        300,
        600,
        900,
        1800,
        3600,
        7200,
        10800,
        21600,
        43200,
        86400,
        2 * 86400,
        7 * 86400,
        14 * 86400,
        30 * 86400,
    )
)


# The timeline's historical name for `format_span`, still imported by its tests.
format_duration = format_span


def tick_label(value: timedelta) -> str:
    """Like `format_span`, without a zero second unit: ticks are round ("12h", "1d")."""
    text = format_span(value)
    for zero in (" 00h", " 00m", " 00s"):
        text = text.removesuffix(zero)
    return text


def axis_ticks(span: timedelta, width: int, min_gap: int = 10) -> list[tuple[int, str]]:
    """(column, label) ticks for an axis `width` cells wide covering `span`, at a round step
    chosen so labels are at least `min_gap` cells apart."""
    if width <= 0:
        return []
    seconds = max(span.total_seconds(), 1e-9)
    max_ticks = max(1, (width - 1) // min_gap)
    step = next((s for s in _TICK_STEPS if seconds / s.total_seconds() <= max_ticks), None)
    if step is None:
        step = timedelta(seconds=seconds / max_ticks)
    ticks = []
    at = timedelta(0)
    while at.total_seconds() <= seconds + 1e-9:
        column = round(at.total_seconds() / seconds * (width - 1))
        ticks.append((column, "0" if not at else tick_label(at)))
        at += step
    return ticks


def to_column(at: datetime, origin: datetime, span: timedelta, width: int) -> int:
    """The cell of an instant on an axis of `width` cells."""
    seconds = span.total_seconds()
    if seconds <= 0 or width <= 1:
        return 0
    fraction = (at - origin).total_seconds() / seconds
    return min(width - 1, max(0, int(fraction * width)))


def draw_bar(
    bar: StepBar, origin: datetime, span: timedelta, width: int
) -> list[SegmentKind | None]:
    """The kind drawn in each of `width` cells (None = empty). Every segment gets at least one
    cell, so a one-second step in a three-day run, or a short wait, is still visible; waiting
    wins a cell it shares with execution because waits are what the operator looks for."""
    cells: list[SegmentKind | None] = [None] * width
    if width <= 0:
        return cells
    for kind in (SegmentKind.EXECUTING, SegmentKind.WAITING):
        for seg in bar.segments:
            if seg.kind is not kind:
                continue
            first = to_column(seg.start, origin, span, width)
            last = max(first, _last_column(seg.end, origin, span, width))
            for column in range(first, last + 1):
                cells[column] = kind
    return cells


def _last_column(end: datetime, origin: datetime, span: timedelta, width: int) -> int:
    """The last cell an interval ending at `end` covers (a cell is covered once entered)."""
    seconds = span.total_seconds()
    if seconds <= 0:
        return 0
    fraction = (end - origin).total_seconds() / seconds
    return min(width - 1, max(0, math.ceil(fraction * width) - 1))
