"""A `RunFilter` at a given `now` as SQL: one or two *arms*, each a plain conjunction.

The "last N" presets admit every still-active run too: `created >= now - N OR active`. An OR
cannot be served by one index range, and walking an index in time order past the boundary
would crawl through a month of finished runs to find the few old active ones. So the filter
is split into two disjoint arms — runs created since the boundary, and active runs created
before it — each with its own index-friendly conditions. Counts add up, windows merge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from runs_tui.cache.search import fold, matching_names
from runs_tui.models import RunFilter, RunKind, RunStatus, SortColumn, StatusGroup
from runs_tui.models.ordering import STATUS_RANK, micros

ALL_RANKS = frozenset(STATUS_RANK.values())
ACTIVE_RANKS = frozenset(STATUS_RANK[s] for s in StatusGroup.ACTIVE.statuses)
FAILED_RANKS = frozenset(STATUS_RANK[s] for s in StatusGroup.FAILED.statuses)


@dataclass(frozen=True)
class Arm:
    """Runs with a status among `ranks`, of `kind`, named like `name`, created in [lo, hi)."""

    ranks: frozenset[int] = ALL_RANKS
    kind: str | None = None
    name: str = ""  # folded search text; "" matches every name
    lo: int | None = None
    hi: int | None = None
    unresolved: bool = False  # only runs no later success of their definition followed

    def restricted_to(self, ranks: frozenset[int]) -> Arm:
        return replace(self, ranks=self.ranks & ranks)

    @property
    def is_empty(self) -> bool:
        if not self.ranks:
            return True
        return self.lo is not None and self.hi is not None and self.lo >= self.hi


def filter_ranks(f: RunFilter) -> frozenset[int]:
    return frozenset(STATUS_RANK[s] for s in f.statuses) if f.statuses else ALL_RANKS


def base_arms(f: RunFilter, now: datetime) -> list[Arm]:
    """The arms of `f` ignoring its statuses (what the group counts are taken over)."""
    start, end = f.time.bounds(now)
    lo = None if start is None else micros(start)
    hi = None if end is None else micros(end)
    common = Arm(kind=f.kind.value if f.kind else None, name=fold(f.name))
    arms = [replace(common, lo=lo, hi=hi)]
    if f.time.includes_active and lo is not None:
        arms.append(replace(common, ranks=ACTIVE_RANKS, hi=lo))
    return [arm for arm in arms if not arm.is_empty]


def filter_arms(f: RunFilter, now: datetime) -> list[Arm]:
    if f.unresolved:
        return unresolved_arms(f, now)
    ranks = filter_ranks(f)
    arms = [arm.restricted_to(ranks) for arm in base_arms(f, now)]
    return [arm for arm in arms if not arm.is_empty]


def unresolved_arms(f: RunFilter, now: datetime) -> list[Arm]:
    """The unresolved failures under f's kind, time and name (its statuses aside)."""
    arms = [replace(arm.restricted_to(FAILED_RANKS), unresolved=True) for arm in base_arms(f, now)]
    return [arm for arm in arms if not arm.is_empty]


UNRESOLVED_SQL = (
    "created_at > coalesce((SELECT s.created_at FROM runs AS s INDEXED BY ix_runs_definition "
    "WHERE s.kind = runs.kind AND s.name_id = runs.name_id AND s.status_rank = "
    f"{STATUS_RANK[RunStatus.COMPLETED_SUCCESS]} ORDER BY s.created_at DESC LIMIT 1), -1)"
)
"""No later success: the latest success of the run's definition (kind and name id) is a seek
backwards through `ix_runs_definition` (the rule of `models/health.py`)."""


def segments(arms: list[Arm], sort: SortColumn, descending: bool) -> list[list[Arm]]:
    """The arms cut into consecutive stretches of the sorted list.

    Sorting by kind has no index of its own: it is every guide (or flow) by creation time,
    then the other kind, so each kind is read apart through the time index; the segments
    are in list order and never interleave. Any other sort is one segment.
    """
    if sort is not SortColumn.KIND:
        return [arms]
    kinds = sorted(RunKind, key=lambda kind: kind.value, reverse=descending)
    split = [
        [replace(arm, kind=kind.value) for arm in arms if arm.kind in (None, kind.value)]
        for kind in kinds
    ]
    return [segment for segment in split if segment]


def conditions(
    arm: Arm,
    *,
    status: bool = True,
    kind: bool = True,
    name: bool = True,
    time: bool = True,
    name_by_key: bool = False,
) -> tuple[list[str], list[Any]]:
    """SQL conditions (over the runs table) and their parameters; flags leave parts out.

    A name is matched by `name_id` (covered by every index, and the count tables' key) or,
    with `name_by_key`, by `name_key`, so the name index itself can seek to the matches."""
    sql: list[str] = []
    params: list[Any] = []
    if status and arm.ranks != ALL_RANKS:
        sql.append(f"status_rank IN ({', '.join(str(r) for r in sorted(arm.ranks))})")
    if kind and arm.kind is not None:
        sql.append("kind = ?")
        params.append(arm.kind)
    if name and arm.name:
        subquery, sub_params = matching_names(arm.name, "folded" if name_by_key else "id")
        sql.append(f"{'name_key' if name_by_key else 'name_id'} IN ({subquery})")
        params.extend(sub_params)
    if time and arm.lo is not None:
        sql.append("created_at >= ?")
        params.append(arm.lo)
    if time and arm.hi is not None:
        sql.append("created_at < ?")
        params.append(arm.hi)
    if arm.unresolved:  # never left out: no count table or index key stands in for it
        sql.append(UNRESOLVED_SQL)
    return sql, params


def where(parts: list[str]) -> str:
    return f" WHERE {' AND '.join(parts)}" if parts else ""


def statuses_of_ranks(ranks: frozenset[int]) -> list[RunStatus]:
    return [status for status, rank in STATUS_RANK.items() if rank in ranks]
