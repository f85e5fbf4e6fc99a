"""The sync engine's side of the cache: pages, tombstones, cursor, resync, state, details."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from runs_tui.cache import Cache, writes
from runs_tui.models import (
    AutomationType,
    DefinitionSummary,
    Event,
    EventType,
    InputSpec,
    Prompt,
    PromptKind,
    PromptResponse,
    RunDetail,
    RunFilter,
    RunKind,
    RunStatus,
    RunSummary,
    StatusGroup,
    Step,
    StepPhase,
    StepStatus,
    TimePreset,
    TimeRange,
    ToolInvocation,
    Variable,
    VariableDirection,
)
from tests.cache.factories import NOW, make_runs, page

ALL_TIME = RunFilter(time=TimeRange(TimePreset.ALL))


def test_apply_changes_inserts_rows_and_moves_the_cursor(cache: Cache) -> None:
    runs = make_runs(50)
    cache.apply_changes(page(runs, cursor=50))
    assert cache.sync_state().cursor == 50
    assert cache.count(ALL_TIME, NOW) == 50
    for run in runs:
        assert cache.get_run(run.id) == run


def test_a_newer_version_replaces_the_row_and_an_older_one_is_ignored(cache: Cache) -> None:
    run = make_runs(1)[0]
    newer = run.model_copy(
        update={"status": RunStatus.CANCELLED, "seq": run.seq + 5, "name": "Renamed"}
    )
    cache.apply_changes(page([run], 1))
    cache.apply_changes(page([newer], 2))
    cache.apply_changes(page([run], 3))
    assert cache.get_run(run.id) == newer
    assert cache.group_counts(ALL_TIME, NOW)[StatusGroup.CANCELLED] == 1
    assert cache.sync_state().cursor == 3


def test_tombstones_delete_runs_and_their_details(cache: Cache) -> None:
    runs = make_runs(5)
    cache.apply_changes(page(runs, 5))
    cache.store_detail(_detail(runs[0]), '"e1"', NOW)
    cache.apply_changes(page([], 6, deleted=[runs[0].id, "never-seen"]))
    assert cache.get_run(runs[0].id) is None
    assert cache.get_detail(runs[0].id) is None
    assert cache.count(ALL_TIME, NOW) == 4


def test_a_failing_page_commits_nothing(cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_runs(3)
    cache.apply_changes(page(first, 3))

    def explode(*_args: object) -> None:
        raise RuntimeError("killed between rows and tombstones")

    monkeypatch.setattr(writes, "delete_runs", explode)
    second = [r.model_copy(update={"id": r.id + "-b"}) for r in make_runs(4, seed=9)]
    with pytest.raises(RuntimeError):
        cache.apply_changes(page(second, 7, deleted=[first[0].id]))
    assert cache.sync_state().cursor == 3
    assert cache.count(ALL_TIME, NOW) == 3
    assert all(cache.get_run(r.id) is None for r in second)
    monkeypatch.undo()
    cache.apply_changes(page(second, 7))  # name ids handed out in the rollback are not reused
    named = RunFilter(time=ALL_TIME.time, name=second[0].name)
    assert cache.count(named, NOW) == sum(1 for r in [*first, *second] if r.name == second[0].name)


def test_full_resync_removes_runs_the_server_no_longer_has(cache: Cache) -> None:
    runs = make_runs(10)
    cache.apply_changes(page(runs, 10))
    cache.begin_full_resync()
    assert cache.sync_state().resync_in_progress
    assert cache.sync_state().cursor is None
    kept = runs[:6]
    cache.apply_changes(page(kept[:3], 3))
    cache.apply_changes(page(kept[3:], 6))
    assert cache.finish_full_resync() == 4
    assert not cache.sync_state().resync_in_progress
    assert sorted(r.id for r in cache.iter_runs(ALL_TIME, NOW)) == sorted(r.id for r in kept)


def test_a_resync_shows_the_old_cache_until_it_replaces_it_at_the_end(cache: Cache) -> None:
    runs = make_runs(10)
    cache.apply_changes(page(runs, 10))
    cache.store_detail(_detail(runs[0]), '"kept"', NOW)
    cache.store_detail(_detail(runs[9]), '"gone"', NOW)
    cache.begin_full_resync()
    renamed = runs[1].model_copy(update={"name": "Renamed in the resync", "seq": 99})
    cache.apply_changes(page([runs[0], renamed, *runs[2:7]], 7, deleted=[runs[2].id]))
    assert cache.get_run(runs[1].id) == runs[1]  # staged: the list still shows the old state
    assert cache.count(ALL_TIME, NOW) == 10
    assert cache.finish_full_resync() == 4  # runs 2 (tombstoned), 7, 8 and 9 (not seen)
    assert sorted(r.id for r in cache.iter_runs(ALL_TIME, NOW)) == sorted(
        r.id for r in [runs[0], runs[1], *runs[3:7]]
    )
    assert cache.get_run(runs[1].id) == renamed
    assert cache.get_detail(runs[0].id) is not None and cache.get_detail(runs[9].id) is None
    state = cache.sync_state()
    assert not state.resync_in_progress and not state.bulk_loading and state.cursor == 7
    named = RunFilter(time=ALL_TIME.time, name="renamed in")
    assert [r.id for r in cache.iter_runs(named, NOW)] == [runs[1].id]
    assert cache.group_counts(ALL_TIME, NOW) == {
        group: sum(1 for r in [runs[0], renamed, *runs[3:7]] if r.status in group.statuses)
        for group in StatusGroup
    }


def test_an_interrupted_resync_is_still_in_progress_after_reopening(cache_file: Path) -> None:
    runs = make_runs(8)
    with Cache.open(cache_file) as cache:
        cache.apply_changes(page(runs, 8))
        cache.begin_full_resync()
        cache.apply_changes(page(runs[:2], 2))
    with Cache.open(cache_file) as cache:
        state = cache.sync_state()
        assert state.resync_in_progress and state.cursor == 2
        cache.apply_changes(page(runs[2:5], 5))
        assert cache.finish_full_resync() == 3
        assert cache.count(ALL_TIME, NOW) == 5


def test_sync_state_records_success_errors_and_offline_period(cache: Cache) -> None:
    cache.record_sync_success(NOW)
    cache.record_sync_error("connection refused", NOW + timedelta(minutes=1))
    cache.record_sync_error("timed out", NOW + timedelta(minutes=2))
    state = cache.sync_state()
    assert state.last_success == NOW
    assert state.last_error == "timed out"
    assert state.last_error_at == NOW + timedelta(minutes=2)
    assert state.offline_since == NOW + timedelta(minutes=1)
    cache.record_sync_success(NOW + timedelta(minutes=3))
    state = cache.sync_state()
    assert state.offline_since is None and state.last_success == NOW + timedelta(minutes=3)
    assert state.last_error == "timed out"


def _detail(run: RunSummary) -> RunDetail:
    step = Step(
        id="s1",
        phase=StepPhase.TRIAGE,
        position=0,
        title="Check disk",
        automation=AutomationType.SEMI_AUTOMATED,
        status=StepStatus.WAITING_FOR_INPUT,
        started_at=NOW,
        tool=ToolInvocation(
            tool="df",
            tool_type="shell",
            input={"args": ["-h", 1, None]},
            output="/dev/sda1 91%\x00\x1b[2J",
            exit_status=0,
        ),
        prompt=Prompt(kind=PromptKind.CONFIRM, question="Purge?", requested_at=NOW),
        response=PromptResponse(value="approve", note="ok", answered_by="bob", answered_at=NOW),
    )
    return RunDetail(
        **run.model_dump(),
        steps=[step, step.model_copy(update={"id": "s2", "position": 1})],
        variables=[
            Variable(name="host", value="db-1", direction=VariableDirection.INPUT, updated_at=NOW),
            Variable(name="out", value="", direction=VariableDirection.OUTPUT),
        ],
        events=[
            Event(seq=1, at=NOW, type=EventType.RUN_CREATED, data={"n": [1, {"x": None}]}),
            Event(seq=2, at=NOW, type=EventType.STEP_STARTED, step_id="s1"),
        ],
    )


def test_detail_round_trips_exactly_with_etag_and_time(cache: Cache) -> None:
    run = make_runs(1)[0]
    cache.apply_changes(page([run], 1))
    detail = _detail(run)
    cache.store_detail(detail, 'W/"v1"', NOW)
    stored = cache.get_detail(run.id)
    assert stored is not None
    assert stored.detail == detail
    assert stored.detail.model_dump_json() == detail.model_dump_json()
    assert (stored.etag, stored.fetched_at) == ('W/"v1"', NOW)
    replaced = detail.model_copy(update={"steps": detail.steps[:1], "events": []})
    cache.store_detail(replaced, None, NOW + timedelta(seconds=5))
    again = cache.get_detail(run.id)
    assert again is not None and again.detail == replaced and again.etag is None


def test_a_newer_detail_refreshes_the_list_row_but_never_adds_one(cache: Cache) -> None:
    run = make_runs(1)[0]
    cache.apply_changes(page([run], 1))
    newer = _detail(run).model_copy(update={"status": RunStatus.COMPLETED_SUCCESS, "seq": 99})
    cache.store_detail(newer, None, NOW)
    refreshed = cache.get_run(run.id)
    assert refreshed is not None and refreshed.status is RunStatus.COMPLETED_SUCCESS
    stranger = _detail(run).model_copy(update={"id": "not-in-feed"})
    cache.store_detail(stranger, None, NOW)
    assert cache.get_run("not-in-feed") is None
    assert cache.get_detail("not-in-feed") is not None


def test_definitions_are_replaced_wholesale(cache: Cache) -> None:
    first = [
        DefinitionSummary(
            id="disk",
            kind=RunKind.FLOW,
            title="Disk full",
            inputs=[InputSpec(name="host", required=True)],
            tags=["a"],
        ),
        DefinitionSummary(id="dns", kind=RunKind.GUIDE, title="DNS"),
    ]
    cache.replace_definitions(first)
    assert cache.definitions() == first
    cache.replace_definitions(first[1:])
    assert cache.definitions() == first[1:]


def test_the_cache_file_never_holds_more_than_it_was_given(cache: Cache, cache_file: Path) -> None:
    """No token API exists; make sure nothing secret-looking is invented either."""
    cache.apply_changes(page(make_runs(3), 3))
    cache.record_sync_error("401 unauthorized", NOW)
    conn = sqlite3.connect(cache_file)
    columns = {
        row[1]
        for table in ("sync_state", "runs", "run_details")
        for row in conn.execute(f"PRAGMA table_info({table})")
    }
    conn.close()
    assert not any("token" in column or "auth" in column for column in columns)
