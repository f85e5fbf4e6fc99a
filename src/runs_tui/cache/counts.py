"""Counting runs per status for one arm, fast at a million rows.

A time range is cut into whole UTC days (summed from a daily count table), whole hours at
its edges (an hourly one), and the two partial hours at its ends, the only part counted row
by row through the time index. A count therefore costs about (days + 2 × 23 hours) small
rows plus two hours of runs, never the whole history. Without a name filter the tables kept
without names are used: a handful of rows per day instead of one per distinct name.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import replace

from runs_tui.cache.queries import Arm, conditions, where
from runs_tui.cache.writes import COUNT_TABLES, CountTable


def _levels(by_name: bool) -> list[CountTable]:
    tables = [table for table in COUNT_TABLES if table.by_name == by_name]
    return sorted(tables, key=lambda table: -table.period)  # coarsest first


LEVELS = {by_name: _levels(by_name) for by_name in (False, True)}


def status_counts(conn: sqlite3.Connection, arm: Arm, level: int = 0) -> Counter[int]:
    """Runs of the arm, per status rank."""
    levels = LEVELS[bool(arm.name)]
    if level == len(levels) or arm.unresolved:  # a relation between runs: counted row by row
        return _exact(conn, arm)
    table, period = levels[level].name, levels[level].period
    first = None if arm.lo is None else -(-arm.lo // period)  # first whole period
    end = None if arm.hi is None else arm.hi // period  # after the last whole period
    if first is not None and end is not None and first >= end:
        return status_counts(conn, arm, level + 1)
    counts = _summed(conn, table, arm, first, end)
    if arm.lo is not None and first is not None and arm.lo < first * period:
        counts.update(status_counts(conn, replace(arm, hi=first * period), level + 1))
    if arm.hi is not None and end is not None and end * period < arm.hi:
        counts.update(status_counts(conn, replace(arm, lo=end * period), level + 1))
    return counts


def _summed(
    conn: sqlite3.Connection, table: str, arm: Arm, first: int | None, end: int | None
) -> Counter[int]:
    parts, params = conditions(arm, time=False)
    if first is not None:
        parts.append("period >= ?")
        params.append(first)
    if end is not None:
        parts.append("period < ?")
        params.append(end)
    sql = f"SELECT status_rank, sum(n) FROM {table}{where(parts)} GROUP BY status_rank"
    return Counter({rank: n for rank, n in conn.execute(sql, params) if n})


def _exact(conn: sqlite3.Connection, arm: Arm) -> Counter[int]:
    parts, params = conditions(arm)
    sql = (
        f"SELECT status_rank, count(*) FROM runs INDEXED BY ix_runs_started{where(parts)} "
        "GROUP BY status_rank"
    )
    return Counter(dict(conn.execute(sql, params)))
