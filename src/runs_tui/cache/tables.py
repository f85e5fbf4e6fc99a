"""The cache's SQL tables, declared with SQLModel; DDL is compiled from them for SQLite.

Times are integer microseconds since the epoch (UTC) so they sort and compare as integers.
The runs table carries, next to every `RunSummary` field, derived *sort keys* (folded name,
status rank, duration, trigger) so each list column has a plain index to walk in order; every
sort index also covers the filter columns (status, kind, time, name id), which lets a window
query test the filter on index entries without touching table rows it will discard. Sorting
by kind reuses the time index (one kind after the other), and the name index also serves
name searches: each index costs every write, so there are no more than the list needs (and
one for the health screen, `ix_runs_definition`: a flow's or guide's runs in creation order).

Names live in their own table (`run_names`) with an FTS5 trigram index: titles repeat across
runs, so a name search looks through thousands of distinct names rather than a million rows.
`run_counts_*` (by period, status, kind and name) and `run_totals_*` (the same without the
name), per day and per hour, are maintained by the writer, so a count over weeks of history
sums whole days, then whole hours at the range's edges, and scans runs only within the two
partial hours at its ends.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 7
"""Bump on every incompatible change: older caches are rebuilt, newer ones refused."""

_COVER = ("status_rank", "kind", "name_id")


class CacheTable(SQLModel, registry=registry()):
    """Base of the cache's tables: its own metadata, apart from the backend's same-named ones."""


class RunColumns(CacheTable):
    """The columns of a cached run, shared by `runs` and the bulk load's `run_staging`."""

    rid: int | None = Field(default=None, primary_key=True)
    id: str
    kind: str
    definition_id: str
    name: str
    status: str
    trigger_kind: str
    trigger_actor: str
    created_at: int = Field(sa_type=BigInteger, nullable=False)
    scheduled_for: int | None = Field(default=None, sa_type=BigInteger)
    started_at: int | None = Field(default=None, sa_type=BigInteger)
    finished_at: int | None = Field(default=None, sa_type=BigInteger)
    updated_at: int = Field(sa_type=BigInteger, nullable=False)
    current_step_id: str | None = None
    current_step: str | None = None
    root_cause: str | None = None
    outcome: str | None = None
    summary: str | None = None
    error: str | None = None
    inputs_json: str = Field(sa_type=Text, nullable=False)
    version: int
    seq: int = Field(sa_type=BigInteger, nullable=False)
    # derived: filter and sort keys, and bookkeeping
    name_id: int
    name_key: str
    status_rank: int
    duration_key: int = Field(sa_type=BigInteger, nullable=False)
    trigger_key: str
    seen_generation: int


class RunRow(RunColumns, table=True):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_id", "id", unique=True),
        Index("ix_runs_started", "created_at", "rid", *_COVER),
        Index("ix_runs_name", "name_key", "created_at", "rid", *_COVER),
        Index("ix_runs_status", "status_rank", "created_at", "rid", "kind", "name_id"),
        Index("ix_runs_duration", "duration_key", "created_at", "rid", *_COVER),
        Index("ix_runs_trigger", "trigger_key", "created_at", "rid", *_COVER),
        # the health of flows and guides (`cache/health.py`): one definition's runs in
        # creation order, covering what the figures read, so no table row is visited
        Index(
            "ix_runs_definition",
            "kind",
            "name_id",
            "created_at",
            "rid",
            "status_rank",
            "started_at",
            "finished_at",
        ),
    )


class StagedRunRow(RunColumns, table=True):
    """Rows of a bulk load (a first sync into an empty cache) as the feed delivered them, with
    no index at all, so a page costs a plain append; `bulk.publish` moves them into `runs` in
    one transaction and builds the indexes there once, by sorting (see `cache/bulk.py`)."""

    __tablename__ = "run_staging"


class StagedTombstoneRow(CacheTable, table=True):
    """A tombstone met during a bulk load: it removes the staged rows of `id` up to
    `upto_rid` (those staged before it), and any copy of the run already in `runs`."""

    __tablename__ = "run_staging_deleted"
    __table_args__ = (Index("ix_run_staging_deleted_id", "id", "upto_rid"),)

    rid: int | None = Field(default=None, primary_key=True)
    id: str
    upto_rid: int = Field(sa_type=BigInteger, nullable=False)


class RunNameRow(CacheTable, table=True):
    """Distinct run names. `folded` is the casefolded name that search compares against;
    `searchable` is the same with NUL replaced, since FTS5 stops reading text at a NUL."""

    __tablename__ = "run_names"
    __table_args__ = (Index("ix_run_names_name", "name", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    folded: str
    searchable: str


class DailyCountRow(CacheTable, table=True):
    """Runs per (UTC day, status, kind, name), adjusted by every write to `runs`."""

    __tablename__ = "run_counts_daily"
    __table_args__ = {"sqlite_with_rowid": False}

    period: int = Field(primary_key=True)  # microseconds since the epoch // one day
    status_rank: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    name_id: int = Field(primary_key=True)
    n: int


class HourlyCountRow(CacheTable, table=True):
    """Runs per (hour, status, kind, name): the partial days at a time range's edges."""

    __tablename__ = "run_counts_hourly"
    __table_args__ = {"sqlite_with_rowid": False}

    period: int = Field(primary_key=True)  # microseconds since the epoch // one hour
    status_rank: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    name_id: int = Field(primary_key=True)
    n: int


class TotalDailyRow(CacheTable, table=True):
    """Runs per (UTC day, status, kind), names aside: most filters have no name, and one-off
    names would otherwise multiply the rows a count has to sum."""

    __tablename__ = "run_totals_daily"
    __table_args__ = {"sqlite_with_rowid": False}

    period: int = Field(primary_key=True)
    status_rank: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    n: int


class TotalHourlyRow(CacheTable, table=True):
    __tablename__ = "run_totals_hourly"
    __table_args__ = {"sqlite_with_rowid": False}

    period: int = Field(primary_key=True)
    status_rank: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    n: int


class DetailRow(CacheTable, table=True):
    """What `get_detail` needs besides the children: the detail's own summary, as fetched."""

    __tablename__ = "run_details"

    run_id: str = Field(primary_key=True)
    etag: str | None = None
    fetched_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    summary_json: str = Field(sa_column=Column(Text, nullable=False))


class StepRow(CacheTable, table=True):
    """A step of a fetched detail; nested tool/prompt/response parts stay in `step_json`."""

    __tablename__ = "run_steps"

    run_id: str = Field(primary_key=True)
    position: int = Field(primary_key=True)
    step_id: str
    phase: str
    title: str
    status: str
    step_json: str = Field(sa_column=Column(Text, nullable=False))


class VariableRow(CacheTable, table=True):
    __tablename__ = "run_variables"

    run_id: str = Field(primary_key=True)
    position: int = Field(primary_key=True)
    name: str
    value: str
    direction: str
    updated_at: str | None = None


class EventRow(CacheTable, table=True):
    __tablename__ = "run_events"

    run_id: str = Field(primary_key=True)
    position: int = Field(primary_key=True)
    seq: int
    at: str
    type: str
    step_id: str | None = None
    data_json: str = Field(sa_column=Column(Text, nullable=False))


class DefinitionRow(CacheTable, table=True):
    __tablename__ = "definitions"

    id: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    title: str
    definition_json: str = Field(sa_column=Column(Text, nullable=False))


class SyncStateRow(CacheTable, table=True):
    """One row (id 1). Never holds a token: only positions, times and error text."""

    __tablename__ = "sync_state"

    id: int = Field(default=1, primary_key=True)
    cursor: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_success: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_error: str | None = None
    last_error_at: int | None = Field(default=None, sa_column=Column(BigInteger))
    offline_since: int | None = Field(default=None, sa_column=Column(BigInteger))
    resync_in_progress: bool = False
    bulk_loading: bool = False  # pages go to run_staging until `bulk.publish`
    generation: int = 0


TRIGGERS_AND_SEARCH = (
    """CREATE VIRTUAL TABLE run_names_fts USING fts5(
        searchable, content='run_names', content_rowid='id',
        tokenize='trigram case_sensitive 1')""",
    """CREATE TRIGGER run_names_ai AFTER INSERT ON run_names
        WHEN (SELECT bulk_loading FROM sync_state WHERE id = 1) IS NOT 1 BEGIN
        INSERT INTO run_names_fts(rowid, searchable) VALUES (new.id, new.searchable); END""",
)
"""What SQLModel cannot declare: the name search index and the trigger that feeds it. During
a bulk load (a first sync, a full resync) the trigger rests and `bulk.publish` rebuilds the
index once: fed name by name, FTS5 writes a segment per committed page and keeps merging them
(~10 % of a first sync). A name first seen meanwhile outside the load (a detail fetched) is
found by search only once the load is published."""
