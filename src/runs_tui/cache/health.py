"""The health of flows and guides, read from the cache through one index.

Why an index and not a scan: the figures of one flow or guide need its runs in creation order
(the resolution rule walks them), its latest runs (the sparklines) and the runs since its
latest success (the unresolved failures). `ix_runs_definition` (kind, name id, creation time,
then the status and times it covers) gives each of those as one index range, never a table
row, so a definition costs its runs in the two windows plus a few seeks, and the rules stay in
`models/health.py`, fed the very rows the brute force reads.

Which flows and guides: those the backend lists (`definitions`, cached by the sync) and those
with a cached run, each known by kind and title (`DefinitionKey`).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable

from runs_tui.cache.rows import STATUS_OF_RANK
from runs_tui.models import RunKind, RunStatus
from runs_tui.models.health import (
    FAILED,
    NOT_JUDGED,
    SPARK_RUNS,
    DefinitionHealth,
    DefinitionKey,
    HealthRun,
    RecentRecord,
    Resolutions,
    Span,
    definition_health,
    finish_figures,
    getting_worse_first,
)
from runs_tui.models.ordering import STATUS_RANK

_INDEX = "runs INDEXED BY ix_runs_definition"
_CHUNK = 500
WHOLE_AT_MOST = SPARK_RUNS
"""A definition with at most this many runs in all is read whole (see `health_lines`)."""
_COLUMNS = "status_rank, created_at, started_at, finished_at"
_SUCCESS = STATUS_RANK[RunStatus.COMPLETED_SUCCESS]
_FAILED = ", ".join(str(STATUS_RANK[s]) for s in sorted(FAILED))
_FAILED_RANKS = frozenset(STATUS_RANK[s] for s in FAILED)
_TERMINAL_RANKS = frozenset(rank for status, rank in STATUS_RANK.items() if status.is_terminal)
_JUDGED = ", ".join(
    str(rank)
    for status, rank in STATUS_RANK.items()
    if status.is_terminal and status not in NOT_JUDGED
)


def _run(row: tuple[int, int, int | None, int | None]) -> HealthRun:
    return HealthRun(STATUS_OF_RANK[row[0]], row[1], row[2], row[3])


def health_lines(conn: sqlite3.Connection, span: Span) -> list[DefinitionHealth]:
    """Every flow and guide's figures over `span`, getting worse first.

    A definition with few runs in all (one-off titles: most of the distinct names of a big
    cache) is read whole, with every other small one, in one statement per kind, and counted
    by the brute force itself; only the others pay for their own window scan and seeks."""
    keys = _definitions(conn)
    totals = {
        (kind, name_id): int(n)
        for kind, name_id, n in conn.execute(
            "SELECT kind, name_id, sum(n) FROM run_counts_daily GROUP BY kind, name_id"
        )
    }
    small = [
        (key, name_id)
        for key, name_id in keys
        if name_id is not None and totals.get((key.kind.value, name_id), 0) <= WHOLE_AT_MOST
    ]
    whole = _whole_histories(conn, small)
    lines = [
        definition_health(key, whole.get(key, []), span)
        if name_id is None or totals.get((key.kind.value, name_id), 0) <= WHOLE_AT_MOST
        else _line(conn, key, name_id, span)
        for key, name_id in keys
    ]
    return getting_worse_first(lines)


def _whole_histories(
    conn: sqlite3.Connection, keys: list[tuple[DefinitionKey, int]]
) -> dict[DefinitionKey, list[HealthRun]]:
    """Every run of each definition, oldest first, a few hundred definitions per statement."""
    found: dict[DefinitionKey, list[HealthRun]] = {}
    by_id = {(key.kind.value, name_id): key for key, name_id in keys}
    for kind in RunKind:
        ids = [name_id for key, name_id in keys if key.kind is kind]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for name_id, *row in conn.execute(
                f"SELECT name_id, {_COLUMNS} FROM {_INDEX} WHERE kind = ? "
                f"AND name_id IN ({', '.join('?' * len(chunk))}) ORDER BY name_id, created_at, rid",
                (kind.value, *chunk),
            ):
                found.setdefault(by_id[(kind.value, name_id)], []).append(_run(row))  # type: ignore[arg-type]
    return found


def _definitions(conn: sqlite3.Connection) -> list[tuple[DefinitionKey, int | None]]:
    """(key, name id) of every flow and guide with a cached run (from the daily count table:
    a few rows per day, not a row per run) and of every one the backend lists."""
    found: dict[DefinitionKey, int | None] = {}
    for kind, name_id, name in conn.execute(
        "SELECT c.kind, c.name_id, n.name FROM "
        "(SELECT DISTINCT kind, name_id FROM run_counts_daily) AS c "
        "JOIN run_names AS n ON n.id = c.name_id"
    ):
        found[DefinitionKey(RunKind(kind), name)] = name_id
    for kind, title in conn.execute("SELECT kind, title FROM definitions"):
        key = DefinitionKey(RunKind(kind), title)
        if key not in found:
            found[key] = _name_id(conn, title)
    return list(found.items())


def _name_id(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT id FROM run_names WHERE name = ?", (name,)).fetchone()
    return None if row is None else int(row[0])


def _line(
    conn: sqlite3.Connection, key: DefinitionKey, name_id: int | None, span: Span
) -> DefinitionHealth:
    health = DefinitionHealth(key)
    if name_id is None:
        return health
    ident = (key.kind.value, name_id)
    previous = span.previous
    rule = Resolutions(_open_incident(conn, ident, previous.start))
    durations: list[int] = []
    now_ranks: Counter[int] = Counter()
    before_ranks: Counter[int] = Counter()
    opened, times, start = rule.opened, rule.times, span.start
    # `Resolutions.feed` and `WindowCounts.add`, inlined on plain tuples: this loop meets
    # every run of the two windows (the property test holds it to the brute force)
    for rank, created, started, finished in conn.execute(
        f"SELECT {_COLUMNS} FROM {_INDEX} WHERE kind = ? AND name_id = ? "
        "AND created_at >= ? AND created_at < ? ORDER BY created_at, rid",
        (*ident, previous.start, span.end),
    ):
        if rank in _FAILED_RANKS:
            if opened is None:
                opened = started if started is not None else created
        elif rank == _SUCCESS:
            if opened is not None and finished is not None:
                times.append((created, max(0, finished - opened)))
            opened = None
        if created >= start:
            now_ranks[rank] += 1
            if started is not None and finished is not None and rank in _TERMINAL_RANKS:
                durations.append(max(0, finished - started))
        else:
            before_ranks[rank] += 1
    rule.opened = opened
    for rank, n in now_ranks.items():
        health.counts.add(STATUS_OF_RANK[rank], n)
    for rank, n in before_ranks.items():
        health.previous.add(STATUS_OF_RANK[rank], n)
    finish_figures(health, durations, rule, span)
    health.unresolved = _unresolved(conn, ident)
    latest = conn.execute(
        f"SELECT {_COLUMNS} FROM {_INDEX} WHERE kind = ? AND name_id = ? "
        "ORDER BY created_at DESC, rid DESC LIMIT ?",
        (*ident, SPARK_RUNS),
    ).fetchall()
    health.latest = tuple(_run(row) for row in reversed(latest))
    return health


def _last_success(conn: sqlite3.Connection, ident: tuple[str, int], before: int | None) -> int:
    """Creation time of the latest success (before `before`), or -1 when there is none."""
    bound = "" if before is None else "AND created_at < ? "
    row = conn.execute(
        f"SELECT created_at FROM {_INDEX} WHERE kind = ? AND name_id = ? {bound}"
        f"AND status_rank = {_SUCCESS} ORDER BY created_at DESC, rid DESC LIMIT 1",
        (*ident, *(() if before is None else (before,))),
    ).fetchone()
    return -1 if row is None else int(row[0])


def _open_incident(conn: sqlite3.Connection, ident: tuple[str, int], before: int) -> int | None:
    """When the incident open at `before` opened: the start of the first failure since the
    latest success before it (None: none open)."""
    success = _last_success(conn, ident, before)
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM {_INDEX} WHERE kind = ? AND name_id = ? AND created_at > ? "
        f"AND created_at < ? AND status_rank IN ({_FAILED}) ORDER BY created_at, rid LIMIT 1",
        (*ident, success, before),
    ).fetchone()
    if row is None:
        return None
    run = _run(row)
    return run.started if run.started is not None else run.created


def _unresolved(conn: sqlite3.Connection, ident: tuple[str, int]) -> int:
    success = _last_success(conn, ident, None)
    return int(
        conn.execute(
            f"SELECT count(*) FROM {_INDEX} WHERE kind = ? AND name_id = ? AND created_at > ? "
            f"AND status_rank IN ({_FAILED})",
            (*ident, success),
        ).fetchone()[0]
    )


def recent_record(
    conn: sqlite3.Connection, kind: RunKind, name: str, limit: int = 10
) -> RecentRecord:
    """Of a definition's latest `limit` finished, judged runs, how many failed."""
    name_id = _name_id(conn, name)
    if name_id is None:
        return RecentRecord(0, 0)
    ranks = [
        int(rank)
        for (rank,) in conn.execute(
            f"SELECT status_rank FROM {_INDEX} WHERE kind = ? AND name_id = ? "
            f"AND status_rank IN ({_JUDGED}) ORDER BY created_at DESC, rid DESC LIMIT ?",
            (kind.value, name_id, limit),
        )
    ]
    return RecentRecord(len(ranks), sum(1 for rank in ranks if STATUS_OF_RANK[rank] in FAILED))


def definition_runs(
    conn: sqlite3.Connection, keys: Iterable[DefinitionKey]
) -> dict[DefinitionKey, list[HealthRun]]:
    """Every cached run of each definition, oldest first (for checks and small caches)."""
    found: dict[DefinitionKey, list[HealthRun]] = {}
    for key in keys:
        name_id = _name_id(conn, key.name)
        found[key] = (
            []
            if name_id is None
            else [
                _run(row)
                for row in conn.execute(
                    f"SELECT {_COLUMNS} FROM {_INDEX} WHERE kind = ? AND name_id = ? "
                    "ORDER BY created_at, rid",
                    (key.kind.value, name_id),
                )
            ]
        )
    return found
