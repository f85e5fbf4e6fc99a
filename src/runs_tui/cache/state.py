"""The sync bookkeeping the header shows: cursor, last success, last error, offline since.

Only positions, times and error text are kept: never a token or any other credential.
A successful sync ends an offline period but keeps the last error and its time, so
"last error at 14:02: connection refused" stays explainable after recovery.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from runs_tui.cache.rows import moment
from runs_tui.models.ordering import micros


@dataclass(frozen=True)
class SyncState:
    cursor: int | None
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    offline_since: datetime | None
    resync_in_progress: bool
    bulk_loading: bool = False  # a first sync's pages are staged, not yet queryable


def _when(value: int | None) -> datetime | None:
    return None if value is None else moment(value)


def read_state(conn: sqlite3.Connection) -> SyncState:
    row = conn.execute(
        "SELECT cursor, last_success, last_error, last_error_at, offline_since, "
        "resync_in_progress, bulk_loading FROM sync_state WHERE id = 1"
    ).fetchone()
    cursor, success, error, error_at, offline, resync, loading = row
    return SyncState(
        cursor,
        _when(success),
        error,
        _when(error_at),
        _when(offline),
        bool(resync),
        bool(loading),
    )


def record_success(conn: sqlite3.Connection, at: datetime) -> None:
    """Monotonic: a success vouched for by the stream may be recorded after a later pull."""
    conn.execute(
        "UPDATE sync_state SET last_success = max(coalesce(last_success, 0), ?), "
        "offline_since = NULL WHERE id = 1",
        (micros(at),),
    )


def record_error(conn: sqlite3.Connection, message: str, at: datetime) -> None:
    """Remember the error; the first failure after a success starts the offline period."""
    conn.execute(
        "UPDATE sync_state SET last_error = ?, last_error_at = ?, "
        "offline_since = coalesce(offline_since, ?) WHERE id = 1",
        (message, micros(at), micros(at)),
    )
