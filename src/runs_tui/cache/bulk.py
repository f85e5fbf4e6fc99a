"""Bulk load: the server's whole state, staged without indexes and published at once.

Why: inserting a run into `runs` costs six index insertions (ids and durations land at random
places), about eight times the row itself. When the feed is read from the start — a first
sync, a cache rebuilt after a schema change, a full resync after a 410 — the pages are
appended to `run_staging`, a table without any index, and at the end of the feed `publish`
renames it to `runs` (no copy; the old table, if any, is dropped) and builds the indexes and
count tables once, by sorting, which SQLite does far faster than maintaining them row by row.
Names get their ids page by page (they are few); their search index is rebuilt once at the
end. A first sync during which `runs` gained rows (a detail fetched meanwhile) is the one
case published by upserts instead.

Crash safety is the same as for ordinary pages: each staged page commits with its cursor, so
a kill leaves exactly the pages that committed, and the next sync continues from the cursor
(`sync_state.bulk_loading` says where new pages go). `publish` is one transaction: killed
midway it rolls back to the staged state and runs again at the end of the next sync.

Readers never see a missing index, nor a half-done resync: `runs` is only swapped inside
`publish`'s transaction, so until it commits, queries see the cache as it was before the load
(empty, or the pre-resync state), fully indexed. The lock is held while indexes build
(~0.4 s per 100k runs here): another writer waits up to the busy timeout.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from runs_tui.cache.feed import RowPage
from runs_tui.cache.rows import RUN_COLUMNS
from runs_tui.cache.schema_sql import CREATE_RUNS_INDEXES, CREATE_STAGING
from runs_tui.cache.writes import (
    COUNT_TABLES,
    DETAIL_TABLES,
    STAGING_TABLES,
    CountTable,
    NameIds,
    current_generation,
    delete_runs,
    upsert_rows,
)

_COLUMNS = ", ".join(RUN_COLUMNS)
_NAME = RUN_COLUMNS.index("name")
_PUBLISH_CHUNK = 5000
STAGE_ROWS = f"INSERT INTO run_staging ({_COLUMNS}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})"


def loading(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT bulk_loading FROM sync_state WHERE id = 1").fetchone()
    return bool(row[0])


def begin(conn: sqlite3.Connection) -> bool:
    """Send the coming pages to staging if the cache is empty with no cursor (or is loading
    already); returns whether it does. Call inside a write transaction."""
    if loading(conn):
        return True
    cursor = conn.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()[0]
    if cursor is not None or conn.execute("SELECT 1 FROM runs LIMIT 1").fetchone():
        return False
    conn.execute("UPDATE sync_state SET bulk_loading = 1 WHERE id = 1")
    return True


def stage_page(conn: sqlite3.Connection, names: NameIds, page: RowPage) -> None:
    """Append a page's rows and tombstones to staging and move the cursor, in the caller's
    transaction. Names get their ids now (there are few of them); their search entries come
    with `publish`."""
    if page.rows:
        ids = names.ensure(conn, {row[_NAME] for row in page.rows})
        generation = current_generation(conn)
        conn.executemany(STAGE_ROWS, [row + (ids[row[_NAME]], generation) for row in page.rows])
    if page.deleted:
        upto = conn.execute("SELECT coalesce(max(rid), 0) FROM run_staging").fetchone()[0]
        conn.executemany(
            "INSERT INTO run_staging_deleted (id, upto_rid) VALUES (?, ?)",
            [(run_id, upto) for run_id in page.deleted],
        )
    conn.execute("UPDATE sync_state SET cursor = ? WHERE id = 1", (page.next_cursor,))


@dataclass(frozen=True)
class Published:
    rows: int  # runs moved from staging into `runs`
    removed: int  # runs of the old `runs` the load replaced and did not bring back


def publish(conn: sqlite3.Connection, names: NameIds) -> Published:
    """Move the staged rows into `runs` and leave bulk mode. Call inside one write
    transaction; a no-op when not loading.

    The staged rows replace `runs` wholesale when they are the server's whole state: a first
    sync into an empty cache, or a full resync. Otherwise (a first sync during which `runs`
    gained rows, say a detail fetched meanwhile) they are upserted."""
    if not loading(conn):
        return Published(0, 0)
    tombstoned = _apply_staged_tombstones(conn)
    if _replaces_runs(conn):
        removed = _drop_what_staging_lacks(conn)
        published = Published(_publish_by_swap(conn), removed)
    else:
        published = Published(_publish_by_upsert(conn, names, tombstoned), 0)
    conn.execute("INSERT INTO run_names_fts (run_names_fts) VALUES ('rebuild')")  # see tables
    for table in STAGING_TABLES:
        conn.execute(f"DELETE FROM {table}")  # run_staging is new (empty) after a rename
    conn.execute("UPDATE sync_state SET bulk_loading = 0 WHERE id = 1")
    return published


def _replaces_runs(conn: sqlite3.Connection) -> bool:
    resync = conn.execute("SELECT resync_in_progress FROM sync_state WHERE id = 1").fetchone()
    return bool(resync[0]) or conn.execute("SELECT 1 FROM runs LIMIT 1").fetchone() is None


def _drop_what_staging_lacks(conn: sqlite3.Connection) -> int:
    """Before a swap: forget the details and counts of the old `runs` (the counts are rebuilt
    from the new one) and say how many of its runs the server no longer has."""
    gone = "SELECT id FROM runs WHERE id NOT IN (SELECT id FROM run_staging)"
    removed = int(conn.execute(f"SELECT count(*) FROM ({gone})").fetchone()[0])
    if removed:
        for table in DETAIL_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE run_id IN ({gone})")
    for table in COUNT_TABLES:
        conn.execute(f"DELETE FROM {table.name}")
    return removed


def _apply_staged_tombstones(conn: sqlite3.Connection) -> list[str]:
    """Drop staged rows deleted later in the feed; return every tombstoned id."""
    tombstoned = [
        run_id for (run_id,) in conn.execute("SELECT DISTINCT id FROM run_staging_deleted")
    ]
    if tombstoned:
        conn.execute(
            "DELETE FROM run_staging WHERE EXISTS (SELECT 1 FROM run_staging_deleted AS d "
            "WHERE d.id = run_staging.id AND d.upto_rid >= run_staging.rid)"
        )
    return tombstoned


def _publish_by_swap(conn: sqlite3.Connection) -> int:
    """The staging table becomes `runs` (renamed, not copied); its indexes and the (empty)
    count tables are then built once, by sorting, and a fresh staging table takes its place."""
    conn.execute("DROP TABLE runs")
    conn.execute("ALTER TABLE run_staging RENAME TO runs")
    conn.execute(CREATE_STAGING)
    for create in CREATE_RUNS_INDEXES:
        try:
            conn.execute(create)
        except sqlite3.IntegrityError:  # the unique id index: a run came twice
            _drop_superseded(conn)
            conn.execute(create)
    _count_from_runs(conn)
    return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])


def _drop_superseded(conn: sqlite3.Connection) -> None:
    """Keep one row per run, its latest: a run that changed during the load came twice.
    (SQLite takes the bare `rid` from the row holding the `max(seq)`.) The kept row's rid is
    the later one, so among exact ties (same sort value and creation microsecond) such a
    run may sort apart from where a page-by-page sync would place it; nothing else moves."""
    conn.execute(
        "DELETE FROM runs WHERE rid NOT IN "
        "(SELECT rid FROM (SELECT rid, max(seq) FROM runs GROUP BY id))"
    )


def _count_from_runs(conn: sqlite3.Connection) -> None:
    """Fill the (empty) count tables: the finest from `runs` in one scan, each coarser one
    from the closest table already filled. Dropping the name from a table of the same period
    groups on a prefix of its primary key, which SQLite streams in key order without
    sorting: daily totals come from daily counts, hourly totals from hourly counts."""
    finest, *coarser = sorted(COUNT_TABLES, key=lambda t: (t.period, not t.by_name))
    _count_into(conn, finest, "runs", "created_at", "count(*)", finest.period)
    filled = [finest]
    for table in coarser:
        source = max((t for t in filled if t.by_name or not table.by_name), key=lambda t: t.period)
        _count_into(conn, table, source.name, "period", "sum(n)", table.period // source.period)
        filled.append(table)


def _count_into(
    conn: sqlite3.Connection, table: CountTable, source: str, column: str, total: str, per: int
) -> None:
    """Periods floor like Python's `//` (SQLite's `/` truncates towards zero)."""
    period = column if per == 1 else f"({column} - (({column} % {per}) + {per}) % {per}) / {per}"
    keys = ", ".join(table.key_columns[1:])
    conn.execute(
        f"INSERT INTO {table.name} ({', '.join(table.key_columns)}, n) "
        f"SELECT {period}, {keys}, {total} FROM {source} GROUP BY {period}, {keys}"
    )


def _publish_by_upsert(conn: sqlite3.Connection, names: NameIds, tombstoned: list[str]) -> int:
    """The general path, when `runs` gained rows meanwhile: tombstones first (they are all
    later than anything already in `runs`), then the survivors through the ordinary upsert."""
    delete_runs(conn, tombstoned)
    generation = current_generation(conn)
    published, last = 0, 0
    while True:
        rows = conn.execute(
            f"SELECT rid, {_COLUMNS} FROM run_staging WHERE rid > ? ORDER BY rid LIMIT ?",
            (last, _PUBLISH_CHUNK),
        ).fetchall()
        if not rows:
            return published
        last = rows[-1][0]
        upsert_rows(conn, names, [row[1:-2] for row in rows], generation)
        published += len(rows)
