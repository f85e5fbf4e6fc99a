"""Bulk insert of finished runs that arrive already serialised: the demo history's fast path.

A million seeded runs must land in well under a minute, so nothing here builds a model or a
dict per run. A `SeedRow` carries the run's column values with its summary JSON cut just before
the `seq` value; the store reserves one block of the change sequence per batch, and this module
splices each run's own seq in and hands the whole batch to the driver in one call: `executemany`
on SQLite, `COPY ... FROM STDIN` on PostgreSQL (both on the raw DB-API connection, under the
transaction SQLAlchemy opened).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from runs_tui.models.domain import RunDetail, RunSummary

_SUMMARY_WITHOUT_SEQ_VERSION = frozenset(RunSummary.model_fields) - {"seq", "version"}
_RUN_COLUMNS = (
    "id, seq, kind, definition_id, name, status, created_us, version, last_event_seq, "
    "summary_json, detail_json"
)
_EVENT_COLUMNS = "run_id, seq, event_json"
# Seeding writes gigabytes through one connection: a big page cache, and no fsync per batch
# (a crash mid-seed loses demo data only; the normal setting is restored afterwards).
_SQLITE_SEED_PRAGMAS = {"synchronous": ("OFF", "NORMAL"), "cache_size": ("-131072", "-2000")}


class SeedRow(NamedTuple):
    """A finished run ready to insert. `summary_head` is its summary JSON up to (not including)
    the value of its last field, `seq`; `events` are its event JSON texts, numbered from 1."""

    id: str
    kind: str
    definition_id: str
    name: str
    status: str
    created_us: int
    version: int
    summary_head: str
    detail_json: str
    events: Sequence[str] = ()


def summary_head(run: RunDetail, version: int) -> str:
    """The summary JSON of `run` with `version`, cut before its seq value. `seq` is the last field
    of `RunSummary`, so appending `f"{seq}}}"` completes exactly what the API sends."""
    summary = run.model_dump_json(include=_SUMMARY_WITHOUT_SEQ_VERSION)
    return f'{summary[:-1]},"version":{version},"seq":'


def insert_rows(
    dbapi_connection: Any, dialect: str, rows: Sequence[SeedRow], first_seq: int
) -> None:
    """Insert `rows`, the i-th taking seq `first_seq + i`, with their events."""
    run_values = [
        (
            r.id,
            first_seq + i,
            r.kind,
            r.definition_id,
            r.name,
            r.status,
            r.created_us,
            r.version,
            len(r.events),
            f"{r.summary_head}{first_seq + i}}}",
            r.detail_json,
        )
        for i, r in enumerate(rows)
    ]
    event_values = [(r.id, n, text) for r in rows for n, text in enumerate(r.events, start=1)]
    if dialect == "sqlite":
        _executemany(dbapi_connection, "runs", _RUN_COLUMNS, run_values)
        _executemany(dbapi_connection, "run_events", _EVENT_COLUMNS, event_values)
    else:
        _copy(dbapi_connection, "runs", _RUN_COLUMNS, run_values)
        _copy(dbapi_connection, "run_events", _EVENT_COLUMNS, event_values)


@contextmanager
def sqlite_seed_tuning(dbapi_connection: Any) -> Iterator[None]:
    """Seed-only settings for one SQLite connection, restored before it goes back to the pool."""
    cursor = dbapi_connection.cursor()
    try:
        for name, (seeding, _) in _SQLITE_SEED_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}={seeding}")
        yield
    finally:
        for name, (_, normal) in _SQLITE_SEED_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}={normal}")
        cursor.close()


def _executemany(
    dbapi_connection: Any, table: str, columns: str, values: list[tuple[Any, ...]]
) -> None:
    if not values:
        return
    marks = ", ".join("?" * len(values[0]))
    cursor = dbapi_connection.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
    finally:
        cursor.close()


def _copy(dbapi_connection: Any, table: str, columns: str, values: list[tuple[Any, ...]]) -> None:
    if not values:
        return
    with (
        dbapi_connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in values:
            copy.write_row(row)
