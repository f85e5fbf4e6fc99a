"""count / group_counts / window / rows_at / iter_runs against a plain-Python oracle.

Every read plan is exercised: with the default budgets small caches always walk the sort
index, so the tests also force the "drive from a filter index" plan and the fallbacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs_tui.cache import Cache, RowKey, paging
from runs_tui.models import (
    RunFilter,
    RunKind,
    RunStatus,
    RunSummary,
    SortColumn,
    StatusGroup,
    TimePreset,
    TimeRange,
)
from tests.cache.factories import NOW, PRESETS, expected_groups, expected_rows, make_runs, page

RUNS = make_runs(400)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    path: Path = tmp_path_factory.mktemp("queries") / "runs.sqlite3"
    with Cache.open(path) as cache:
        for start in range(0, len(RUNS), 100):
            cache.apply_changes(page(RUNS[start : start + 100], start + 100))
        yield cache


@pytest.fixture(params=["walk", "drive", "drive-no-merge"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param != "walk":
        monkeypatch.setattr(paging, "WALK_BUDGET", 0)
    if request.param == "drive-no-merge":
        monkeypatch.setattr(paging, "SMALL_ARM_CAP", 0)
    return str(request.param)


statuses = st.one_of(
    st.sampled_from([g.statuses for g in StatusGroup]),
    st.frozensets(st.sampled_from(list(RunStatus)), max_size=3),
)
times = st.one_of(
    st.sampled_from(PRESETS).map(TimeRange),
    st.tuples(st.integers(0, 45 * 24), st.integers(0, 45 * 24)).map(
        lambda hours: TimeRange(
            TimePreset.CUSTOM,
            NOW - timedelta(hours=max(hours)),
            NOW - timedelta(hours=min(hours), minutes=7),
        )
    ),
    st.just(TimeRange(TimePreset.CUSTOM, None, NOW - timedelta(days=3))),
    st.just(TimeRange(TimePreset.CUSTOM, NOW - timedelta(days=3), None)),
)
filters = st.builds(
    RunFilter,
    statuses=statuses,
    kind=st.sampled_from([None, RunKind.FLOW, RunKind.GUIDE]),
    time=times,
    name=st.sampled_from(["", "d", "DI", "disk", "ü", "ÜNÏ", "%", "_", '"', "zzz", "health"]),
    sort=st.sampled_from(list(SortColumn)),
    descending=st.booleans(),
)
cases = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@cases
@given(f=filters)
def test_counts_match_the_oracle(filled: Cache, plan: str, f: RunFilter) -> None:
    expected = expected_rows(RUNS, f, NOW)
    assert filled.count(f, NOW) == len(expected)
    assert filled.group_counts(f, NOW) == expected_groups(RUNS, f, NOW)


@cases
@given(f=filters, limit=st.integers(1, 60))
def test_keyset_pages_walk_the_whole_list_in_order(
    filled: Cache, plan: str, f: RunFilter, limit: int
) -> None:
    expected = expected_rows(RUNS, f, NOW)
    seen = []
    after = None
    while True:
        rows = filled.window(f, NOW, after=after, limit=limit)
        seen.extend(rows)
        if len(rows) < limit:
            break
        after = RowKey.for_run(rows[-1], f.sort)
    assert [r.id for r in seen] == [r.id for r in expected]
    assert seen == expected


@cases
@given(f=filters, limit=st.integers(1, 30), data=st.data())
def test_before_returns_the_rows_just_above_a_key(
    filled: Cache, plan: str, f: RunFilter, limit: int, data: st.DataObject
) -> None:
    expected = expected_rows(RUNS, f, NOW)
    if not expected:
        return
    position = data.draw(st.integers(0, len(expected) - 1))
    key = RowKey.for_run(expected[position], f.sort)
    rows = filled.window(f, NOW, before=key, limit=limit)
    assert [r.id for r in rows] == [r.id for r in expected[max(0, position - limit) : position]]


@cases
@given(f=filters, limit=st.integers(1, 40), data=st.data())
def test_rows_at_any_offset_is_the_oracle_slice(
    filled: Cache, plan: str, f: RunFilter, limit: int, data: st.DataObject
) -> None:
    expected = expected_rows(RUNS, f, NOW)
    offset = data.draw(st.integers(0, len(expected) + 3))
    rows = filled.rows_at(f, NOW, offset, limit)
    assert [r.id for r in rows] == [r.id for r in expected[offset : offset + limit]]


def test_jump_to_the_end_returns_the_last_rows(filled: Cache) -> None:
    f = RunFilter(time=TimeRange(TimePreset.ALL), sort=SortColumn.DURATION)
    expected = expected_rows(RUNS, f, NOW)
    total = filled.count(f, NOW)
    assert [r.id for r in filled.rows_at(f, NOW, total - 25, 25)] == [r.id for r in expected[-25:]]


def test_iter_runs_yields_everything_in_order(
    filled: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runs_tui.cache import cache as cache_module

    monkeypatch.setattr(cache_module, "ITER_CHUNK", 7)
    f = RunFilter(time=TimeRange(TimePreset.LAST_7D), sort=SortColumn.NAME, descending=False)
    assert [r.id for r in filled.iter_runs(f, NOW)] == [r.id for r in expected_rows(RUNS, f, NOW)]


def test_last_presets_include_old_active_runs_but_custom_ranges_do_not(filled: Cache) -> None:
    old_active = [r for r in RUNS if r.status.is_active and r.created_at < NOW - timedelta(days=31)]
    assert old_active, "the fixture data must hold old active runs"
    recent = RunFilter(time=TimeRange(TimePreset.LAST_24H))
    shown = {r.id for r in filled.iter_runs(recent, NOW)}
    assert {r.id for r in old_active} <= shown
    custom = RunFilter(time=TimeRange(TimePreset.CUSTOM, NOW - timedelta(days=1), NOW))
    assert not {r.id for r in old_active} & {r.id for r in filled.iter_runs(custom, NOW)}


def test_waiting_count_counts_every_waiting_run(filled: Cache) -> None:
    assert filled.waiting_count() == sum(1 for r in RUNS if r.status.is_waiting)


def test_duration_sort_puts_active_runs_above_finished_ones(filled: Cache) -> None:
    f = RunFilter(time=TimeRange(TimePreset.ALL), sort=SortColumn.DURATION)
    rows = filled.window(f, NOW, limit=400)
    kinds = ["active" if r.started_at and not r.finished_at else "other" for r in rows]
    assert kinds == sorted(kinds)  # "active" < "other": every running run comes first
    durations = [r.finished_at - r.started_at for r in rows if r.started_at and r.finished_at]
    assert durations == sorted(durations, reverse=True)


def test_window_refuses_after_and_before_together(filled: Cache) -> None:
    key = RowKey(0, "x")
    with pytest.raises(ValueError):
        filled.window(RunFilter(), NOW, after=key, before=key, limit=5)


def _tied_runs() -> list[RunSummary]:
    """Runs equal on every sort column, arriving in the reverse order of their ids."""
    template = make_runs(1)[0]
    return [template.model_copy(update={"id": f"tied-{9 - i}", "seq": i + 1}) for i in range(10)]


@pytest.mark.parametrize("sort", list(SortColumn))
@pytest.mark.parametrize("descending", [False, True])
def test_ties_keep_arrival_order_page_after_page(
    tmp_path: Path, sort: SortColumn, descending: bool
) -> None:
    tied = _tied_runs()
    f = RunFilter(time=TimeRange(TimePreset.ALL), sort=sort, descending=descending)
    with Cache.open(tmp_path / "runs.sqlite3") as cache:
        cache.apply_changes(page(tied, len(tied)))
        seen, after = [], None
        while rows := cache.window(f, NOW, after=after, limit=3):
            seen.extend(rows)
            after = RowKey.for_run(rows[-1], sort)
        backwards = cache.window(f, NOW, before=RowKey.for_run(seen[-1], sort), limit=20)
    arrival = [run.id for run in tied]
    assert [r.id for r in seen] == (arrival[::-1] if descending else arrival)
    assert [r.id for r in backwards] == [r.id for r in seen[:-1]]


def test_pages_continue_exactly_from_a_run_deleted_since_it_was_shown(tmp_path: Path) -> None:
    tied = _tied_runs()
    f = RunFilter(time=TimeRange(TimePreset.ALL))
    with Cache.open(tmp_path / "runs.sqlite3") as cache:
        cache.apply_changes(page(tied, len(tied)))
        first = cache.window(f, NOW, limit=5)
        second = cache.rows_at(f, NOW, 5, 5)  # a jump: its edges are remembered too
        cache.apply_changes(page([], 11, deleted=[first[-1].id, second[0].id]))
        after = cache.window(f, NOW, after=RowKey.for_run(first[-1], f.sort), limit=5)
        before = cache.window(f, NOW, before=RowKey.for_run(second[0], f.sort), limit=5)
    listed = [r.id for r in first + second]
    assert [r.id for r in after] == listed[6:]  # right after the gone run, minus the other one
    assert [r.id for r in before] == listed[:4]


def test_a_key_this_cache_never_returned_lets_its_ties_through(tmp_path: Path) -> None:
    tied = _tied_runs()
    f = RunFilter(time=TimeRange(TimePreset.ALL))
    with Cache.open(tmp_path / "runs.sqlite3") as cache:
        cache.apply_changes(page(tied, len(tied)))
        shown = cache.window(f, NOW, limit=4)
        cache.apply_changes(page([], len(tied) + 1, deleted=[shown[-1].id]))
    with Cache.open(tmp_path / "runs.sqlite3") as fresh:  # knows nothing of what was shown
        rest = fresh.window(f, NOW, after=RowKey.for_run(shown[-1], f.sort), limit=20)
    assert {r.id for r in rest} == {run.id for run in tied} - {shown[-1].id}


def test_runs_with_id_prefix_is_an_exact_case_sensitive_range(filled: Cache) -> None:
    ids = sorted(run.id for run in RUNS)
    prefix = ids[0][:4]
    expected = [i for i in ids if i.startswith(prefix)]
    assert [run.id for run in filled.runs_with_id_prefix(prefix, limit=1000)] == expected
    assert [run.id for run in filled.runs_with_id_prefix(ids[5], limit=1000)] == [
        i for i in ids if i.startswith(ids[5])
    ]
    assert len(filled.runs_with_id_prefix(ids[0][:1], limit=2)) <= 2
    assert filled.runs_with_id_prefix(prefix.swapcase() + "\x00", limit=5) == []
    assert filled.runs_with_id_prefix("", limit=5) == []
