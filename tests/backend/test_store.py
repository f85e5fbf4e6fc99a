"""RunStore over SQLite and PostgreSQL: the change sequence, tombstones, output cap, filters."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from runs_tui.backend.clock import FakeClock
from runs_tui.backend.store import (
    OUTPUT_CAP_BYTES,
    TRUNCATION_MARKER,
    CursorExpired,
    RunNotFound,
    RunStore,
    StoredResponse,
)
from runs_tui.models.domain import (
    AutomationType,
    Event,
    EventType,
    RunDetail,
    Step,
    StepPhase,
    ToolInvocation,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus, StatusGroup

pytestmark = pytest.mark.postgres
AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HOSTILE = json.loads((Path(__file__).parent.parent / "data" / "hostile-strings.json").read_text())[
    "strings"
]


@pytest.fixture
def store(backend_db: str) -> Iterator[RunStore]:
    store = RunStore(backend_db, tombstone_retention=5, clock=FakeClock(AT))
    store.create_schema()
    yield store
    store.close()


def _event(kind: EventType = EventType.STATUS_CHANGED, **data: Any) -> Event:
    return Event(seq=0, at=AT, type=kind, data=data)


def _sync_all(
    store: RunStore, cursor: int | None, limit: int
) -> tuple[dict[str, int], set[str], int]:
    """Page the feed like a client: returns {run id: seq}, deleted ids, final cursor."""
    seen: dict[str, int] = {}
    deleted: set[str] = set()
    while True:
        page = store.changes(cursor, limit)
        for run in page.changes:
            seen[run.id] = run.seq
            deleted.discard(run.id)
        for run_id in page.deleted:
            seen.pop(run_id, None)
            deleted.add(run_id)
        cursor = page.next_cursor
        if not page.has_more:
            return seen, deleted, cursor


def test_insert_and_read_back_with_numbered_events(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    run = make_run(status=RunStatus.PENDING)
    stored = store.insert_run(run, [_event(to="pending"), _event(EventType.RUN_CREATED)])
    assert stored.version == 1 and stored.seq == 1
    assert [e.seq for e in stored.events] == [1, 2]
    again = store.get_run(run.id)
    assert again.model_dump() == stored.model_dump()
    with pytest.raises(RunNotFound):
        store.get_run("no-such-run")


def test_save_run_bumps_version_and_seq_and_appends_events(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    run = store.insert_run(make_run(status=RunStatus.PENDING), [_event()])
    other = store.insert_run(make_run(), [])
    moved = run.model_copy(update={"status": RunStatus.IDENTIFYING_TOOLS})
    saved = store.save_run(moved, [_event(to="identifying_tools"), _event(EventType.VARIABLE_SET)])
    assert saved.version == 2
    assert saved.seq == other.seq + 1
    assert [e.seq for e in saved.events] == [1, 2, 3]
    assert store.get_run(run.id).status is RunStatus.IDENTIFYING_TOOLS
    with pytest.raises(RunNotFound):
        store.save_run(make_run(), [])


def test_changes_without_cursor_is_everything_in_seq_order(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    ids = [store.insert_run(make_run(index=i), []).id for i in range(10)]
    page = store.changes(None, 100)
    assert [r.id for r in page.changes] == ids
    assert [r.seq for r in page.changes] == list(range(1, 11))
    assert page.next_cursor == 10 and not page.has_more and page.deleted == []


def test_pages_never_skip_or_repeat_for_runs_changed_at_the_same_instant(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    same_instant = [make_run(created_at=AT, updated_at=AT) for _ in range(103)]
    assert store.seed_history(same_instant) == 103
    seqs: list[int] = []
    cursor = None
    while True:
        page = store.changes(cursor, 7)
        seqs.extend(r.seq for r in page.changes)
        assert len(page.changes) <= 7
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert seqs == list(range(1, 104))


def test_full_sync_under_concurrent_writers_matches_the_store(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    """Writers update and delete while a client pages: replaying the feed to its end must leave
    the client with exactly the runs (and latest versions) the store holds."""
    runs = [store.insert_run(make_run(index=i), []) for i in range(60)]
    store.tombstone_retention = 1000
    client: dict[str, int] = {}
    cursor: int | None = None

    def write(offset: int) -> None:
        for run in runs[offset::3]:
            store.save_run(run.model_copy(update={"summary": "again"}), [])
            if run.seq % 2:
                store.delete_runs([run.id])

    writers = [threading.Thread(target=write, args=(i,)) for i in range(3)]
    for writer in writers:
        writer.start()
    while any(w.is_alive() for w in writers):
        seen, deleted, cursor = _sync_all(store, cursor, 4)
        client.update(seen)
        for run_id in deleted:
            client.pop(run_id, None)
    for writer in writers:
        writer.join()
    seen, deleted, cursor = _sync_all(store, cursor, 4)
    client.update(seen)
    for run_id in deleted:
        client.pop(run_id, None)
    truth = {r.id: r.seq for r in store.changes(None, 10_000).changes}
    assert client == truth


def test_delete_refuses_unfinished_and_unknown_and_leaves_tombstones(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    done = store.insert_run(make_run(), [_event()])
    active = store.insert_run(make_run(status=RunStatus.EXECUTING_TRIAGE), [])
    cursor = store.changes(None, 100).next_cursor
    deleted, refused = store.delete_runs([done.id, active.id, "ghost", done.id])
    assert deleted == [done.id]
    assert {(r.run_id, r.status) for r in refused} == {
        (active.id, RunStatus.EXECUTING_TRIAGE),
        ("ghost", None),
    }
    page = store.changes(cursor, 100)
    assert page.deleted == [done.id] and page.changes == []
    assert page.next_cursor == cursor + 1
    with pytest.raises(RunNotFound):
        store.get_run(done.id)


def test_cursor_older_than_the_kept_tombstones_expires(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    runs = [store.insert_run(make_run(index=i), []) for i in range(8)]
    early_cursor = store.changes(None, 100).next_cursor
    for run in runs:
        store.delete_runs([run.id])  # retention is 5: three tombstones are pruned
    with pytest.raises(CursorExpired):
        store.changes(early_cursor, 100)
    everything = store.changes(None, 100)
    assert everything.deleted == [r.id for r in runs[3:]]
    assert store.changes(early_cursor + 3, 100).deleted == [r.id for r in runs[3:]]
    assert store.changes(0, 100).deleted == [r.id for r in runs[3:]]


def test_cursor_from_the_future_expires(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    store.insert_run(make_run(), [])
    with pytest.raises(CursorExpired):
        store.changes(5, 10)


def _tool_step(step_id: str = "s1") -> Step:
    return Step(
        id=step_id,
        phase=StepPhase.TRIAGE,
        position=1,
        title="Check",
        automation=AutomationType.AUTOMATED,
        tool=ToolInvocation(tool="probe", tool_type="sim"),
    )


def test_output_is_capped_with_a_marker_and_no_feed_entry(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    run = store.insert_run(make_run(status=RunStatus.EXECUTING_TRIAGE, steps=[_tool_step()]), [])
    etag = store.run_etag(run.id)
    half = "é" * (OUTPUT_CAP_BYTES // 4)  # two bytes each: half the cap
    store.append_output(run.id, "s1", "line one\n")
    assert store.run_etag(run.id) != etag
    for _ in range(3):
        store.append_output(run.id, "s1", half)
    store.append_output(run.id, "s1", "never kept")
    detail = store.get_run(run.id)
    output = detail.steps[0].tool.output  # type: ignore[union-attr]
    assert output.startswith("line one\n") and output.endswith(TRUNCATION_MARKER)
    assert len(output.removesuffix(TRUNCATION_MARKER).encode()) <= OUTPUT_CAP_BYTES
    assert detail.steps[0].tool.output_truncated  # type: ignore[union-attr]
    chunks = [e for e in detail.events if e.type is EventType.TOOL_OUTPUT]
    assert len(chunks) == 3 and chunks[-1].data["truncated"] is True
    assert store.max_seq() == run.seq and detail.version == 1
    resaved = store.save_run(run, [])
    assert resaved.steps[0].tool.output == output  # type: ignore[union-attr]
    with pytest.raises(RunNotFound):
        store.append_output("ghost", "s1", "x")


def test_seed_history_takes_one_seq_per_run_across_batches(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    store.insert_run(make_run(), [])
    count = store.seed_history(
        (make_run(index=i, events=[_event()]) for i in range(12_000)), batch=5_000
    )
    assert count == 12_000 and store.count_runs() == 12_001
    assert store.max_seq() == 12_001
    page = store.changes(11_990, 100)
    assert [r.seq for r in page.changes] == list(range(11_991, 12_002))


def test_list_runs_filters_sort_and_pagination(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    store.seed_history(
        [
            make_run(index=0, name="Disk 100% full", status=RunStatus.COMPLETED_FAILURE),
            make_run(
                index=1, name="disk_usage", status=RunStatus.COMPLETED_PARTIAL, kind=RunKind.GUIDE
            ),
            make_run(index=2, name="Network check", status=RunStatus.CANCELLED),
            make_run(index=3, name="DISK cleanup", status=RunStatus.COMPLETED_SUCCESS),
        ]
    )
    store.insert_run(make_run(index=4, name="Network live", status=RunStatus.EXECUTING_TRIAGE), [])
    names = lambda page: [r.name for r in page.runs]  # noqa: E731
    assert names(store.list_runs(name="disk")) == ["Disk 100% full", "disk_usage", "DISK cleanup"]
    assert names(store.list_runs(name="100%")) == ["Disk 100% full"]
    assert names(store.list_runs(name="k_u")) == ["disk_usage"]
    assert names(store.list_runs(statuses=StatusGroup.FAILED.statuses)) == [
        "Disk 100% full",
        "disk_usage",
    ]
    assert names(store.list_runs(statuses=StatusGroup.ACTIVE.statuses)) == ["Network live"]
    assert names(store.list_runs(kind=RunKind.GUIDE)) == ["disk_usage"]
    window = store.list_runs(since=AT - timedelta(minutes=3), until=AT - timedelta(minutes=1))
    assert names(window) == ["Network check", "DISK cleanup"]
    first = store.list_runs(limit=2)
    assert first.total == 5 and first.next_cursor == "2" and len(first.runs) == 2
    last = store.list_runs(limit=2, offset=4)
    assert names(last) == ["Network live"] and last.next_cursor is None


def test_unfinished_runs_and_summaries(store: RunStore, make_run: Callable[..., RunDetail]) -> None:
    done = store.insert_run(make_run(), [])
    waiting = store.insert_run(make_run(status=RunStatus.WAITING_FOR_USER_INPUT_TRIAGE), [_event()])
    assert [r.id for r in store.unfinished_runs()] == [waiting.id]
    assert store.unfinished_runs()[0].events[0].seq == 1
    assert [s.id for s in store.summaries([waiting.id, "ghost", done.id])] == [waiting.id, done.id]


def test_idempotency_first_answer_wins(store: RunStore) -> None:
    assert store.recall_response("k1") is None
    store.remember_response("k1", StoredResponse("abc", 200, '{"a": 1}'))
    store.remember_response("k1", StoredResponse("def", 201, '{"b": 2}'))
    assert store.recall_response("k1") == StoredResponse("abc", 200, '{"a": 1}')
    assert store.recall_response("k\x00") is None


def test_idempotency_records_expire_after_the_retention_window(
    store: RunStore, backend_db: str
) -> None:
    """Records are kept 24 h by the store's clock: an expired one is never replayed, and the next
    record written prunes it, which frees its key."""
    clock = store.clock
    assert isinstance(clock, FakeClock)
    engine = sqlalchemy.create_engine(backend_db)

    def stored_keys() -> list[str]:
        with engine.connect() as conn:
            return sorted(conn.exec_driver_sql("SELECT key FROM idempotency_keys").scalars())

    store.remember_response("old", StoredResponse("a", 200, "{}"))
    asyncio.run(clock.advance(23 * 3600))
    store.remember_response("new", StoredResponse("b", 200, "{}"))
    assert store.recall_response("old") == StoredResponse("a", 200, "{}")
    assert stored_keys() == ["new", "old"]
    asyncio.run(clock.advance(3600 + 1))
    assert store.recall_response("old") is None
    assert stored_keys() == ["new", "old"]
    store.remember_response("other", StoredResponse("c", 201, "{}"))
    assert stored_keys() == ["new", "other"]
    store.remember_response("old", StoredResponse("d", 201, "{}"))
    assert store.recall_response("old") == StoredResponse("d", 201, "{}")
    engine.dispose()


def test_hostile_text_round_trips_literally(
    store: RunStore, make_run: Callable[..., RunDetail]
) -> None:
    values = [entry["value"] for entry in HOSTILE if "value" in entry]
    runs = [
        make_run(
            index=i,
            name=value,
            summary=value,
            error=value,
            inputs={"v": value},
            steps=[_tool_step()],
        )
        for i, value in enumerate(values)
    ]
    for run in runs:
        store.insert_run(run, [_event(text=run.name)])
        store.append_output(run.id, "s1", run.name)
    for run in runs:
        back = store.get_run(run.id)
        assert (back.name, back.summary, back.inputs, back.events[0].data) == (
            run.name,
            run.name,
            run.inputs,
            {"text": run.name},
        )
        assert back.steps[0].tool.output == run.name  # type: ignore[union-attr]
    assert store.list_runs(name="\x00", limit=1).total is not None
    with pytest.raises(RunNotFound):
        store.get_run("a\x00b")
