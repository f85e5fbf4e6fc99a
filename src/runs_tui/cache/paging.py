"""Windows of sorted rows: keyset paging over one or two arms, and jumps by position.

For each arm the page is read one of two ways:

* *walk* — follow the sort column's index in order, testing the filter on the index entries
  (every sort index covers the filter columns) until `limit` rows match. Cheap when matches are
  dense: about `limit × total / matches` entries.
* *drive* — when matches are sparse, read only the candidates through the most selective
  filter's index (status, name or time; sized by a capped count probe) and sort those.

Jumps to the end read the list backwards (reversed order, keyset, no OFFSET). Only a jump into
the middle uses OFFSET, from whichever end is nearer.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runs_tui.cache.queries import ALL_RANKS, Arm, conditions, where
from runs_tui.cache.rows import SELECT_SUMMARY, SORT_INDEX, SORT_KEY_COLUMNS, key_parts
from runs_tui.models import SortColumn
from runs_tui.models.ordering import RowKey

WALK_BUDGET = 20_000
"""Index entries a walk may be expected to visit before driving from a filter index pays."""
DRIVE_ROW_COST = 10
"""A driven candidate costs about this many walked entries: a table lookup, then a sort."""
SMALL_ARM_CAP = 5_000
"""An arm this small is read whole when merging a middle jump across two arms."""

NAME_INDEX = SORT_INDEX[SortColumn.NAME]
_MAX_RID = 2**63 - 1
Row = tuple[Any, ...]  # summary columns, then the order's key columns and the rid


@dataclass(frozen=True)
class Order:
    """A sort and its direction. Ties on the sort columns break on the row id (`rid`), which
    each sort index names right after its sort columns: a varint of a few bytes, where the
    32-character run id it replaced made five indexes twice as big (and a first sync's index
    builds slower)."""

    sort: SortColumn
    descending: bool

    @property
    def reversed(self) -> Order:
        return Order(self.sort, not self.descending)

    @property
    def columns(self) -> tuple[str, ...]:
        return SORT_KEY_COLUMNS[self.sort]

    @property
    def selected(self) -> str:
        """What `arm_rows` selects after the summary: the order's columns, then the rid."""
        return ", ".join((*self.columns, "rid"))

    def key_of(self, row: Row) -> tuple[Any, ...]:
        """Where a row selected with `selected` appended sorts (the merges' key)."""
        return row[len(row) - len(self.columns) - 1 :]

    @property
    def clause(self) -> str:
        direction = "DESC" if self.descending else "ASC"
        return "ORDER BY " + ", ".join(f"{c} {direction}" for c in (*self.columns, "rid"))


@dataclass(frozen=True)
class Anchor:
    """Where a keyset page starts: a row's values of the order's columns, and its rid."""

    parts: tuple[Any, ...]
    rid: int


def anchor_of(
    conn: sqlite3.Connection, key: RowKey, order: Order, remembered: Mapping[str, int]
) -> Anchor:
    """The anchor of `key`: its run's rid, looked up, else as `remembered` from a window
    that returned it (the run was deleted since it was shown; its rid still places the key
    exactly). Failing both, every run tied with it (same sort value and creation time, to
    the microsecond) is let through rather than skipped."""
    row = conn.execute("SELECT rid FROM runs WHERE id = ?", (key.id,)).fetchone()
    rid = int(row[0]) if row is not None else remembered.get(key.id)
    if rid is None:
        rid = _MAX_RID if order.descending else -1
    return Anchor(key_parts(key.value), rid)


def arm_rows(
    conn: sqlite3.Connection,
    arm: Arm,
    order: Order,
    index: str,
    *,
    after: Anchor | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Row]:
    """Rows of `arm` in `order` strictly after `after`, read through `index`.

    The paging (filter, order, OFFSET) runs on index entries alone, in a subquery that picks
    row ids; only the rows finally returned are read from the table. On the name index the
    name is matched by key, so SQLite seeks to each matching name (in order) instead of
    scanning.
    """
    parts, params = conditions(arm, name_by_key=index == NAME_INDEX)
    if after is not None:
        condition, values = _after(arm, order, after)
        parts.append(condition)
        params.extend(values)
    paging = ""
    if limit is not None:
        paging = " LIMIT ? OFFSET ?"
        params.extend((limit, offset))
    sql = (
        f"SELECT {SELECT_SUMMARY}, {order.selected} FROM runs WHERE rid IN "
        f"(SELECT rid FROM runs INDEXED BY {index}{where(parts)} {order.clause}{paging}) "
        f"{order.clause}"
    )
    return conn.execute(sql, params).fetchall()


def _after(arm: Arm, order: Order, after: Anchor) -> tuple[str, list[Any]]:
    """The keyset condition "after `after` in `order`" for the rows of `arm`.

    Sorted by kind, an arm holds a single kind and is read through the time index, which a
    comparison that starts with `kind` cannot seek into (SQLite would scan it from the
    start on every page): the kinds are compared here instead, and SQL compares only
    (created_at, rid)."""
    columns, values = list(order.columns), list(after.parts)
    if order.sort is SortColumn.KIND and arm.kind is not None:
        if arm.kind != values[0]:
            comes_later = (arm.kind > values[0]) != order.descending
            return ("1" if comes_later else "0"), []
        columns, values = columns[1:], values[1:]
    marks = ", ".join("?" * (len(columns) + 1))
    operator = "<" if order.descending else ">"
    return f"({', '.join((*columns, 'rid'))}) {operator} ({marks})", [*values, after.rid]


def choose_index(
    conn: sqlite3.Connection, arm: Arm, order: Order, matches: int, total: int, limit: int
) -> str:
    """The index to read `arm` through: the sort index unless a filter index is far cheaper."""
    sort_index = SORT_INDEX[order.sort]
    walk_cost = min(total, limit * total // max(matches, 1))
    if walk_cost <= WALK_BUDGET:
        return sort_index
    best, best_cost = sort_index, walk_cost
    for index, parts in _drive_candidates(arm):
        cost = DRIVE_ROW_COST * _probe(conn, index, parts, best_cost // DRIVE_ROW_COST + 1)
        if cost < best_cost:
            best, best_cost = index, cost
    return best


def _drive_candidates(arm: Arm) -> list[tuple[str, tuple[list[str], list[Any]]]]:
    candidates = []
    if arm.ranks != ALL_RANKS:
        candidates.append(("ix_runs_status", conditions(arm, kind=False, name=False)))
    if arm.name:
        by_name = conditions(arm, status=False, kind=False, name_by_key=True)
        candidates.append((NAME_INDEX, by_name))
    if arm.lo is not None or arm.hi is not None:
        time_only = conditions(arm, status=False, kind=False, name=False)
        candidates.append(("ix_runs_started", time_only))
    return candidates


def _probe(
    conn: sqlite3.Connection, index: str, condition: tuple[list[str], list[Any]], cap: int
) -> int:
    """How many entries the index range holds, counting no further than `cap` (the cost of
    the best plan so far: a range that big has lost already)."""
    parts, params = condition
    sql = f"SELECT count(*) FROM (SELECT 1 FROM runs INDEXED BY {index}{where(parts)} LIMIT ?)"
    return int(conn.execute(sql, [*params, cap]).fetchone()[0])


IndexChooser = Callable[[Arm, Order, int], str]
"""(arm, order, rows wanted) → index; the cache supplies one that knows the counts."""


def window_rows(
    conn: sqlite3.Connection,
    arms: list[Arm],
    order: Order,
    choose: IndexChooser,
    after: Anchor | None,
    limit: int,
) -> list[Row]:
    """The first `limit` rows after `after` in `order`, merged across arms."""
    per_arm = [
        arm_rows(conn, arm, order, choose(arm, order, limit), after=after, limit=limit)
        for arm in arms
    ]
    return _merge(per_arm, order, limit)


def _merge(lists: list[list[Row]], order: Order, limit: int) -> list[Row]:
    if len(lists) == 1:
        return lists[0][:limit]
    merged = heapq.merge(*lists, key=order.key_of, reverse=order.descending)
    return [row for _, row in zip(range(limit), merged)]


def rows_at_offset(
    conn: sqlite3.Connection,
    arms: list[tuple[Arm, int]],
    order: Order,
    choose: IndexChooser,
    offset: int,
    limit: int,
) -> list[Row]:
    """Rows [offset, offset + limit) of the merged arms ((arm, count) pairs) in `order`.

    With two arms, the smaller one (usually the few old active runs) is read whole; the big
    one from `offset - small` on. Element k of the merge of those two reads then sits at
    position `start + k` of the whole list for every k inside the wanted slice.
    """
    (big, _), *rest = sorted(arms, key=lambda pair: -pair[1])
    small_rows: list[Row] = []
    for arm, count in rest:
        if count > SMALL_ARM_CAP:
            return _single_query_at(conn, [arm for arm, _ in arms], order, offset, limit)
        small_rows.extend(arm_rows(conn, arm, order, choose(arm, order, count)))
    small_rows.sort(key=order.key_of, reverse=order.descending)
    start = max(0, offset - len(small_rows))
    wanted = offset + limit - start
    big_rows = arm_rows(
        conn, big, order, choose(big, order, offset + limit), limit=wanted, offset=start
    )
    merged = list(heapq.merge(big_rows, small_rows, key=order.key_of, reverse=order.descending))
    return merged[offset - start : offset - start + limit]


def _single_query_at(
    conn: sqlite3.Connection, arms: list[Arm], order: Order, offset: int, limit: int
) -> list[Row]:
    """Fallback for two large arms: one OR query walking the sort index with OFFSET."""
    clauses, params = [], []
    for arm in arms:
        parts, arm_params = conditions(arm)
        clauses.append("(" + (" AND ".join(parts) or "1") + ")")
        params.extend(arm_params)
    sql = (
        f"SELECT {SELECT_SUMMARY}, {order.selected} FROM runs "
        f"INDEXED BY {SORT_INDEX[order.sort]} WHERE {' OR '.join(clauses)} {order.clause} "
        "LIMIT ? OFFSET ?"
    )
    return conn.execute(sql, [*params, limit, offset]).fetchall()
