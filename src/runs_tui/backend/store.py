"""Durable storage of runs for the reference backend (SQLModel over SQLite or PostgreSQL).

CONTRACT SKELETON — implemented by the storage/API work. The engine depends only on the methods
below; the API reads through them too.

Design:
- One server-wide change sequence. Every create, update and delete of a run takes the next value
  inside the writing transaction, from a one-row counter that the transaction updates (a row lock
  in PostgreSQL, the single writer in SQLite), so sequence order is commit order and the change
  feed never skips a change that commits late.
- A run row holds the list columns (indexed) plus its steps and variables as JSON; events are an
  append-only table keyed by (run_id, seq).
- Deleting a run leaves a tombstone (seq, run_id). Tombstones older than the retention window
  are pruned; a cursor below the oldest retained tombstone answers `CursorExpired` (HTTP 410).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from runs_tui.models.domain import ChangesPage, Event, RunDetail, RunsPage, RunSummary
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus


class CursorExpired(Exception):
    """The cursor is older than the tombstones kept: the client must start over (410)."""


class RunNotFound(Exception):
    pass


@dataclass(frozen=True)
class DeleteRefusal:
    run_id: str
    status: RunStatus | None  # None: no such run
    message: str


@dataclass(frozen=True)
class StoredResponse:
    """What an idempotency key recorded: the request body's fingerprint and the answer sent."""

    fingerprint: str
    status_code: int
    body: str


class RunStore:
    """Thread-safe; every public method is one transaction."""

    def __init__(self, url: str) -> None:
        """`url`: a SQLAlchemy URL, `sqlite:///path` (WAL) or `postgresql+psycopg://...`."""
        raise NotImplementedError

    def create_schema(self) -> None: ...

    def close(self) -> None: ...

    # writes ---------------------------------------------------------------------------------

    def insert_run(self, run: RunDetail, events: list[Event]) -> RunDetail:
        """Persist a new run (version 1) with its first events; returns it with `seq` set."""
        raise NotImplementedError

    def save_run(self, run: RunDetail, new_events: list[Event]) -> RunDetail:
        """Persist the run's new state: version + 1, next seq, events appended (their `seq`
        numbered after the run's last event). Returns the stored copy."""
        raise NotImplementedError

    def append_output(self, run_id: str, step_id: str, chunk: str) -> None:
        """Cheap path for streamed tool output: appends to the step's output (capped at 1 MiB
        with a truncation marker) and a TOOL_OUTPUT event, without a change-feed entry."""
        raise NotImplementedError

    def delete_runs(self, ids: Iterable[str]) -> tuple[list[str], list[DeleteRefusal]]:
        """Delete finished runs (each leaves a tombstone); refuse unfinished or unknown ones."""
        raise NotImplementedError

    def seed_history(self, runs: Iterable[RunDetail]) -> int:
        """Bulk insert of finished demo runs (executemany, batches), each taking a seq."""
        raise NotImplementedError

    def remember_response(self, key: str, stored: StoredResponse) -> None: ...

    def recall_response(self, key: str) -> StoredResponse | None: ...

    # reads ----------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunDetail:
        """Raises `RunNotFound`."""
        raise NotImplementedError

    def changes(self, cursor: int | None, limit: int) -> ChangesPage:
        """Runs and tombstones with seq > cursor, in seq order, at most `limit` items."""
        raise NotImplementedError

    def list_runs(
        self,
        *,
        statuses: frozenset[RunStatus] = frozenset(),
        kind: RunKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        name: str = "",
        limit: int = 100,
        offset: int = 0,
    ) -> RunsPage:
        raise NotImplementedError

    def unfinished_runs(self) -> list[RunDetail]:
        """For the engine's restart: runs that were not terminal when it stopped."""
        raise NotImplementedError

    def summaries(self, ids: Iterable[str]) -> list[RunSummary]:
        raise NotImplementedError
