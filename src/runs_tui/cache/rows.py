"""RunSummary ↔ runs-table row, and the sort keys the list pages by.

Sort keys are stored columns (so each has an index); their values are the pure functions of
a run in `models/ordering.py`, so a caller can compute a `RowKey` for any row it holds without
asking the database.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec

from runs_tui.models import RunKind, RunStatus, RunSummary, SortColumn, Trigger, TriggerKind
from runs_tui.models.ordering import (
    EPOCH,
    NO_DURATION,
    STATUS_RANK,
    SortValue,
    active_duration_key,
    micros,
)

MICROS_PER_HOUR = 3_600_000_000
MICROS_PER_DAY = 24 * MICROS_PER_HOUR
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


def moment(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def _optional_micros(value: datetime | None) -> int | None:
    return None if value is None else micros(value)


def _optional_moment(value: int | None) -> datetime | None:
    return None if value is None else moment(value)


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


class _TriggerFields(Protocol):
    kind: str
    actor: str


class RunFields(Protocol):
    """What a row is made of: a `RunSummary`, or the change feed's msgspec struct of it
    (`feed._WireRun`), whose kinds and statuses are plain strings (the model's are StrEnums,
    which are strings too). One rule for both, so the fast path cannot drift."""

    id: str
    kind: str
    definition_id: str
    name: str
    status: str
    created_at: datetime
    updated_at: datetime
    scheduled_for: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    current_step_id: str | None
    current_step: str | None
    root_cause: str | None
    outcome: str | None
    summary: str | None
    error: str | None
    version: int
    seq: int

    @property
    def trigger(self) -> _TriggerFields: ...

    @property
    def inputs(self) -> dict[str, str]: ...


_RANK_OF: dict[str, int] = {status.value: rank for status, rank in STATUS_RANK.items()}


def run_values(run: RunFields) -> tuple[Any, ...]:
    """The row for `run`, minus the trailing name id and generation (see RUN_COLUMNS).
    Written flat (few calls): it runs once per run of every sync."""
    trigger, name, status = run.trigger, run.name, run.status
    started, finished, scheduled = run.started_at, run.finished_at, run.scheduled_for
    started_us = None if started is None else micros(started)
    finished_us = None if finished is None else micros(finished)
    if started_us is None:
        duration = NO_DURATION
    elif finished_us is None:
        duration = active_duration_key(started_us)
    else:
        duration = max(0, finished_us - started_us)
    return (
        run.id,
        run.kind,
        run.definition_id,
        name,
        status,
        trigger.kind,
        trigger.actor,
        micros(run.created_at),
        None if scheduled is None else micros(scheduled),
        started_us,
        finished_us,
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
        name.casefold(),
        _RANK_OF[status],
        duration,
        f"{trigger.actor.casefold()}\x1f{trigger.kind}",
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
