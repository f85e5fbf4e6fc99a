"""The health of one flow or guide over a time window: the figures, from plain rows.

Why pure: the same rules serve the cache's SQL side (`cache/health.py`, which feeds them rows
read through an index), the brute-force count the tests compare it with, the dashboard's health
screen and `runs-tui stats`; none of them may disagree on what "success rate" or "resolved"
means, so the rules live here once, free of SQL and of Textual.

A flow or guide is known by its kind and title (`DefinitionKey`): runs carry the title as their
name, and the list's filter can select by kind and name, so Enter on a line can open exactly
the runs it counted.

The rules (also in the README, "Health of flows and guides"):

- A run belongs to a window when it was *created* in it, `[start, end)`; the previous window is
  the same length just before it. Active runs count as runs, in no outcome.
- Success rate = successes / judged runs, where judged = finished and not cancelled (a cancel
  says nothing about the runbook). Failure rate = (failures + partials) / judged.
- Durations (p50, p95): finished runs with a start, `finished - started`; the nearest-rank
  percentile (the smallest duration with at least p % of them at or below it).
- Resolution: in creation order, a Completed Failure or Completed Partial *opens* an incident
  when none is open; a Completed Success closes it, and its time to resolution is from the
  start of the run that opened it (its creation when it never started) to the success's finish.
  Cancelled, No Steps and active runs neither open nor close one. MTTR over a window is the
  mean over the successes created in the window that closed an incident (which may have opened
  before the window).
- Unresolved: failed or partial runs that no later (by creation) Completed Success of the same
  flow or guide followed, whatever their age: the incident still open now.
- Getting worse first: lines are sorted by the failure rate's rise from the previous window to
  this one (a line with no judged run in either window sorts after every line that has one),
  then by this window's failure rate, then by title.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from runs_tui.models.filters import TimePreset, TimeRange
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

SPARK_RUNS = 30
"""The sparklines show this many of a definition's latest runs."""

FAILED = frozenset({RunStatus.COMPLETED_FAILURE, RunStatus.COMPLETED_PARTIAL})
NOT_JUDGED = frozenset({RunStatus.CANCELLED})

OUTCOME_MARKS: dict[RunStatus | None, str] = {
    RunStatus.COMPLETED_SUCCESS: "✓",
    RunStatus.COMPLETED_FAILURE: "✗",
    RunStatus.COMPLETED_PARTIAL: "◐",
    RunStatus.CANCELLED: "⊘",
    RunStatus.NO_STEPS: "∅",
    None: "·",  # still going
}
"""One cell per run, readable without colour (the status badges' glyphs); `·` = not finished."""

BARS = "▁▂▃▄▅▆▇█"


class HealthWindow(StrEnum):
    """The windows offered by the screen and `runs-tui stats --since`."""

    LAST_24H = "24h"
    LAST_7D = "7d"
    LAST_30D = "30d"
    CUSTOM = "custom"


_SPANS = {
    HealthWindow.LAST_24H: timedelta(hours=24),
    HealthWindow.LAST_7D: timedelta(days=7),
    HealthWindow.LAST_30D: timedelta(days=30),
}


@dataclass(frozen=True)
class Span:
    """A window `[start, end)` in microseconds since the epoch, and the one before it."""

    start: int
    end: int

    @property
    def previous(self) -> Span:
        return Span(self.start - (self.end - self.start), self.start)


def window_span(
    window: HealthWindow,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Span:
    """The span of a preset ending now, or of a custom `[start, end)` (end defaults to now)."""
    from runs_tui.models.ordering import micros

    if window is HealthWindow.CUSTOM:
        if start is None:
            raise ValueError("a custom window needs a start")
        stop = end or now
        if stop <= start:
            raise ValueError("a custom window must end after it starts")
        return Span(micros(start), micros(stop))
    return Span(micros(now - _SPANS[window]), micros(now))


def window_of_range(time: TimeRange) -> HealthWindow | None:
    """The health window matching a list time range, when there is one."""
    return {
        TimePreset.LAST_24H: HealthWindow.LAST_24H,
        TimePreset.LAST_7D: HealthWindow.LAST_7D,
        TimePreset.LAST_30D: HealthWindow.LAST_30D,
    }.get(time.preset)


@dataclass(frozen=True, order=True)
class DefinitionKey:
    kind: RunKind
    name: str


@dataclass(frozen=True)
class HealthRun:
    """What the figures need of a run (times in microseconds since the epoch)."""

    status: RunStatus
    created: int
    started: int | None = None
    finished: int | None = None

    @property
    def duration(self) -> int | None:
        """`finished - started` of a finished run with a start; None otherwise."""
        if self.started is None or self.finished is None or not self.status.is_terminal:
            return None
        return max(0, self.finished - self.started)


@dataclass
class WindowCounts:
    """Runs created in a window, per outcome."""

    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    partial: int = 0
    cancelled: int = 0
    no_steps: int = 0

    def add(self, status: RunStatus, n: int = 1) -> None:
        self.runs += n
        if status is RunStatus.COMPLETED_SUCCESS:
            self.succeeded += n
        elif status is RunStatus.COMPLETED_FAILURE:
            self.failed += n
        elif status is RunStatus.COMPLETED_PARTIAL:
            self.partial += n
        elif status is RunStatus.CANCELLED:
            self.cancelled += n
        elif status is RunStatus.NO_STEPS:
            self.no_steps += n

    @property
    def judged(self) -> int:
        return self.succeeded + self.failed + self.partial + self.no_steps

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.judged if self.judged else None

    @property
    def failure_rate(self) -> float | None:
        return (self.failed + self.partial) / self.judged if self.judged else None


@dataclass
class DefinitionHealth:
    """One line of the health screen and of `runs-tui stats`."""

    key: DefinitionKey
    counts: WindowCounts = field(default_factory=WindowCounts)
    previous: WindowCounts = field(default_factory=WindowCounts)
    p50: int | None = None  # microseconds
    p95: int | None = None
    mttr: float | None = None  # microseconds, mean
    resolutions: int = 0
    unresolved: int = 0
    latest: tuple[HealthRun, ...] = ()  # up to SPARK_RUNS, oldest first

    @property
    def trend(self) -> float | None:
        """How much the failure rate rose since the previous window (None: not comparable)."""
        now, before = self.counts.failure_rate, self.previous.failure_rate
        if now is None:
            return None
        return now - (before if before is not None else 0.0)

    @property
    def outcome_marks(self) -> str:
        return outcome_marks(self.latest)

    @property
    def duration_bars(self) -> str:
        return duration_bars(self.latest)


def percentile(durations: Sequence[int], p: float) -> int | None:
    """Nearest rank: the smallest value with at least `p` % of the values at or below it."""
    if not durations:
        return None
    ordered = sorted(durations)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


class Resolutions:
    """The resolution rule, fed runs of one definition in creation order."""

    def __init__(self, opened: int | None = None) -> None:
        self.opened = opened  # start of the run that opened the incident now open
        self.times: list[tuple[int, int]] = []  # (success created, time to resolution)

    def feed(self, run: HealthRun) -> None:
        if run.status in FAILED:
            if self.opened is None:
                self.opened = run.started if run.started is not None else run.created
        elif run.status is RunStatus.COMPLETED_SUCCESS:
            if self.opened is not None and run.finished is not None:
                self.times.append((run.created, max(0, run.finished - self.opened)))
            self.opened = None


def unresolved(runs: Iterable[HealthRun]) -> int:
    """Failed or partial runs created after the latest Completed Success (runs in any order)."""
    ordered = sorted(runs, key=lambda run: run.created)
    count = 0
    for run in ordered:
        if run.status is RunStatus.COMPLETED_SUCCESS:
            count = 0
        elif run.status in FAILED:
            count += 1
    return count


def definition_health(
    key: DefinitionKey, runs: Iterable[HealthRun], span: Span
) -> DefinitionHealth:
    """Brute force over every run of one definition: the reference the SQL side must equal."""
    ordered = sorted(runs, key=lambda run: run.created)
    health = DefinitionHealth(key)
    previous = span.previous
    rule = Resolutions()
    durations: list[int] = []
    for run in ordered:
        rule.feed(run)
        if span.start <= run.created < span.end:
            health.counts.add(run.status)
            if run.duration is not None:
                durations.append(run.duration)
        elif previous.start <= run.created < previous.end:
            health.previous.add(run.status)
    finish_figures(health, durations, rule, span)
    health.unresolved = unresolved(ordered)
    health.latest = tuple(ordered[-SPARK_RUNS:])
    return health


def finish_figures(
    health: DefinitionHealth, durations: Sequence[int], rule: Resolutions, span: Span
) -> None:
    """Percentiles and MTTR from a window's durations and a fed resolution rule."""
    health.p50 = percentile(durations, 50)
    health.p95 = percentile(durations, 95)
    times = [took for created, took in rule.times if span.start <= created < span.end]
    health.resolutions = len(times)
    health.mttr = sum(times) / len(times) if times else None


def getting_worse_first(lines: Iterable[DefinitionHealth]) -> list[DefinitionHealth]:
    """Sorted by the failure rate's rise, then this window's failure rate, then title."""

    def order(line: DefinitionHealth) -> tuple[int, float, float, str, str]:
        trend = line.trend
        rate = line.counts.failure_rate
        return (
            trend is None,
            -(trend or 0.0),
            -(rate or 0.0),
            line.key.name.casefold(),
            line.key.kind.value,
        )

    return sorted(lines, key=order)


def outcome_marks(runs: Sequence[HealthRun]) -> str:
    """One character per run, oldest first."""
    return "".join(OUTCOME_MARKS[run.status if run.status.is_terminal else None] for run in runs)


def duration_bars(runs: Sequence[HealthRun]) -> str:
    """One bar per run, oldest first, scaled to the longest; a space for no duration."""
    durations = [run.duration for run in runs]
    longest = max((d for d in durations if d is not None), default=0)
    bars = []
    for duration in durations:
        if duration is None:
            bars.append(" ")
        elif longest == 0:
            bars.append(BARS[0])
        else:
            bars.append(BARS[min(len(BARS) - 1, duration * len(BARS) // (longest + 1))])
    return "".join(bars)


@dataclass(frozen=True)
class RecentRecord:
    """A definition's latest finished runs, for the run header ("3 of the last 10 runs
    failed")."""

    finished: int
    failed: int

    def words(self) -> str:
        if self.finished == 0:
            return "no finished run yet"
        runs = "run" if self.finished == 1 else f"{self.finished} runs"
        if self.failed == 0:
            return f"none of the last {runs} failed" if self.finished > 1 else "the last run passed"
        if self.finished == 1:
            return "the last run failed"
        return f"{self.failed} of the last {runs} failed"


def recent_record(runs: Sequence[HealthRun], limit: int = 10) -> RecentRecord:
    """Of the latest `limit` finished, judged runs (creation order), how many failed."""
    judged = [run for run in runs if run.status.is_terminal and run.status not in NOT_JUDGED]
    judged.sort(key=lambda run: run.created)
    last = judged[-limit:]
    return RecentRecord(len(last), sum(1 for run in last if run.status in FAILED))


__all__ = [
    "BARS",
    "FAILED",
    "OUTCOME_MARKS",
    "SPARK_RUNS",
    "DefinitionHealth",
    "DefinitionKey",
    "HealthRun",
    "HealthWindow",
    "RecentRecord",
    "Resolutions",
    "Span",
    "WindowCounts",
    "definition_health",
    "duration_bars",
    "finish_figures",
    "getting_worse_first",
    "outcome_marks",
    "percentile",
    "recent_record",
    "unresolved",
    "window_of_range",
    "window_span",
]
