"""`Cache`: the one object the sync engine, the CLI and the dashboard use for local runs.

Synchronous and meant for one thread at a time per instance (each thread or process opens its
own). Counts are remembered until the data changes — this connection's writes or another
connection's commits (`PRAGMA data_version`) — because the list asks for the same counts on
every redraw and window fetch.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from runs_tui.cache import database, details, state, writes
from runs_tui.cache.checkpoint import Checkpointer
from runs_tui.cache.counts import status_counts
from runs_tui.cache.details import CachedDetail
from runs_tui.cache.feed import RowPage
from runs_tui.cache.paging import (
    IndexChooser,
    Order,
    Row,
    anchor_of,
    choose_index,
    rows_at_offset,
    window_rows,
)
from runs_tui.cache.queries import Arm, base_arms, filter_arms, filter_ranks, segments
from runs_tui.cache.rows import SELECT_SUMMARY, SUMMARY_COLUMNS, run_values, summary_from_row
from runs_tui.cache.state import SyncState
from runs_tui.models import (
    ChangesPage,
    DefinitionSummary,
    RunDetail,
    RunFilter,
    RunKind,
    RunSummary,
    StatusGroup,
)
from runs_tui.models.health import DefinitionHealth, RecentRecord, Span
from runs_tui.models.ordering import STATUS_RANK, RowKey

ITER_CHUNK = 1000
SUMMARY_WIDTH = len(SUMMARY_COLUMNS)
MEMO_LIMIT = 256  # arms remembered; a moving `now` makes new ones every tick
EDGE_MEMORY = 512  # window edges remembered (two per window), for pages after a deletion
T = TypeVar("T")
_WAITING_RANKS = tuple(STATUS_RANK[s] for s in StatusGroup.WAITING.statuses)


class Cache:
    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._checkpointer = Checkpointer(path)
        Checkpointer.configure_writer(conn)
        weakref.finalize(self, self._checkpointer.stop)  # a Cache never closed: end its thread
        self._names = writes.NameIds()
        self._own_writes = 0
        self._memo_version: tuple[int, int] | None = None
        self._counts_memo: dict[Arm, Counter[int]] = {}
        self._edge_rids: OrderedDict[str, int] = OrderedDict()  # see `_remember_edges`

    @classmethod
    def open(cls, path: Path | str) -> Cache:
        """Open (creating, or rebuilding an older schema); raises `CacheTooNew`."""
        path = Path(path)
        return cls(path, database.connect(path))

    def close(self) -> None:
        self._checkpointer.close()
        self._conn.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # --- sync side ------------------------------------------------------------------------

    def apply_changes(self, page: ChangesPage) -> None:
        """Rows, tombstones and `page.next_cursor`, all in one transaction."""
        self.apply_rows(
            RowPage(
                [run_values(run) for run in page.changes],
                list(page.deleted),
                page.next_cursor,
                page.has_more,
            )
        )

    def apply_rows(self, page: RowPage) -> None:
        """`apply_changes` of a page parsed straight to rows (`feed.parse_page`); staged
        during a bulk load."""
        from runs_tui.cache import bulk  # the writing side: not imported by read-only opens

        def apply(conn: sqlite3.Connection) -> None:
            if bulk.loading(conn):
                bulk.stage_page(conn, self._names, page)
            else:
                writes.apply_page(conn, self._names, page)

        self._write(apply)

    def begin_bulk_load(self) -> bool:
        """Stage the coming pages if the cache is empty and has no cursor (a first sync);
        returns whether pages are staged. Call `finish_bulk_load` after the last page."""
        from runs_tui.cache import bulk

        return self._write(bulk.begin)

    def finish_bulk_load(self) -> int:
        """Publish staged pages (if any) into the queried tables; returns the rows published."""
        from runs_tui.cache import bulk

        if not bulk.loading(self._conn):
            return 0
        return self._write(lambda conn: bulk.publish(conn, self._names).rows)

    def begin_full_resync(self) -> None:
        """Start over from cursor zero in a new generation (after a 410); survives restarts."""
        self._write(writes.begin_full_resync)

    def finish_full_resync(self) -> int:
        """Publish the resync's staged pages in place of `runs`, and delete runs it did not
        see, in one transaction; returns how many runs the server no longer has."""
        from runs_tui.cache import bulk

        def finish(conn: sqlite3.Connection) -> int:
            published = bulk.publish(conn, self._names)
            return published.removed + writes.finish_full_resync(conn)

        return self._write(finish)

    def sync_state(self) -> SyncState:
        return state.read_state(self._conn)

    def record_sync_success(self, at: datetime) -> None:
        self._write(lambda conn: state.record_success(conn, at))

    def record_sync_error(self, message: str, at: datetime) -> None:
        self._write(lambda conn: state.record_error(conn, message, at))

    def store_detail(self, detail: RunDetail, etag: str | None, fetched_at: datetime) -> None:
        self._write(lambda conn: details.store_detail(conn, self._names, detail, etag, fetched_at))

    def get_detail(self, run_id: str) -> CachedDetail | None:
        with database.read_snapshot(self._conn) as conn:
            return details.load_detail(conn, run_id)

    def replace_definitions(self, definitions: list[DefinitionSummary]) -> None:
        self._write(lambda conn: details.replace_definitions(conn, definitions))

    def definitions(self) -> list[DefinitionSummary]:
        return details.load_definitions(self._conn)

    # --- query side -----------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunSummary | None:
        row = self._conn.execute(
            f"SELECT {SELECT_SUMMARY} FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        return None if row is None else summary_from_row(row)

    def runs_with_id_prefix(self, prefix: str, limit: int) -> list[RunSummary]:
        """Up to `limit` runs whose id starts with `prefix` (case-sensitive), by id: what a
        typed id prefix may mean. A range over the unique id index, so it stays instant."""
        if not prefix:
            return []
        rows = self._conn.execute(
            f"SELECT {SELECT_SUMMARY} FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        ).fetchall()
        return [summary_from_row(row) for row in rows]

    def previous_run(self, run_id: str) -> RunSummary | None:
        """The run of the same flow or guide created just before `run_id` (ties: the one that
        arrived earlier), or None: what a comparison with "the previous run" means. Walks the
        time index backwards from the run, so a common definition answers at once."""
        row = self._conn.execute(
            "WITH me AS (SELECT definition_id, kind, created_at, rid FROM runs WHERE id = ?)"
            f" SELECT {SELECT_SUMMARY} FROM runs"
            " WHERE definition_id = (SELECT definition_id FROM me)"
            " AND kind = (SELECT kind FROM me)"
            " AND (created_at, rid) < (SELECT created_at, rid FROM me)"
            " ORDER BY created_at DESC, rid DESC LIMIT 1",
            (run_id,),
        ).fetchone()
        return None if row is None else summary_from_row(row)

    def count(self, f: RunFilter, now: datetime) -> int:
        """How many runs `f` shows at `now`."""
        if f.unresolved:
            with database.read_snapshot(self._conn):
                return sum(sum(self._status_counts(arm).values()) for arm in filter_arms(f, now))
        ranks = filter_ranks(f)
        with database.read_snapshot(self._conn):
            return sum(
                n
                for arm in base_arms(f, now)
                for rank, n in self._status_counts(arm).items()
                if rank in ranks
            )

    def group_counts(self, f: RunFilter, now: datetime) -> dict[StatusGroup, int]:
        """Runs per status group under `f`'s kind, time and name (its statuses ignored)."""
        per_status: Counter[int] = Counter()
        with database.read_snapshot(self._conn):
            for arm in base_arms(f, now):
                per_status.update(self._status_counts(arm))
        return {
            group: sum(per_status[STATUS_RANK[s]] for s in group.statuses) for group in StatusGroup
        }

    def window(
        self,
        f: RunFilter,
        now: datetime,
        *,
        after: RowKey | None = None,
        before: RowKey | None = None,
        limit: int,
    ) -> list[RunSummary]:
        """Up to `limit` rows in `f`'s order: the first ones, those right after `after`, or
        those right before `before` (still returned in list order)."""
        if after is not None and before is not None:
            raise ValueError("window() takes `after` or `before`, not both")
        order = Order(f.sort, f.descending)
        if limit <= 0:
            return []
        with database.read_snapshot(self._conn) as conn:
            arms = [
                arm for part in segments(filter_arms(f, now), f.sort, f.descending) for arm in part
            ]
            if before is not None:
                reading = order.reversed
                anchor = anchor_of(conn, before, reading, self._edge_rids)
                rows = window_rows(conn, arms, reading, self._chooser(), anchor, limit)
                rows.reverse()
            else:
                anchor = None if after is None else anchor_of(conn, after, order, self._edge_rids)
                rows = window_rows(conn, arms, order, self._chooser(), anchor, limit)
        self._remember_edges(rows)
        return [summary_from_row(row[:SUMMARY_WIDTH]) for row in rows]

    def _remember_edges(self, rows: list[Row]) -> None:
        """The rids of a window's first and last rows: the keys the next page is asked from,
        kept so that a page can still start exactly at a run deleted meanwhile."""
        for row in rows[:1] + rows[-1:]:
            self._edge_rids[row[0]] = row[-1]
            self._edge_rids.move_to_end(row[0])
        while len(self._edge_rids) > EDGE_MEMORY:
            self._edge_rids.popitem(last=False)

    def rows_at(self, f: RunFilter, now: datetime, offset: int, limit: int) -> list[RunSummary]:
        """Rows [offset, offset + limit) of the list: a jump (to the end, or anywhere)."""
        with database.read_snapshot(self._conn):
            rows = self._rows_at(f, now, max(0, offset), limit)
        self._remember_edges(rows)
        return [summary_from_row(row[:SUMMARY_WIDTH]) for row in rows]

    def iter_runs(self, f: RunFilter, now: datetime) -> Iterator[RunSummary]:
        """Every run `f` shows, in its order, read in keyset chunks (memory stays flat)."""
        after: RowKey | None = None
        while True:
            chunk = self.window(f, now, after=after, limit=ITER_CHUNK)
            yield from chunk
            if len(chunk) < ITER_CHUNK:
                return
            after = RowKey.for_run(chunk[-1], f.sort)

    def health(self, span: Span) -> list[DefinitionHealth]:
        """Every flow and guide's health figures over `span`, getting worse first."""
        from runs_tui.cache import health

        return health.health_lines(self._conn, span)

    def recent_record(self, kind: RunKind, name: str, limit: int = 10) -> RecentRecord:
        """Of a flow's or guide's latest `limit` finished runs, how many failed."""
        from runs_tui.cache import health

        return health.recent_record(self._conn, kind, name, limit)

    def waiting_count(self) -> int:
        """Runs waiting for input, whatever the filter: the header's always-visible count."""
        marks = ", ".join("?" * len(_WAITING_RANKS))
        row = self._conn.execute(
            f"SELECT coalesce(sum(n), 0) FROM run_totals_daily WHERE status_rank IN ({marks})",
            _WAITING_RANKS,
        ).fetchone()
        return int(row[0])

    # --- internals ------------------------------------------------------------------------

    def _write(self, action: Callable[[sqlite3.Connection], T]) -> T:
        """Run `action(conn)` in one BEGIN IMMEDIATE transaction."""
        self._own_writes += 1
        try:
            with database.write_transaction(self._conn) as conn:
                result = action(conn)
        except BaseException:
            self._names.forget()  # ids handed out in a rolled-back transaction are void
            raise
        self._checkpointer.committed(self._conn.total_changes)
        return result

    def _status_counts(self, arm: Arm) -> Counter[int]:
        self._refresh_memo()
        counts = self._counts_memo.get(arm)
        if counts is None:
            counts = self._counts_memo[arm] = status_counts(self._conn, arm)
        return counts

    def _refresh_memo(self) -> None:
        data_version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        version = (data_version, self._own_writes)
        if version != self._memo_version or len(self._counts_memo) > MEMO_LIMIT:
            self._memo_version = version
            self._counts_memo.clear()

    def _arm_count(self, arm: Arm) -> int:
        if arm.unresolved:  # counted as it is: the ranks alone do not say which runs
            return sum(self._status_counts(arm).values())
        return sum(
            self._status_counts(Arm(kind=arm.kind, name=arm.name, lo=arm.lo, hi=arm.hi)).get(
                rank, 0
            )
            for rank in arm.ranks
        )

    def _total_estimate(self) -> int:
        """Rows in the table, near enough to cost a plan: the rowid span (an upper bound)."""
        row = self._conn.execute(
            "SELECT (SELECT max(rid) FROM runs) - (SELECT min(rid) FROM runs) + 1"
        ).fetchone()
        return int(row[0] or 0)

    def _chooser(self) -> IndexChooser:
        total = self._total_estimate()

        def choose(arm: Arm, order: Order, wanted: int) -> str:
            return choose_index(self._conn, arm, order, self._arm_count(arm), total, wanted)

        return choose

    def _rows_at(self, f: RunFilter, now: datetime, offset: int, limit: int) -> list[Row]:
        order = Order(f.sort, f.descending)
        counted = [
            [(arm, self._arm_count(arm)) for arm in segment]
            for segment in segments(filter_arms(f, now), f.sort, f.descending)
        ]
        counted = [[(arm, n) for arm, n in segment if n] for segment in counted]
        counted = [segment for segment in counted if segment]
        every_arm = [arm for segment in counted for arm, _ in segment]
        total = sum(n for segment in counted for _, n in segment)
        if offset >= total or limit <= 0:
            return []
        if offset + limit >= total:  # the tail: read backwards, no OFFSET
            rows = window_rows(
                self._conn, every_arm, order.reversed, self._chooser(), None, total - offset
            )
            rows.reverse()
            return rows
        if offset == 0:
            return window_rows(self._conn, every_arm, order, self._chooser(), None, limit)
        rows: list[Row] = []
        for segment in counted:
            size = sum(n for _, n in segment)
            if offset >= size:
                offset -= size
                continue
            wanted = min(limit - len(rows), size - offset)
            rows.extend(self._segment_rows_at(segment, size, order, offset, wanted))
            offset = 0
            if len(rows) >= limit:
                break
        return rows

    def _segment_rows_at(
        self, segment: list[tuple[Arm, int]], size: int, order: Order, offset: int, limit: int
    ) -> list[Row]:
        """A middle jump inside one segment, counted from whichever end is nearer."""
        if offset > size // 2:
            from_end = size - offset - limit
            rows = rows_at_offset(
                self._conn, segment, order.reversed, self._chooser(), from_end, limit
            )
            rows.reverse()
            return rows
        return rows_at_offset(self._conn, segment, order, self._chooser(), offset, limit)
