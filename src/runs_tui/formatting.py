"""Durations, ages and time zones in words: the one version the CLI and the widgets share.

Pure functions, no Textual, so the CLI can format without importing a UI and every format is
tested in one place. Two duration styles exist on purpose: the dashboard's spaced "3m 07s"
(with days for long runs, and tenths for sub-10-second spans on the timeline) and the CLI
table's unspaced "3m07s", which scripts already parse and so must not change. What a run's
duration measures is one rule, `run_elapsed`, whichever style prints it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from runs_tui.models.status import RunStatus

if TYPE_CHECKING:
    from runs_tui.models.domain import RunSummary

NO_DURATION = "—"

_Unit = tuple[str, int]
_WITH_DAYS: Sequence[_Unit] = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_UP_TO_HOURS: Sequence[_Unit] = (("h", 3600), ("m", 60), ("s", 1))


def aware(moment: datetime) -> datetime:
    """The cache may hand back naive UTC times (SQLite has no time zones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def elapsed(
    start: datetime | None, finished: datetime | None, *, active: bool, now: datetime
) -> timedelta | None:
    """How long a run or step has taken: to its finish, or to `now` while it is still active.
    None before it started, or when it ended without a recorded finish (nothing to measure)."""
    if start is None:
        return None
    end = finished or (now if active else None)
    return aware(end) - aware(start) if end else None


def run_elapsed(run: RunSummary, now: datetime) -> timedelta | None:
    """A run's duration, the one rule for the list, the header and the CLI: start to finish,
    or to now while it is active. None before the start, and while the run is scheduled: the
    engine sets `started_at` when it accepts a scheduled run and resets it when the run is
    due, so a duration then would count time in which nothing ran."""
    if run.status is RunStatus.SCHEDULED_FOR_EXECUTION:
        return None
    return elapsed(run.started_at, run.finished_at, active=not run.status.is_terminal, now=now)


def run_is_ticking(run: RunSummary) -> bool:
    """Whether `run_elapsed` moves by itself (a live duration cell redraws every second)."""
    return (
        run.started_at is not None
        and not run.status.is_terminal
        and run.status is not RunStatus.SCHEDULED_FOR_EXECUTION
    )


def _two_largest_units(seconds: int, units: Sequence[_Unit], separator: str) -> str:
    """The largest non-zero unit and the next one, zero-padded ("2h 05m"): two units read at
    a glance and keep a column's width steady."""
    for (name, size), (small_name, small_size) in zip(units, units[1:]):
        count, rest = divmod(seconds, size)
        if count:
            return f"{count}{name}{separator}{rest // small_size:02d}{small_name}"
    return f"{seconds}s"


def format_duration(seconds: float | None, *, tenths_below_10s: bool = False) -> str:
    """Compact and fixed-ish width: 12s, 3m 07s, 1h 02m, 2d 03h; "—" when unknown.

    `tenths_below_10s` keeps sub-second detail where short spans matter (timeline steps):
    0.4s, 4.5s, 2s."""
    if seconds is None:
        return NO_DURATION
    seconds = max(0.0, seconds)
    if tenths_below_10s and seconds < 10:
        return f"{seconds:.1f}s".replace(".0s", "s")
    return _two_largest_units(int(seconds), _WITH_DAYS, " ")


def format_span(span: timedelta) -> str:
    """A measured span (a step, a share of the breakdown, an event offset): 0.4s, 3m 05s."""
    return format_duration(span.total_seconds(), tenths_below_10s=True)


def format_duration_unspaced(seconds: float) -> str:
    """The CLI table's style, which scripts parse: 12s, 3m07s, 1h02m, 49h00m (no days)."""
    return _two_largest_units(int(max(0, seconds)), _UP_TO_HOURS, "")


def age_words(moment: datetime, now: datetime) -> str:
    """How long ago, coarsely ("just now", "3 min ago", "2 h ago", "4 d ago"): freshness is
    judged in whole units, and a naive cache time counts as UTC."""
    seconds = max(0.0, (now - aware(moment)).total_seconds())
    return "just now" if seconds < 60 else f"{_whole_units(seconds)} ago"


def _whole_units(seconds: float) -> str:
    """A span of a minute or more in its largest whole unit: "3 min", "2 h", "4 d" (the one
    coarse scale of ages and countdowns)."""
    for name, size in (("d", 86400), ("h", 3600)):
        if seconds >= size:
            return f"{int(seconds // size)} {name}"
    return f"{int(seconds // 60)} min"


def clock_words(
    moment: datetime, now: datetime, tz: tzinfo | None = None, *, seconds: bool = False
) -> str:
    """A wall-clock time in `tz` (default: `now`'s zone), the one rule for every time shown:
    a time on today's date there reads as the time alone ("18:06", or "18:06:10" with
    `seconds`), any other day's with its date ("2026-03-02 18:06"). The cut-off is the
    calendar day, not hours ago: at 00:30, "23:50" alone would read as tonight."""
    zone = tz or now.tzinfo or UTC
    local = aware(moment).astimezone(zone)
    if local.date() == aware(now).astimezone(zone).date():
        return local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def clock_time(moment: datetime | None, now: datetime) -> str:
    """An event's time to the second (`clock_words`), "—" when it is unknown."""
    return NO_DURATION if moment is None else clock_words(moment, now, seconds=True)


def countdown_words(moment: datetime, now: datetime) -> str:
    """How long until `moment`, coarsely: "in 4 min", "in 2 h", "in 3 d"; "due now" once it
    has come (a scheduled run waits for the engine's next tick)."""
    seconds = (aware(moment) - aware(now)).total_seconds()
    if seconds < 60:
        return "due now" if seconds <= 0 else "in <1 min"
    return f"in {_whole_units(seconds)}"


def due_words(
    moment: datetime, now: datetime, tz: tzinfo | None = None, *, short: bool = False
) -> str:
    """When a scheduled run is due: "Scheduled for 18:06 · in 4 min" ("Due 18:06 · in 4 min"
    in a narrow column)."""
    lead = "Due" if short else "Scheduled for"
    return f"{lead} {clock_words(moment, now, tz)} · {countdown_words(moment, now)}"
