"""RunSummary ↔ runs-table row, and the sort keys the list pages by.

Sort keys are stored columns (so each has an index) and are pure functions of a run, so a
caller can compute a `RowKey` for any row it holds without asking the database.

Duration, a choice: a finished run sorts by `finished_at - started_at`; a run still going
sorts as longer than every finished run, the earliest-started first — the same order as
"elapsed until now" among active runs, but independent of the clock, hence indexable. A run
that never started (or has no start time) has no duration and sorts below every measured one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import msgspec

from runs_tui.models import RunKind, RunStatus, RunSummary, SortColumn, Trigger, TriggerKind

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
MICROS_PER_HOUR = 3_600_000_000
MICROS_PER_DAY = 24 * MICROS_PER_HOUR
NO_DURATION = -1
_ACTIVE_DURATION_BASE = 2 * 10**16  # above any real duration (10**16 µs ≈ 317 years)

STATUS_RANK: dict[RunStatus, int] = {status: rank for rank, status in enumerate(RunStatus)}
STATUS_OF_RANK: dict[int, RunStatus] = {rank: status for status, rank in STATUS_RANK.items()}

SORT_KEY_COLUMNS: dict[SortColumn, tuple[str, ...]] = {
    SortColumn.STARTED: ("created_at",),
    SortColumn.NAME: ("name_key", "created_at"),
    SortColumn.STATUS: ("status_rank", "created_at"),
    SortColumn.KIND: ("kind", "created_at"),
    SortColumn.DURATION: ("duration_key", "created_at"),
    SortColumn.TRIGGER: ("trigger_key", "created_at"),
}
"""The columns a sort orders by, before the final tie-break on the row id. Equal names
(statuses…) follow creation time: the natural order to read them in, and it lets new rows
land at the end of each name's range in the index (run ids are random: ordering by them
would scatter every insert across the index and made bulk applies several times slower)."""
SORT_INDEX: dict[SortColumn, str] = {  # each leads with SORT_KEY_COLUMNS, then the rid
    SortColumn.STARTED: "ix_runs_started",
    SortColumn.NAME: "ix_runs_name",
    SortColumn.STATUS: "ix_runs_status",
    SortColumn.KIND: "ix_runs_started",  # with the kind fixed: see queries.segments
    SortColumn.DURATION: "ix_runs_duration",
    SortColumn.TRIGGER: "ix_runs_trigger",
}


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
    """Microseconds since the epoch; a naive datetime is taken as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - EPOCH) // ONE_MICROSECOND


def moment(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def _optional_micros(value: datetime | None) -> int | None:
    return None if value is None else micros(value)


def _optional_moment(value: int | None) -> datetime | None:
    return None if value is None else moment(value)


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
    """The run's values of SORT_KEY_COLUMNS[sort]: a scalar for one column, else a pair."""
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


def key_parts(value: SortValue) -> tuple[int | str, ...]:
    return value if isinstance(value, tuple) else (value,)


# Column order of the upsert; `name_id` and `seen_generation` are filled in by the writer.
RUN_COLUMNS = (
    "id",
    "kind",
    "definition_id",
    "name",
    "status",
    "trigger_kind",
    "trigger_actor",
    "created_at",
    "scheduled_for",
    "started_at",
    "finished_at",
    "updated_at",
    "current_step_id",
    "current_step",
    "root_cause",
    "outcome",
    "summary",
    "error",
    "inputs_json",
    "version",
    "seq",
    "name_key",
    "status_rank",
    "duration_key",
    "trigger_key",
    "name_id",
    "seen_generation",
)
SUMMARY_COLUMNS = RUN_COLUMNS[:21]


def run_values(run: RunSummary) -> tuple[Any, ...]:
    """The row for `run`, minus the trailing name id and generation (see RUN_COLUMNS)."""
    return (
        run.id,
        run.kind.value,
        run.definition_id,
        run.name,
        run.status.value,
        run.trigger.kind.value,
        run.trigger.actor,
        micros(run.created_at),
        _optional_micros(run.scheduled_for),
        _optional_micros(run.started_at),
        _optional_micros(run.finished_at),
        micros(run.updated_at),
        run.current_step_id,
        run.current_step,
        run.root_cause,
        run.outcome,
        run.summary,
        run.error,
        inputs_json(run.inputs),
        run.version,
        run.seq,
        run.name.casefold(),
        STATUS_RANK[run.status],
        duration_key(run),
        trigger_key(run),
    )


SELECT_SUMMARY = ", ".join(SUMMARY_COLUMNS)
_ENCODE_JSON = msgspec.json.Encoder().encode


def inputs_json(inputs: dict[str, str]) -> str:
    """Compact JSON, keys in the run's order. msgspec, not `json`: this ran once per run of a
    full sync and `JSONEncoder.encode` was a tenth of its CPU (msgspec is ten times faster)."""
    return _ENCODE_JSON(inputs).decode() if inputs else "{}"


def summary_from_row(row: tuple[Any, ...]) -> RunSummary:
    """Inverse of `run_values` over SUMMARY_COLUMNS.

    Built with `model_construct` from values this module wrote (already validated on the way
    in): a window or an export of a million rows should not pay for validation twice.
    """
    (
        run_id,
        kind,
        definition_id,
        name,
        status,
        trigger_kind,
        trigger_actor,
        created,
        scheduled,
        started,
        finished,
        updated,
        current_step_id,
        current_step,
        root_cause,
        outcome,
        summary,
        error,
        inputs,
        version,
        seq,
    ) = row
    return RunSummary.model_construct(
        id=run_id,
        kind=RunKind(kind),
        definition_id=definition_id,
        name=name,
        status=RunStatus(status),
        trigger=Trigger.model_construct(kind=TriggerKind(trigger_kind), actor=trigger_actor),
        created_at=moment(created),
        scheduled_for=_optional_moment(scheduled),
        started_at=_optional_moment(started),
        finished_at=_optional_moment(finished),
        updated_at=moment(updated),
        current_step_id=current_step_id,
        current_step=current_step,
        root_cause=root_cause,
        outcome=outcome,
        summary=summary,
        error=error,
        inputs=json.loads(inputs),
        version=version,
        seq=seq,
    )
