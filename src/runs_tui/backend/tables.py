"""The backend's SQL tables, declared with SQLModel and used through SQLAlchemy Core.

A run row keeps the columns the list filters and sorts on, plus two pre-serialised JSON
documents: the summary exactly as the change feed sends it, and the steps and variables of the
detail. Keeping the summary's JSON in the row lets the change feed splice a page body out of
stored strings instead of building and re-encoding thousands of objects per request.

Times are stored as integer microseconds since the epoch (UTC), which sort and compare the same
way on SQLite and PostgreSQL. JSON is stored as text, not JSONB: PostgreSQL's JSONB refuses the
NUL escape that hostile run text may legitimately contain.

Replicas: a run row also carries its lease (`owner`, `epoch`, `lease_until_us`, see
docs/deployment.md). They are plain columns of the row every write already locks, so taking,
renewing and checking a lease is part of the same transaction as the change it guards.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

CHANGE_SEQ = "change_seq"
AUDIT_SEQ = "audit_seq"
PRUNED_THROUGH = "tombstones_pruned_through"


class BackendTable(SQLModel, registry=registry()):
    """Base of the backend's tables: its own metadata, so the client cache's SQLModel tables
    (same process in tests, possibly the same table names) never mix with these."""


class RunRow(BackendTable, table=True):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_seq", "seq", unique=True),
        Index("ix_runs_created", "created_us", "id"),
        Index("ix_runs_status_created", "status", "created_us"),
    )

    id: str = Field(primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str
    definition_id: str
    name: str
    status: str
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    version: int
    last_event_seq: int = 0
    owner: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    epoch: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    lease_until_us: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    summary_json: str = Field(sa_column=Column(Text, nullable=False))
    detail_json: str = Field(sa_column=Column(Text, nullable=False))


class EventRow(BackendTable, table=True):
    """A run's append-only log; `seq` is the position in that run's own log."""

    __tablename__ = "run_events"

    run_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    event_json: str = Field(sa_column=Column(Text, nullable=False))


class StepOutputRow(BackendTable, table=True):
    """Streamed tool output, kept apart from the run row so appending a chunk is cheap."""

    __tablename__ = "step_outputs"

    run_id: str = Field(primary_key=True)
    step_id: str = Field(primary_key=True)
    output: str = Field(sa_column=Column(Text, nullable=False))
    size_bytes: int = 0
    truncated: bool = False


class TombstoneRow(BackendTable, table=True):
    __tablename__ = "tombstones"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    run_id: str


class CounterRow(BackendTable, table=True):
    """Named server-wide counters; the change sequence is the one every write locks."""

    __tablename__ = "counters"

    name: str = Field(primary_key=True)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class ScheduleRow(BackendTable, table=True):
    """The upcoming run of each scheduled definition: the row replicas lock to create it once."""

    __tablename__ = "schedules"

    definition_id: str = Field(primary_key=True)
    run_id: str = ""
    due_us: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class IdempotencyRow(BackendTable, table=True):
    """An answer recorded under an `Idempotency-Key`; indexed by age so pruning the expired
    ones is a range delete, not a scan."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_created", "created_us"),)

    key: str = Field(primary_key=True)
    fingerprint: str
    status_code: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class AuditRow(BackendTable, table=True):
    """The audit log (`audit.py`): who did what to which run. Not deleted with the run, and
    numbered by its own counter, taken under the change sequence's lock, so entries become
    visible in `seq` order and a reader paging by `since` never skips one."""

    __tablename__ = "audit_log"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    action: str
    actor: str
    run_id: str | None = None
    entry_json: str = Field(sa_column=Column(Text, nullable=False))


runs = RunRow.__table__  # type: ignore[attr-defined]
events = EventRow.__table__  # type: ignore[attr-defined]
step_outputs = StepOutputRow.__table__  # type: ignore[attr-defined]
tombstones = TombstoneRow.__table__  # type: ignore[attr-defined]
counters = CounterRow.__table__  # type: ignore[attr-defined]
idempotency_keys = IdempotencyRow.__table__  # type: ignore[attr-defined]
schedules = ScheduleRow.__table__  # type: ignore[attr-defined]
audit_log = AuditRow.__table__  # type: ignore[attr-defined]
LEASE_COLUMNS = ("owner", "epoch", "lease_until_us")
metadata = BackendTable.metadata
