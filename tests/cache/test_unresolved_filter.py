"""The list's unresolved failures (tab 7): `RunFilter(unresolved=True)` shows exactly the
failed or partial runs that no later success of the same flow or guide followed, under the
filter's kind, time and name, in every sort; counts, windows and offsets agree."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from runs_tui.cache import Cache
from runs_tui.models import RunFilter, RunKind, RunStatus, SortColumn, TimePreset, TimeRange
from runs_tui.models.health import FAILED
from tests.cache.factories import NOW, make_runs, page


def _unresolved_ids(runs, f: RunFilter) -> set[str]:  # type: ignore[no-untyped-def]
    latest_success: dict[tuple[str, str], object] = {}
    for run in runs:
        if run.status is RunStatus.COMPLETED_SUCCESS:
            key = (run.kind.value, run.name)
            if key not in latest_success or run.created_at > latest_success[key]:  # type: ignore[operator]
                latest_success[key] = run.created_at
    start, end = f.time.bounds(NOW)
    found = set()
    for run in runs:
        success = latest_success.get((run.kind.value, run.name))
        if run.status not in FAILED or (success is not None and run.created_at <= success):  # type: ignore[operator]
            continue
        if f.kind is not None and run.kind is not f.kind:
            continue
        if f.name and f.name.casefold() not in run.name.casefold():
            continue
        if start is not None and run.created_at < start:
            continue
        if end is not None and run.created_at >= end:
            continue
        found.add(run.id)
    return found


@pytest.mark.parametrize("sort", list(SortColumn))
def test_unresolved_failures_are_listed_and_counted(cache: Cache, sort: SortColumn) -> None:
    runs = make_runs(600, seed=11, names=["Disk full", "DNS", "Disk full v2", "Backup"])
    cache.apply_changes(page(runs, 1))
    cases = [
        RunFilter(time=TimeRange(TimePreset.ALL)),
        RunFilter(time=TimeRange(TimePreset.LAST_7D)),
        RunFilter(kind=RunKind.GUIDE, name="disk", time=TimeRange(TimePreset.LAST_30D)),
        RunFilter(
            time=TimeRange(TimePreset.CUSTOM, NOW - timedelta(days=20), NOW - timedelta(days=3))
        ),
    ]
    for base in cases:
        f = base.with_unresolved()
        f = RunFilter(**{**f.__dict__, "sort": sort, "descending": random.Random(1).random() < 0.5})
        wanted = _unresolved_ids(runs, f)
        assert wanted or base.time.preset is not TimePreset.ALL  # all time: some to find
        assert cache.count(f, NOW) == len(wanted)
        listed = [run.id for run in cache.iter_runs(f, NOW)]
        assert len(listed) == len(set(listed)) and set(listed) == wanted
        middle = cache.rows_at(f, NOW, len(wanted) // 2, 5)
        assert [run.id for run in middle] == listed[len(wanted) // 2 : len(wanted) // 2 + 5]
    assert RunFilter().with_unresolved().describe().startswith("Unresolved failures")
    assert RunFilter.from_dict(RunFilter().with_unresolved().to_dict()).unresolved
