"""Durable storage of runs for the reference backend (SQLModel over SQLite or PostgreSQL).

The engine depends only on the public methods below; the API reads through them too.

Design:
- One server-wide change sequence. Every create, update and delete of a run takes the next value
  inside the writing transaction, from a one-row counter that the transaction updates (a row lock
  in PostgreSQL, the single writer in SQLite), so sequence order is commit order and the change
  feed never skips a change that commits late.
- A run row holds the list columns (indexed) plus its summary, steps and variables as JSON text;
  events are an append-only table keyed by (run_id, seq); streamed tool output lives in its own
  table so appending a chunk does not rewrite the run.
- Deleting a run leaves a tombstone (seq, run_id). Tombstones beyond the retention count are
  pruned; a cursor below the highest pruned one answers `CursorExpired` (HTTP 410), and so does a
  cursor from the future (the database was replaced under the client).
- Reads that need a consistent view run in one snapshot (SQLite deferred transaction in WAL,
  PostgreSQL REPEATABLE READ), so a page of the change feed is a true prefix of the sequence.
- Several replicas may share one PostgreSQL database. Every save is a compare-and-set on the
  version the writer read (`expected_version`) and, for a run's driver, on its lease (`fence`):
  the check runs under the row lock of the same transaction, so a stale writer fails with
  `StaleWrite` instead of overwriting. Each writing transaction also sends a `NOTIFY` (delivered
  on commit) so the other replicas' `/stream`s announce the change (`backend/relay.py`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement

from runs_tui.backend import audit
from runs_tui.backend import tables as t
from runs_tui.backend.bulk import SeedRow, insert_rows, sqlite_seed_tuning, summary_head
from runs_tui.backend.changefeed import CursorExpired, page_json  # noqa: F401 - CursorExpired is re-exported
from runs_tui.backend.clock import Clock, SystemClock
from runs_tui.backend.hot_sql import RUN_COLUMNS, HotSql
from runs_tui.models.domain import (
    AuditEntry,
    AuditPage,
    ChangesPage,
    Event,
    EventType,
    RunDetail,
    RunsPage,
    RunSummary,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

OUTPUT_CAP_BYTES = 1 << 20
TRUNCATION_MARKER = "\n[… output truncated at 1 MiB …]\n"
DEFAULT_TOMBSTONE_RETENTION = 10_000
DEFAULT_IDEMPOTENCY_RETENTION = timedelta(hours=24)
SEED_BATCH = 20_000
_IN_CHUNK = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DETAIL_FIELDS = frozenset({"steps", "variables"})
_UNFINISHED = tuple(s.value for s in RunStatus if not s.is_terminal)
_DRIVEN = tuple(s.value for s in RunStatus if not s.is_terminal and not s.is_waiting)
_TERMINAL = tuple(s.value for s in RunStatus if s.is_terminal)
NOTIFY_INLINE_CHARS = 6000  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
_FINISHED = frozenset(s for s in RunStatus if s.is_terminal)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


class RunNotFound(Exception):
    pass


class StaleWrite(Exception):
    """The run changed since the writer read it, or the writer no longer holds its lease."""


@dataclass(frozen=True)
class Lease:
    """Who drives a run: a replica id and the epoch it took the run at (it grows on every
    takeover, so a replica that lost the run cannot pass for its new owner)."""

    owner: str
    epoch: int


@dataclass(frozen=True)
class RunLease:
    """A run's lease as stored, with its status: what a replica checks before trusting its own."""

    lease: Lease
    until: datetime
    status: RunStatus


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


@dataclass(frozen=True)
class RunsPageJson:
    """A `RunsPage` already encoded, for the API to send without re-encoding."""

    body: str


class RunStore:
    """Thread-safe; every public method is one transaction."""

    def __init__(
        self,
        url: str,
        *,
        tombstone_retention: int = DEFAULT_TOMBSTONE_RETENTION,
        clock: Clock | None = None,
        idempotency_retention: timedelta = DEFAULT_IDEMPOTENCY_RETENTION,
    ) -> None:
        """`url`: a SQLAlchemy URL, `sqlite:///path` (WAL) or `postgresql+psycopg://...`.
        `tombstone_retention`: how many of the newest tombstones are kept. `clock` stamps the
        events the store writes itself (tool output), so they follow the engine's fake time, and
        ages idempotency records: one older than `idempotency_retention` is forgotten and pruned."""
        self.url = url
        self.clock: Clock = clock or SystemClock()
        self.tombstone_retention = tombstone_retention
        self.idempotency_retention = idempotency_retention
        self._engine = _connect(url)
        self._is_sqlite = self._engine.dialect.name == "sqlite"
        self._placeholder = "?" if self._is_sqlite else "%s"  # for raw DB-API statements
        self._hot = HotSql.for_dialect(self._is_sqlite)
        self.origin = ""  # the replica id stamped on notifications, set by the engine
        self._channel: str | None = None
        self._local = threading.local()  # the connection of a `batched()` transaction

    @property
    def shared(self) -> bool:
        """True on PostgreSQL, where several replicas may use the database at once."""
        return not self._is_sqlite

    @property
    def sqlalchemy_engine(self) -> Engine:
        """For the notification listener, which needs a connection of its own."""
        return self._engine

    def channel(self) -> str:
        """The NOTIFY channel of this database's schema (channels are database-wide; two schemas
        of one database, as in the test suite, must not hear each other)."""
        if self._channel is None:
            with self._read() as conn:
                schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
            self._channel = _channel_name(str(schema))
        return self._channel

    def create_schema(self) -> None:
        t.metadata.create_all(self._engine)
        self._add_lease_columns()
        with self._write() as conn:
            for index in t.idempotency_keys.indexes:  # create_all skips indexes of existing tables
                index.create(conn, checkfirst=True)
            for name in (t.CHANGE_SEQ, t.PRUNED_THROUGH, t.AUDIT_SEQ):
                self._insert_ignore(conn, t.counters, [{"name": name, "value": 0}])

    def close(self) -> None:
        self._engine.dispose()

    def _add_lease_columns(self) -> None:
        """Databases made before replicas lack the lease columns; their runs get an expired
        lease (epoch 0, no owner), so the first replica to start takes them over."""
        from sqlalchemy import inspect

        present = {column["name"] for column in inspect(self._engine).get_columns("runs")}
        with self._write() as conn:
            for name in t.LEASE_COLUMNS:
                if name not in present:
                    kind = (
                        "TEXT NOT NULL DEFAULT ''"
                        if name == "owner"
                        else "BIGINT NOT NULL DEFAULT 0"
                    )
                    conn.exec_driver_sql(f"ALTER TABLE runs ADD COLUMN {name} {kind}")

    # writes ---------------------------------------------------------------------------------

    def insert_run(
        self,
        run: RunDetail,
        events: list[Event],
        *,
        owner: str = "",
        lease_until: datetime | None = None,
    ) -> RunDetail:
        """Persist a new run (version 1) with its first events; returns it with `seq` set.
        `owner` is the replica that will drive it (epoch 1, lease until `lease_until`)."""
        with self._write() as conn:
            return self._insert_run(conn, run, events, owner, lease_until)

    def _insert_run(
        self,
        conn: Connection,
        run: RunDetail,
        events: list[Event],
        owner: str,
        lease_until: datetime | None,
    ) -> RunDetail:
        seq = self._take_seqs(conn, 1)
        numbered = _number_events(events, first=1)
        stored = run.model_copy(update={"seq": seq, "version": 1, "events": numbered})
        row = _run_row(stored, last_event_seq=len(numbered))
        row |= {
            "owner": owner,
            "epoch": 1 if owner else 0,
            "lease_until_us": _micros(lease_until) if lease_until else 0,
        }
        conn.execute(insert(t.runs), [row])
        self._insert_events(conn, stored.id, numbered)
        self._record_audit(conn, audit.entries_of(stored.id, stored.name, numbered))
        self._notify(conn, {"k": "c", "s": seq, "r": stored.id})
        return stored

    def save_run(
        self,
        run: RunDetail,
        new_events: list[Event],
        *,
        expected_version: int | None = None,
        fence: Lease | None = None,
        read_back: bool = True,
    ) -> RunDetail:
        """Persist the run's new state: version + 1, next seq, events appended (their `seq`
        numbered after the run's last event). Returns the stored copy, read back in the same
        transaction: all its events, and each step's output as `append_output` recorded it
        (the stored output wins over the caller's copy of `tool.output`). The `events` field of
        `run` itself is ignored: events are only ever appended through `new_events`.
        `read_back=False` (the engine's driver, which keeps its own copy) skips the read-back
        and returns `run` itself at its new version and seq, with no events.
        Raises `StaleWrite` when the stored version is not `expected_version` or the stored
        lease is not `fence` (when given): nothing is written then."""
        with self._write() as conn:
            return self._save(conn, run, new_events, expected_version, fence, None, read_back)[0]

    def save_run_taking_lease(
        self,
        run: RunDetail,
        new_events: list[Event],
        *,
        expected_version: int,
        owner: str,
        lease_until: datetime,
    ) -> tuple[RunDetail, Lease]:
        """`save_run` that also makes `owner` the run's driver at the next epoch: how an answer
        through any replica hands the run to that replica. Raises `StaleWrite` like `save_run`."""
        with self._write() as conn:
            take = (owner, lease_until)
            return self._save(conn, run, new_events, expected_version, None, take, True)

    def _save(
        self,
        conn: Connection,
        run: RunDetail,
        new_events: list[Event],
        expected_version: int | None,
        fence: Lease | None,
        take: tuple[str, datetime] | None,
        read_back: bool,
    ) -> tuple[RunDetail, Lease]:
        """The run's row lock first, the change sequence last: the sequence's lock, which every
        writer of every replica waits for, is held only for the final update and the commit,
        not for the checks, the events and the read-back. Statements are built once
        (`_SAVE_*`): building them per save was a quarter of the engine's time."""
        locked = self._hot.lock_run(conn, _key(run.id))
        if locked is None:
            raise RunNotFound(run.id)
        stored_version, stored_last_event, stored_owner, stored_epoch, stored_seq = locked
        if expected_version is not None and stored_version != expected_version:
            raise StaleWrite(f"run {run.id} is at version {stored_version}, not {expected_version}")
        if fence is not None and (stored_owner, stored_epoch) != (fence.owner, fence.epoch):
            raise StaleWrite(
                f"run {run.id} is driven by {stored_owner or 'nobody'} at epoch {stored_epoch}"
            )
        numbered = _number_events(audit.with_expiry_audit(new_events), first=stored_last_event + 1)
        version = stored_version + 1
        last_event_seq = stored_last_event + len(numbered)
        lease = Lease(stored_owner, stored_epoch)
        owner: dict[str, Any] = {}
        if take is not None:
            lease = Lease(take[0], stored_epoch + 1)
            owner = {"owner": lease.owner, "epoch": lease.epoch, "lease_until_us": _micros(take[1])}
        self._insert_events(conn, run.id, numbered)
        detail: RunDetail | None = None
        if read_back:
            row = _run_row(run, last_event_seq, seq=stored_seq, version=version)
            self._hot.update_run(conn, run.id, _updatable(row) | owner)
            detail = _load_detail(conn, run.id)
        seq = self._take_seqs(conn, 1)
        if detail is None:
            row = _run_row(run, last_event_seq, seq=seq, version=version)
            self._hot.update_run(conn, run.id, _updatable(row) | owner)
            stored = run.model_copy(update={"seq": seq, "version": version, "events": []})
        else:
            head = summary_head(detail, version)
            self._hot.update_run(conn, run.id, {"seq": seq, "summary_json": f"{head}{seq}}}"})
            stored = detail.model_copy(update={"seq": seq})
        self._record_audit(conn, audit.entries_of(run.id, run.name, numbered))
        self._notify(conn, {"k": "c", "s": seq, "r": run.id})
        return stored, lease

    def append_output(
        self, run_id: str, step_id: str, chunk: str, *, fence: Lease | None = None
    ) -> None:
        """Cheap path for streamed tool output: appends to the step's output (capped at 1 MiB
        with a truncation marker) and a TOOL_OUTPUT event, without a change-feed entry.
        Output past the cap is dropped, so the marker is always the last thing kept.
        Raises `StaleWrite` when `fence` is given and is no longer the run's lease."""
        with self._write() as conn:
            locked = self._hot.lock_run(conn, _key(run_id))
            if locked is None:
                raise RunNotFound(run_id)
            _, last_event_seq, owner, epoch, _ = locked
            if fence is not None and (owner, epoch) != (fence.owner, fence.epoch):
                raise StaleWrite(f"run {run_id} is driven by {owner or 'nobody'} at epoch {epoch}")
            kept, kept_bytes, truncated = self._append_step_output(conn, run_id, step_id, chunk)
            if not kept:
                return
            data: dict[str, Any] = {"chunk": kept, "truncated": truncated}
            output_event = Event(
                seq=0, at=self.clock.now(), type=EventType.TOOL_OUTPUT, step_id=step_id, data=data
            )
            self._insert_events(
                conn, run_id, _number_events([output_event], first=last_event_seq + 1)
            )
            self._hot.update_run(conn, run_id, {"last_event_seq": last_event_seq + 1})
            self._notify_output(conn, run_id, step_id, last_event_seq + 1, kept)

    def step_output(self, run_id: str, step_id: str) -> tuple[str, bool] | None:
        """A step's streamed output as stored, and whether it was truncated; None before its
        first chunk. What the engine reads after a tool, instead of the whole run again (at
        1,000 runs those read-backs, every event validated, were 40 % of the writer thread)."""
        with self._read() as conn:
            row = conn.execute(
                select(t.step_outputs.c.output, t.step_outputs.c.truncated).where(
                    t.step_outputs.c.run_id == _key(run_id),
                    t.step_outputs.c.step_id == _key(step_id),
                )
            ).first()
        return None if row is None else (_unescape_nul(row.output), bool(row.truncated))

    def output_chunk(self, run_id: str, event_seq: int) -> tuple[str, str] | None:
        """(step_id, chunk) of one TOOL_OUTPUT event: what a notification too big to carry its
        chunk points at."""
        with self._read() as conn:
            text = conn.execute(
                select(t.events.c.event_json).where(
                    t.events.c.run_id == _key(run_id), t.events.c.seq == event_seq
                )
            ).scalar_one_or_none()
        if text is None:
            return None
        output = Event.model_validate_json(text)
        return output.step_id or "", str(output.data.get("chunk", ""))

    def delete_runs(
        self, ids: Iterable[str], stamp: audit.Stamp | None = None
    ) -> tuple[list[str], list[DeleteRefusal]]:
        """Delete finished runs (each leaves a tombstone, and with `stamp` an audit entry that
        outlives it); refuse unfinished or unknown ones."""
        wanted = list(dict.fromkeys(ids))
        with self._write() as conn:
            statuses = _statuses_of(conn, wanted)
            refused = [
                _refusal(run_id, statuses.get(run_id))
                for run_id in wanted
                if statuses.get(run_id) not in _FINISHED
            ]
            deletable = [run_id for run_id in wanted if statuses.get(run_id) in _FINISHED]
            if deletable:
                names = _names_of(conn, deletable) if stamp is not None else {}
                last = self._take_seqs(conn, len(deletable))
                first = last - len(deletable) + 1
                _delete_run_rows(conn, deletable)
                conn.execute(
                    insert(t.tombstones),
                    [{"seq": first + i, "run_id": r} for i, r in enumerate(deletable)],
                )
                self._prune_tombstones(conn)
                if stamp is not None:
                    deleted = [(run_id, names.get(run_id, "")) for run_id in deletable]
                    entries = audit.deletion_entries(stamp, self.clock.now(), deleted, len(wanted))
                    self._record_audit(conn, entries)
                self._notify(conn, {"k": "c", "s": last})
        return deletable, refused

    def audit_page(self, since: int, limit: int) -> AuditPage:
        """The audit log's entries after `since`, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                select(t.audit_log.c.entry_json)
                .where(t.audit_log.c.seq > since)
                .order_by(t.audit_log.c.seq)
                .limit(limit + 1)
            ).all()
        entries = [AuditEntry.model_validate_json(row[0]) for row in rows[:limit]]
        cursor = entries[-1].seq if entries else since
        return AuditPage(entries=entries, next_cursor=cursor, has_more=len(rows) > limit)

    def seed_history(self, runs: Iterable[RunDetail], *, batch: int = SEED_BATCH) -> int:
        """Bulk insert of finished runs, each taking its own seq and keeping its events
        (renumbered from 1). The convenient path: `seed_rows` is the fast one."""
        return self.seed_rows((_seed_row(run) for run in runs), batch=batch)

    def seed_rows(self, rows: Iterable[SeedRow], *, batch: int = SEED_BATCH) -> int:
        """Bulk insert of pre-serialised finished runs (see `bulk.SeedRow`). Each batch is one
        transaction that reserves a block of the change sequence, so live writers interleave
        between batches and every run still takes its own seq; returns how many were inserted."""
        count = 0
        iterator = iter(rows)
        with self._seeding() as (conn, dbapi_connection):
            while chunk := list(islice(iterator, max(batch, 1))):
                with conn.begin():
                    last = self._take_seqs(conn, len(chunk))
                    insert_rows(
                        dbapi_connection, self._engine.dialect.name, chunk, last - len(chunk) + 1
                    )
                    self._notify(conn, {"k": "c", "s": last})
                count += len(chunk)
        return count

    def remember_response(self, key: str, stored: StoredResponse) -> None:
        """The first answer recorded under a key wins; a later one is ignored. Records past the
        retention window are pruned here, so the table holds about a day of actions."""
        now = _micros(self.clock.now())
        row = {
            "key": key,
            "fingerprint": stored.fingerprint,
            "status_code": stored.status_code,
            "body": stored.body,
            "created_us": now,
        }
        with self._write() as conn:
            conn.execute(
                sql_delete(t.idempotency_keys).where(
                    t.idempotency_keys.c.created_us < self._idempotency_cutoff()
                )
            )
            self._insert_ignore(conn, t.idempotency_keys, [row])

    def recall_response(self, key: str) -> StoredResponse | None:
        """The answer recorded under `key` within the retention window, if any."""
        with self._read() as conn:
            row = conn.execute(
                select(t.idempotency_keys).where(
                    t.idempotency_keys.c.key == _key(key),
                    t.idempotency_keys.c.created_us >= self._idempotency_cutoff(),
                )
            ).first()
        return None if row is None else StoredResponse(row.fingerprint, row.status_code, row.body)

    # leases, schedules, seeding -----------------------------------------------------------

    def claim_runs(
        self,
        owner: str,
        until: datetime,
        *,
        now: datetime,
        live_too: bool = False,
        limit: int | None = 200,
        exclude: frozenset[str] = frozenset(),
    ) -> list[tuple[RunDetail, Lease]]:
        """Take over unfinished runs that need a driver (not waiting for a person) whose lease
        has expired; `live_too` takes every one (a replica that knows it is alone: SQLite).
        `exclude`: runs the caller drives already. Rows another transaction holds are skipped,
        not waited for (`SKIP LOCKED`), so replicas sweeping at once split the work. Returns
        each run with the lease now held on it."""
        with self._write() as conn:
            query = select(t.runs.c.id).where(t.runs.c.status.in_(_DRIVEN))
            if not live_too:
                query = query.where(t.runs.c.lease_until_us < _micros(now))
            found = (
                conn.execute(
                    query.order_by(t.runs.c.seq).limit(limit).with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            ids = [run_id for run_id in found if run_id not in exclude]
            if not ids:
                return []
            conn.execute(
                update(t.runs)
                .where(t.runs.c.id.in_(ids))
                .values(owner=owner, epoch=t.runs.c.epoch + 1, lease_until_us=_micros(until))
            )
            epochs = dict(
                conn.execute(select(t.runs.c.id, t.runs.c.epoch).where(t.runs.c.id.in_(ids))).all()
            )
        claimed: list[tuple[RunDetail, Lease]] = []
        with (
            self._read() as conn
        ):  # read once the locks are gone: they block the runs' other writers
            for run_id in ids:
                try:
                    claimed.append((_load_detail(conn, run_id), Lease(owner, epochs[run_id])))
                except RunNotFound:
                    continue  # cancelled and deleted in between
        return claimed

    def renew_leases(self, owner: str, until: datetime) -> dict[str, int]:
        """Extend the leases `owner` holds on runs that need a driver; returns run id → epoch of
        those renewed. A run this replica drives that is missing, or has another epoch, is no
        longer its own (cancelled, answered elsewhere, taken over)."""
        with self._write() as conn:
            rows = conn.execute(
                update(t.runs)
                .where(t.runs.c.owner == owner, t.runs.c.status.in_(_DRIVEN))
                .values(lease_until_us=_micros(until))
                .returning(t.runs.c.id, t.runs.c.epoch)
            ).all()
        return dict(rows)

    def release_leases(self, owner: str) -> int:
        """On a clean stop: expire this replica's leases now, so a peer takes its runs over at
        its next sweep instead of after the lease timeout."""
        with self._write() as conn:
            result = conn.execute(
                update(t.runs)
                .where(t.runs.c.owner == owner, t.runs.c.lease_until_us > 0)
                .values(lease_until_us=0)
            )
        return int(result.rowcount or 0)

    def lease_of(self, run_id: str) -> RunLease | None:
        with self._read() as conn:
            row = conn.execute(
                select(
                    t.runs.c.owner, t.runs.c.epoch, t.runs.c.lease_until_us, t.runs.c.status
                ).where(t.runs.c.id == _key(run_id))
            ).first()
        if row is None:
            return None
        return RunLease(
            Lease(row.owner, row.epoch), _from_micros(row.lease_until_us), RunStatus(row.status)
        )

    def insert_scheduled_run(
        self,
        definition_id: str,
        make: Callable[[datetime | None], tuple[RunDetail, list[Event]]],
        *,
        upcoming: frozenset[RunStatus],
        owner: str,
        lease_until: datetime,
    ) -> RunDetail | None:
        """Create the definition's next scheduled run, unless its last one is still in one of
        the `upcoming` statuses. The schedule's row is locked for the check and the insert, so
        replicas ticking at once create each due run exactly once. `make(previous_due)` builds
        the run and its first events."""
        with self._write() as conn:
            self._insert_ignore(
                conn, t.schedules, [{"definition_id": definition_id, "run_id": "", "due_us": 0}]
            )
            row = conn.execute(
                select(t.schedules)
                .where(t.schedules.c.definition_id == definition_id)
                .with_for_update()
            ).one()
            if row.run_id:
                status = conn.execute(
                    select(t.runs.c.status).where(t.runs.c.id == row.run_id)
                ).scalar_one_or_none()
                if status is not None and RunStatus(status) in upcoming:
                    return None
            run, events = make(_from_micros(row.due_us) if row.due_us else None)
            stored = self._insert_run(conn, run, events, owner, lease_until)
            due = _micros(run.scheduled_for) if run.scheduled_for else 0
            conn.execute(
                update(t.schedules)
                .where(t.schedules.c.definition_id == definition_id)
                .values(run_id=stored.id, due_us=due)
            )
            return stored

    def claim_seed(self, name: str) -> bool:
        """True for the first caller per database, and only while it holds no finished run: demo
        history goes into an empty database once, however many replicas start, in any order."""
        with self._write() as conn:
            self._take_seqs(conn, 0)  # the counter's lock orders this with every other writer
            if (
                conn.execute(select(t.counters.c.value).where(t.counters.c.name == name)).first()
                is not None
            ):
                return False
            conn.execute(insert(t.counters), [{"name": name, "value": 1}])
            finished = conn.execute(
                select(t.runs.c.id).where(t.runs.c.status.in_(_TERMINAL)).limit(1)
            ).first()
            return finished is None

    # reads ----------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunDetail:
        """Raises `RunNotFound`."""
        with self._read() as conn:
            return _load_detail(conn, run_id)

    def run_etag(self, run_id: str) -> str:
        """A validator that changes with every version and every appended output chunk, read
        without loading the run. Raises `RunNotFound`."""
        with self._read() as conn:
            row = conn.execute(
                select(t.runs.c.version, t.runs.c.last_event_seq).where(t.runs.c.id == _key(run_id))
            ).first()
        if row is None:
            raise RunNotFound(run_id)
        return _etag(row.version, row.last_event_seq)

    def changes(self, cursor: int | None, limit: int, *, resync: bool = False) -> ChangesPage:
        """Runs and tombstones with seq > cursor, in seq order, at most `limit` items.
        `resync`: the cursor belongs to a client's full resync, which never expires."""
        return ChangesPage.model_validate_json(self.changes_json(cursor, limit, resync=resync))

    def changes_json(self, cursor: int | None, limit: int, *, resync: bool = False) -> str:
        """`changes()` as the wire JSON, spliced from the stored summaries (the fast path)."""
        with self._read() as conn:
            raw = conn.connection.dbapi_connection.cursor()
            try:
                return page_json(
                    raw, self._placeholder, max(cursor or 0, 0), max(limit, 1), resync=resync
                )
            finally:
                raw.close()

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
        page = self.list_runs_json(
            statuses=statuses,
            kind=kind,
            since=since,
            until=until,
            name=name,
            limit=limit,
            offset=offset,
        )
        return RunsPage.model_validate_json(page.body)

    def list_runs_json(
        self,
        *,
        statuses: frozenset[RunStatus] = frozenset(),
        kind: RunKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        name: str = "",
        limit: int = 100,
        offset: int = 0,
    ) -> RunsPageJson:
        """Newest first (creation time, then id); `next_cursor` is the next page's offset."""
        conditions = _list_conditions(statuses, kind, since, until, name)
        with self._read() as conn:
            total = conn.execute(
                select(func.count()).select_from(t.runs).where(*conditions)
            ).scalar_one()
            summaries = (
                conn.execute(
                    select(t.runs.c.summary_json)
                    .where(*conditions)
                    .order_by(t.runs.c.created_us.desc(), t.runs.c.id.desc())
                    .limit(limit)
                    .offset(offset)
                )
                .scalars()
                .all()
            )
        next_offset = offset + len(summaries)
        next_cursor = json.dumps(str(next_offset)) if next_offset < total and summaries else "null"
        body = f'{{"runs":[{",".join(summaries)}],"next_cursor":{next_cursor},"total":{total}}}'
        return RunsPageJson(body)

    def unfinished_runs(self) -> list[RunDetail]:
        """For the engine's restart: runs that were not terminal when it stopped."""
        with self._read() as conn:
            ids = (
                conn.execute(
                    select(t.runs.c.id)
                    .where(t.runs.c.status.in_(_UNFINISHED))
                    .order_by(t.runs.c.seq)
                )
                .scalars()
                .all()
            )
            return [_load_detail(conn, run_id) for run_id in ids]

    def summaries(self, ids: Iterable[str]) -> list[RunSummary]:
        """The summaries of the runs that exist, in the order asked."""
        wanted = [_key(run_id) for run_id in dict.fromkeys(ids)]
        found: dict[str, str] = {}
        with self._read() as conn:
            for chunk in _chunks(wanted):
                query = select(t.runs.c.id, t.runs.c.summary_json).where(t.runs.c.id.in_(chunk))
                found.update((row.id, row.summary_json) for row in conn.execute(query))
        return [
            RunSummary.model_validate_json(found[run_id]) for run_id in wanted if run_id in found
        ]

    def max_seq(self) -> int:
        """The last value the change sequence handed out."""
        with self._read() as conn:
            return _counter(conn, t.CHANGE_SEQ)

    def count_runs(self) -> int:
        with self._read() as conn:
            return conn.execute(select(func.count()).select_from(t.runs)).scalar_one()

    # transactions ---------------------------------------------------------------------------

    @contextmanager
    def batched(self) -> Iterator[None]:
        """The calls this thread makes inside share one transaction, committed at the end
        (group commit: on SQLite the commit is most of a small write's cost). Each call runs
        in a savepoint of it, so a refused call (`StaleWrite`) leaves the others intact. For
        the engine's one writer thread on SQLite (`writer.RunWriter`); on a shared database
        one transaction holding many runs' row locks and the sequence could deadlock with a
        peer replica's, so it is not used there."""
        if self.shared:
            raise RuntimeError("batched transactions are for SQLite only")
        with self._engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                self._local.conn = conn
                try:
                    yield
                finally:
                    self._local.conn = None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """SQLite: BEGIN IMMEDIATE takes the write lock up front, so two writers never deadlock
        upgrading a read lock; PostgreSQL: the counter's row lock orders writers. Inside
        `batched()`, a savepoint of the batch's transaction."""
        batch: Connection | None = getattr(self._local, "conn", None)
        if batch is not None:
            with batch.begin_nested():
                yield batch
            return
        with self._engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    @contextmanager
    def _seeding(self) -> Iterator[tuple[Connection, Any]]:
        """One connection for a whole seed (SQLite: with seed-only pragmas), and its raw
        DB-API connection for the driver's bulk calls; the caller begins each batch."""
        with self._engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            dbapi_connection = conn.connection.dbapi_connection
            if not self._is_sqlite:
                yield conn, dbapi_connection
                return
            with sqlite_seed_tuning(dbapi_connection):
                yield conn, dbapi_connection

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        batch: Connection | None = getattr(self._local, "conn", None)
        if batch is not None:  # sees the batch's own writes
            yield batch
            return
        with self._engine.connect() as conn:
            if not self._is_sqlite:
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def _notify(self, conn: Connection, payload: dict[str, Any]) -> None:
        """Tell the other replicas, on commit (`NOTIFY` is transactional): the payload names the
        change's seq and run, so it stays far below PostgreSQL's 8000-byte limit."""
        if self._is_sqlite:
            return
        if self._channel is None:
            self._channel = _channel_name(
                str(conn.exec_driver_sql("SELECT current_schema()").scalar_one())
            )
        text = json.dumps({"o": self.origin, **payload}, separators=(",", ":"))
        self._hot.notify(conn, self._channel, text)

    def _notify_output(
        self, conn: Connection, run_id: str, step_id: str, event_seq: int, chunk: str
    ) -> None:
        """A chunk rides in its notification when it fits; otherwise the notification points at
        its TOOL_OUTPUT event and each listener reads the chunk from there."""
        payload: dict[str, Any] = {"k": "o", "r": run_id, "p": step_id, "e": event_seq}
        if len(chunk) <= NOTIFY_INLINE_CHARS:
            inline = payload | {"c": chunk}
            if len(json.dumps(inline)) <= NOTIFY_INLINE_CHARS:
                payload = inline
        self._notify(conn, payload)

    def _insert_events(self, conn: Connection, run_id: str, numbered: list[Event]) -> None:
        self._hot.insert_events(conn, [(run_id, e.seq, e.model_dump_json()) for e in numbered])

    def _record_audit(self, conn: Connection, entries: list[AuditEntry]) -> None:
        """Number and store audit entries. Called after the change sequence is taken, always:
        one lock order (changes, then audit) for every writer, so two cannot deadlock."""
        if not entries:
            return
        last = self._hot.take_seqs(conn, len(entries), t.AUDIT_SEQ)
        rows = []
        for offset, entry in enumerate(entries):
            numbered = entry.model_copy(update={"seq": last - len(entries) + 1 + offset})
            rows.append(
                {
                    "seq": numbered.seq,
                    "at_us": _micros(numbered.at),
                    "action": numbered.action.value,
                    "actor": _key(numbered.actor),
                    "run_id": numbered.run_id,
                    "entry_json": numbered.model_dump_json(),
                }
            )
        conn.execute(insert(t.audit_log), rows)

    def _idempotency_cutoff(self) -> int:
        return _micros(self.clock.now() - self.idempotency_retention)

    def _take_seqs(self, conn: Connection, count: int) -> int:
        """Advance the change sequence by `count` and return its new (last) value."""
        return self._hot.take_seqs(conn, count, t.CHANGE_SEQ)

    def _insert_ignore(self, conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        dialect_insert = sqlite_insert if self._is_sqlite else pg_insert
        conn.execute(dialect_insert(table).on_conflict_do_nothing(), rows)

    def _prune_tombstones(self, conn: Connection) -> None:
        cutoff = conn.execute(
            select(t.tombstones.c.seq)
            .order_by(t.tombstones.c.seq.desc())
            .offset(self.tombstone_retention)
            .limit(1)
        ).scalar_one_or_none()
        if cutoff is None:
            return
        conn.execute(sql_delete(t.tombstones).where(t.tombstones.c.seq <= cutoff))
        conn.execute(
            update(t.counters)
            .where(t.counters.c.name == t.PRUNED_THROUGH, t.counters.c.value < cutoff)
            .values(value=cutoff)
        )

    def _append_step_output(
        self, conn: Connection, run_id: str, step_id: str, chunk: str
    ) -> tuple[str, int, bool]:
        """Returns what was kept of `chunk`, its size, and whether the output is now truncated."""
        current = self._hot.step_output(conn, run_id, _key(step_id))
        if current is not None and current[1]:
            return "", 0, True
        used = current[0] if current is not None else 0
        kept, truncated = cap_output(chunk, OUTPUT_CAP_BYTES - used)
        kept_bytes = _utf8_len(kept)
        write = self._hot.insert_output if current is None else self._hot.extend_output
        write(conn, run_id, step_id, _escape_nul(kept), kept_bytes, truncated)
        return kept, kept_bytes, truncated


# helpers --------------------------------------------------------------------------------------


def cap_output(chunk: str, room_bytes: int) -> tuple[str, bool]:
    """Keep what fits in `room_bytes` of UTF-8, cut on a character boundary; when something is
    cut, the truncation marker follows the part kept (it may overshoot the cap by its own size)."""
    encoded = chunk.encode("utf-8", "surrogatepass")
    if len(encoded) <= room_bytes:
        return chunk, False
    head = encoded[: max(room_bytes, 0)].decode("utf-8", "ignore")
    return head + TRUNCATION_MARKER, True


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _connect(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _connect_sqlite(url)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _connect_sqlite(url: str) -> Engine:
    """WAL so readers never block the writer; a busy timeout so concurrent writers queue instead
    of failing; our own BEGIN so reads are real snapshot transactions (pysqlite's legacy mode
    would run each SELECT on its own)."""
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "page_size=16384",
            "journal_mode=WAL",
            "busy_timeout=30000",
            "synchronous=NORMAL",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _key(text: str) -> str:
    """PostgreSQL text cannot hold NUL; a key containing one matches nothing rather than failing."""
    return text.replace("\x00", "\ufffd")


def _escape_nul(text: str) -> str:
    """Tool output is stored as text that PostgreSQL accepts: NUL becomes `\\0` and a backslash
    doubles. The escape works character by character, so escaped chunks concatenate in SQL."""
    if "\\" not in text and "\x00" not in text:
        return text
    return text.replace("\\", "\\\\").replace("\x00", "\\0")


def _unescape_nul(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPED.sub(lambda m: "\x00" if m.group(1) == "0" else m.group(1), text)


def _channel_name(schema: str) -> str:
    """A channel per schema, spelled so it needs no quoting worries (LISTEN takes it quoted)."""
    return "runs_tui_" + re.sub(r"[^a-z0-9_]", "_", schema.lower())[:40]


def _from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _micros(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(microseconds=1)


def etag_of(run: RunDetail) -> str:
    """The same validator as `RunStore.run_etag`, computed from a run read back whole."""
    return _etag(run.version, run.events[-1].seq if run.events else 0)


def _etag(version: int, last_event_seq: int) -> str:
    return f'"{version}.{last_event_seq}"'


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def _number_events(events: Iterable[Event], first: int) -> list[Event]:
    return [e.model_copy(update={"seq": first + i}) for i, e in enumerate(events)]


def _run_row(
    run: RunDetail, last_event_seq: int, seq: int | None = None, version: int | None = None
) -> dict[str, Any]:
    """The row of `run`; `seq` and `version`, when given, replace the run's own."""
    seq = run.seq if seq is None else seq
    version = run.version if version is None else version
    return {
        "id": run.id,
        "seq": seq,
        "kind": run.kind.value,
        "definition_id": _key(run.definition_id),
        "name": _key(run.name),
        "status": run.status.value,
        "created_us": _micros(run.created_at),
        "version": version,
        "last_event_seq": last_event_seq,
        "summary_json": f"{summary_head(run, version)}{seq}}}",
        "detail_json": detail_json(run),
    }


def detail_json(run: RunDetail) -> str:
    """What the row keeps of the detail beyond the summary: steps (outputs capped) and variables.
    Fields at their defaults are left out (reading fills them in again): a fifth less to write
    and read for every run, which counts when a million are seeded."""
    return _with_capped_outputs(run).model_dump_json(include=_DETAIL_FIELDS, exclude_defaults=True)


def _seed_row(run: RunDetail) -> SeedRow:
    version = max(run.version, 1)
    events = [
        e.model_copy(update={"seq": n}).model_dump_json() for n, e in enumerate(run.events, start=1)
    ]
    return SeedRow(
        run.id,
        run.kind.value,
        _key(run.definition_id),
        _key(run.name),
        run.status.value,
        _micros(run.created_at),
        version,
        summary_head(run, version),
        detail_json(run),
        events,
    )


def _with_capped_outputs(run: RunDetail) -> RunDetail:
    """The 1 MiB cap holds for output the engine sets directly, not only for streamed chunks."""
    if not any(s.tool and len(s.tool.output) > OUTPUT_CAP_BYTES // 4 for s in run.steps):
        return run
    steps = []
    for step in run.steps:
        if step.tool and _utf8_len(step.tool.output) > OUTPUT_CAP_BYTES:
            output, _ = cap_output(step.tool.output, OUTPUT_CAP_BYTES)
            step = step.model_copy(
                update={
                    "tool": step.tool.model_copy(
                        update={"output": output, "output_truncated": True}
                    )
                }
            )
        steps.append(step)
    return run.model_copy(update={"steps": steps})


def _updatable(row: dict[str, Any]) -> dict[str, Any]:
    """A run row without its key, for an UPDATE of the hot path."""
    return {name: row[name] for name in RUN_COLUMNS}


def _load_detail(conn: Connection, run_id: str) -> RunDetail:
    row = conn.execute(
        select(t.runs.c.summary_json, t.runs.c.detail_json).where(t.runs.c.id == _key(run_id))
    ).first()
    if row is None:
        raise RunNotFound(run_id)
    document: dict[str, Any] = json.loads(row.summary_json) | json.loads(row.detail_json)
    document["events"] = [
        json.loads(text)
        for text in conn.execute(
            select(t.events.c.event_json)
            .where(t.events.c.run_id == run_id)
            .order_by(t.events.c.seq)
        ).scalars()
    ]
    _merge_outputs(conn, run_id, document.setdefault("steps", []))
    return RunDetail.model_validate(document)


def _merge_outputs(conn: Connection, run_id: str, steps: list[dict[str, Any]]) -> None:
    outputs = {
        row.step_id: row
        for row in conn.execute(select(t.step_outputs).where(t.step_outputs.c.run_id == run_id))
    }
    for step in steps:
        stored = outputs.get(step["id"])
        if stored is not None and step.get("tool") is not None:
            step["tool"]["output"] = _unescape_nul(stored.output)
            step["tool"]["output_truncated"] = stored.truncated or step["tool"].get(
                "output_truncated", False
            )


def _statuses_of(conn: Connection, ids: Sequence[str]) -> dict[str, RunStatus]:
    found: dict[str, RunStatus] = {}
    for chunk in _chunks([_key(run_id) for run_id in ids]):
        rows = conn.execute(
            select(t.runs.c.id, t.runs.c.status).where(t.runs.c.id.in_(chunk)).with_for_update()
        )
        found.update((row.id, RunStatus(row.status)) for row in rows)
    return found


def _names_of(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks([_key(run_id) for run_id in ids]):
        rows = conn.execute(select(t.runs.c.id, t.runs.c.name).where(t.runs.c.id.in_(chunk)))
        found.update((row.id, row.name) for row in rows)
    return found


def _refusal(run_id: str, status: RunStatus | None) -> DeleteRefusal:
    if status is None:
        return DeleteRefusal(run_id, None, "no such run")
    return DeleteRefusal(
        run_id, status, f"run is {status.label}: only finished runs can be deleted"
    )


def _delete_run_rows(conn: Connection, ids: Sequence[str]) -> None:
    for chunk in _chunks(ids):
        conn.execute(sql_delete(t.events).where(t.events.c.run_id.in_(chunk)))
        conn.execute(sql_delete(t.step_outputs).where(t.step_outputs.c.run_id.in_(chunk)))
        conn.execute(sql_delete(t.runs).where(t.runs.c.id.in_(chunk)))


def _counter(conn: Connection, name: str) -> int:
    return conn.execute(select(t.counters.c.value).where(t.counters.c.name == name)).scalar_one()


def _list_conditions(
    statuses: frozenset[RunStatus],
    kind: RunKind | None,
    since: datetime | None,
    until: datetime | None,
    name: str,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if statuses:
        conditions.append(t.runs.c.status.in_(sorted(s.value for s in statuses)))
    if kind is not None:
        conditions.append(t.runs.c.kind == kind.value)
    if since is not None:
        conditions.append(t.runs.c.created_us >= _micros(since))
    if until is not None:
        conditions.append(t.runs.c.created_us < _micros(until))
    if name:
        pattern = "%" + _escape_like(_key(name).lower()) + "%"
        conditions.append(func.lower(t.runs.c.name).like(pattern, escape="\\"))
    return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
