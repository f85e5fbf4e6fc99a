"""A run's place in a sorted list: the sort keys, pure functions of a run.

Why here, not in the cache: the list widget computes a `RowKey` for a row it already holds, to
ask the cache for the rows around it, and the UI may not import the cache. The cache stores
these very values as indexed columns (`cache/rows.py`), so both sides agree by construction.

Duration, a choice: a finished run sorts by `finished_at - started_at`; a run still going
sorts as longer than every finished run, the earliest-started first — the same order as
"elapsed until now" among active runs, but independent of the clock, hence indexable. A run
that never started (or has no start time) has no duration and sorts below every measured one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from runs_tui.models.domain import RunSummary
from runs_tui.models.filters import SortColumn
from runs_tui.models.status import RunStatus

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
NO_DURATION = -1
_ACTIVE_DURATION_BASE = 2 * 10**16  # above any real duration (10**16 µs ≈ 317 years)

STATUS_RANK: dict[RunStatus, int] = {status: rank for rank, status in enumerate(RunStatus)}

SortValue = int | str | tuple[int | str, int]


class RowKey(NamedTuple):
    """A row's place in a sorted list: its sort value, and its run's id, which the cache
    turns into the tie-break (the run's row id) when it pages from the key.

    Get one with `RowKey.for_run(run, sort)`; treat `value` as opaque (for every sort but
    "started" it is a (column value, creation time) pair).
    """

    value: SortValue
    id: str

    @classmethod
    def for_run(cls, run: RunSummary, sort: SortColumn) -> RowKey:
        return cls(sort_value(run, sort), run.id)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is taken as UTC. By integer parts:
    `timedelta // timedelta` was a tenth of a full sync, which calls this for every run."""
    since = (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)) - EPOCH
    return (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds


def duration_key(run: RunSummary) -> int:
    if run.started_at is None:
        return NO_DURATION
    if run.finished_at is None:
        return active_duration_key(micros(run.started_at))
    return max(0, micros(run.finished_at) - micros(run.started_at))


def active_duration_key(started: int) -> int:
    """The duration key of a run still going that started at `started` (microseconds)."""
    return _ACTIVE_DURATION_BASE - started


def trigger_key(run: RunSummary) -> str:
    """Who started it (folded), then how, so one actor's runs group together."""
    return f"{run.trigger.actor.casefold()}\x1f{run.trigger.kind.value}"


def sort_value(run: RunSummary, sort: SortColumn) -> SortValue:
    """The run's sort value: a scalar for "started", else a (column value, creation time)
    pair (the cache's SORT_KEY_COLUMNS[sort])."""
    created = micros(run.created_at)
    if sort is SortColumn.STARTED:
        return created
    if sort is SortColumn.NAME:
        return (run.name.casefold(), created)
    if sort is SortColumn.STATUS:
        return (STATUS_RANK[run.status], created)
    if sort is SortColumn.KIND:
        return (run.kind.value, created)
    if sort is SortColumn.DURATION:
        return (duration_key(run), created)
    return (trigger_key(run), created)
