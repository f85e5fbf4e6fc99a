"""The sync side: applying change-feed pages, full resyncs, and name bookkeeping.

A page is applied in one `BEGIN IMMEDIATE` transaction — rows, tombstones and the new cursor
together — so a process killed at any instant leaves either the whole page or none of it, and
the next sync resumes from the last committed cursor.

Rows go in with one `executemany` of an `INSERT … ON CONFLICT DO UPDATE` (no ORM objects).
A row older than the cached one is skipped, unless the cached one has not yet been seen in the
current resync generation: then the server's copy wins whatever its sequence. The per-day
counts (`run_counts_*`, `run_totals_*`) are adjusted here, once per page from the rows' old
and new buckets, rather than by row triggers, which cost more than all the indexes together.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from runs_tui.cache.feed import RowPage
from runs_tui.cache.rows import MICROS_PER_DAY, MICROS_PER_HOUR, RUN_COLUMNS, run_values
from runs_tui.cache.search import fold, searchable
from runs_tui.models import RunSummary

_UPDATABLE = [c for c in RUN_COLUMNS if c != "id"]
UPSERT_RUNS = (
    f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))}) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _UPDATABLE)}"
)


@dataclass(frozen=True)
class CountTable:
    name: str
    period: int  # microseconds one row covers
    by_name: bool  # keyed by name id too

    @property
    def key_columns(self) -> tuple[str, ...]:
        return ("period", "status_rank", "kind", *(("name_id",) if self.by_name else ()))


COUNT_TABLES = (
    CountTable("run_counts_daily", MICROS_PER_DAY, by_name=True),
    CountTable("run_counts_hourly", MICROS_PER_HOUR, by_name=True),
    CountTable("run_totals_daily", MICROS_PER_DAY, by_name=False),
    CountTable("run_totals_hourly", MICROS_PER_HOUR, by_name=False),
)
DETAIL_TABLES = ("run_details", "run_steps", "run_variables", "run_events")
STAGING_TABLES = ("run_staging", "run_staging_deleted")
_CHUNK = 500

Bucket = tuple[int, int, str, int]  # created_at, status_rank, kind, name_id of one run
Row = tuple[Any, ...]
_CREATED, _RANK, _KIND, _NAME_ID, _NAME, _SEQ = (
    RUN_COLUMNS.index(c) for c in ("created_at", "status_rank", "kind", "name_id", "name", "seq")
)


class NameIds:
    """name → id of `run_names`, remembered per connection; ids never change once given."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def forget(self) -> None:
        self._ids.clear()

    def ensure(self, conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, int]:
        """Ids for `names`, inserting the new ones; call inside the write transaction."""
        missing = {name for name in names if name not in self._ids}
        if missing:
            conn.executemany(
                "INSERT OR IGNORE INTO run_names (name, folded, searchable) VALUES (?, ?, ?)",
                [(name, fold(name), searchable(fold(name))) for name in missing],
            )
            for name in missing:
                row = conn.execute("SELECT id FROM run_names WHERE name = ?", (name,)).fetchone()
                self._ids[name] = int(row[0])
        return self._ids


def current_generation(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT generation FROM sync_state WHERE id = 1").fetchone()[0])


def upsert_runs(
    conn: sqlite3.Connection, names: NameIds, runs: Sequence[RunSummary], generation: int
) -> None:
    """`upsert_rows` for models (a fetched detail's summary, tests, the public page type)."""
    upsert_rows(conn, names, [run_values(run) for run in runs], generation)


def upsert_rows(
    conn: sqlite3.Connection, names: NameIds, rows: Sequence[Row], generation: int
) -> None:
    """Insert or update rows (`run_values` shape), skipping any older than the cached copy
    (unless the copy was not yet seen in the current resync generation), and keep the count
    tables in step."""
    if not rows:
        return
    latest = _latest_per_id(rows)
    cached = _cached_rows(conn, list(latest))
    fresh = [row for row in latest.values() if _wins(row[_SEQ], cached.get(row[0]), generation)]
    if not fresh:
        return
    ids = names.ensure(conn, {row[_NAME] for row in fresh})
    full = [row + (ids[row[_NAME]], generation) for row in fresh]
    conn.executemany(UPSERT_RUNS, full)
    deltas: Counter[Bucket] = Counter()
    for row in full:
        deltas[(row[_CREATED], row[_RANK], row[_KIND], row[_NAME_ID])] += 1
        old = cached.get(row[0])
        if old is not None:
            deltas[old[2:]] -= 1
    add_counts(conn, deltas)


def _latest_per_id(rows: Sequence[Row]) -> dict[str, Row]:
    latest: dict[str, Row] = {}
    for row in rows:
        known = latest.get(row[0])
        if known is None or row[_SEQ] >= known[_SEQ]:
            latest[row[0]] = row
    return latest


def _wins(seq: int, cached: tuple[Any, ...] | None, generation: int) -> bool:
    return cached is None or seq >= cached[0] or cached[1] != generation


def _cached_rows(conn: sqlite3.Connection, run_ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """id → (seq, seen_generation, *Bucket) of the cached rows among `run_ids`."""
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(run_ids), _CHUNK):
        chunk = run_ids[start : start + _CHUNK]
        for run_id, *rest in conn.execute(
            "SELECT id, seq, seen_generation, created_at, status_rank, kind, name_id FROM runs "
            f"WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            found[run_id] = tuple(rest)
    return found


def add_counts(conn: sqlite3.Connection, deltas: Counter[Bucket]) -> None:
    """Apply per-run deltas to every count table, dropping rows that fall to zero."""
    for table in COUNT_TABLES:
        summed: Counter[tuple[Any, ...]] = Counter()
        for (created, rank, kind, name_id), n in deltas.items():
            key = (created // table.period, rank, kind)
            summed[(*key, name_id) if table.by_name else key] += n
        changed = [(*key, n) for key, n in summed.items() if n]
        columns = table.key_columns
        conn.executemany(
            f"INSERT INTO {table.name} ({', '.join(columns)}, n) "
            f"VALUES ({', '.join('?' * (len(columns) + 1))}) "
            "ON CONFLICT DO UPDATE SET n = n + excluded.n",
            changed,
        )
        conn.executemany(
            f"DELETE FROM {table.name} WHERE "
            + " AND ".join(f"{c} = ?" for c in columns)
            + " AND n = 0",
            [row[:-1] for row in changed if row[-1] < 0],
        )


def delete_runs(conn: sqlite3.Connection, run_ids: Sequence[str]) -> None:
    """Remove runs, their counts and any detail cached for them."""
    cached = _cached_rows(conn, list(run_ids))
    add_counts(conn, _removal_deltas(cached))
    for start in range(0, len(run_ids), _CHUNK):
        chunk = list(run_ids[start : start + _CHUNK])
        marks = ", ".join("?" * len(chunk))
        conn.execute(f"DELETE FROM runs WHERE id IN ({marks})", chunk)
        for table in DETAIL_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", chunk)


def _removal_deltas(cached: dict[str, tuple[Any, ...]]) -> Counter[Bucket]:
    deltas: Counter[Bucket] = Counter()
    for old in cached.values():
        deltas[old[2:]] -= 1
    return deltas


def apply_page(conn: sqlite3.Connection, names: NameIds, page: RowPage) -> None:
    """Rows, tombstones and cursor of one page; call inside one write transaction."""
    upsert_rows(conn, names, page.rows, current_generation(conn))
    delete_runs(conn, page.deleted)
    conn.execute("UPDATE sync_state SET cursor = ? WHERE id = 1", (page.next_cursor,))


def begin_full_resync(conn: sqlite3.Connection) -> None:
    """A new generation from cursor zero, read as a bulk load: the resync's pages are staged
    (anything staged before is dropped: it is read again) and, since they are the server's
    whole state, replace `runs` at the end (`bulk.publish`). Until then the list shows the
    cache as it was, not a mix of old and new."""
    for table in STAGING_TABLES:
        conn.execute(f"DELETE FROM {table}")
    conn.execute(
        "UPDATE sync_state SET generation = generation + 1, resync_in_progress = 1, "
        "bulk_loading = 1, cursor = NULL WHERE id = 1"
    )


def finish_full_resync(conn: sqlite3.Connection) -> int:
    """Drop runs the resync did not see (the server no longer has them); return how many.
    Call after publishing its staged pages: then only runs written outside the resync (a
    detail fetched meanwhile) can be of an older generation."""
    generation = current_generation(conn)
    stale = [
        run_id
        for (run_id,) in conn.execute(
            "SELECT id FROM runs WHERE seen_generation <> ?", (generation,)
        )
    ]
    delete_runs(conn, stale)
    conn.execute("UPDATE sync_state SET resync_in_progress = 0 WHERE id = 1")
    return len(stale)
