"""`RunsService`: actions reach the backend exactly once and the cache shows their result."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from client.backend_fixtures import FAST_RETRY, Backend
from client.faults import FaultTransport, commit_then_drop

from runs_tui.cache import Cache
from runs_tui.client import RunsClient, new_idempotency_key
from runs_tui.errors import Refused, StateConflict, Unreachable
from runs_tui.models.domain import EventType, RunDetail, TriggerKind
from runs_tui.models.filters import RunFilter
from runs_tui.models.status import RunStatus
from runs_tui.service import RunsService, SyncMode, SyncStatus

NOW = datetime(2026, 3, 1, 14, 5, tzinfo=UTC)


@pytest.fixture
def faults() -> FaultTransport:
    return FaultTransport()


@pytest.fixture
async def service(
    backend: Backend, cache: Cache, faults: FaultTransport
) -> AsyncIterator[RunsService]:
    client = RunsClient(backend.url, backend.token, retry=FAST_RETRY, transport=faults)
    service = RunsService(
        cache, client, profile_label="test", backend_label=backend.url, actor="ann"
    )
    yield service
    await service.aclose()


def _inputs_received(backend: Backend, run_id: str) -> int:
    return sum(
        1
        for event in backend.store.get_run(run_id).events
        if event.type is EventType.INPUT_RECEIVED
    )


async def test_an_answer_is_applied_once_when_the_reply_is_lost(
    backend: Backend, service: RunsService, faults: FaultTransport
) -> None:
    run_id = backend.start_checklist()
    step = backend.waiting_step(run_id)
    faults.add(commit_then_drop(), method="POST", path="/response")
    key = new_idempotency_key()
    detail = await service.respond(run_id, step, "red", "seen it", key)
    sent = faults.requests_to("/response")
    assert len(sent) == 2 and {r.headers["Idempotency-Key"] for r in sent} == {key}
    assert _inputs_received(backend, run_id) == 1
    answered = next(s for s in detail.steps if s.id == step)
    assert answered.response is not None and answered.response.answered_by == "ann"
    cached = service.cache.get_detail(run_id)
    assert (
        cached is not None
        and next(s for s in cached.detail.steps if s.id == step).response is not None
    )


async def test_a_late_answer_is_a_conflict_and_the_cache_is_refreshed(
    backend: Backend, service: RunsService
) -> None:
    run_id = backend.start_checklist()
    step = backend.waiting_step(run_id)
    await service.respond(run_id, step, "red")
    with pytest.raises(StateConflict) as caught:
        await service.respond(run_id, step, "blue")
    assert caught.value.current["answered_by"] == "ann"
    assert _inputs_received(backend, run_id) == 1


async def test_a_cancel_is_applied_once_when_the_reply_is_lost(
    backend: Backend, service: RunsService, faults: FaultTransport
) -> None:
    run_id = backend.start_checklist()
    backend.until_waiting(run_id)
    faults.add(commit_then_drop(), method="POST", path="/cancel")
    summary = await service.cancel(run_id)
    assert summary.status is RunStatus.CANCELLED
    assert len(faults.requests_to("/cancel")) == 2
    changes = [
        e
        for e in backend.store.get_run(run_id).events
        if e.type is EventType.STATUS_CHANGED and e.data.get("to") == RunStatus.CANCELLED.value
    ]
    assert len(changes) == 1
    assert changes[0].data["actor"] == "ann"  # the service's actor, not "operator"
    cached = service.cache.get_run(run_id)
    assert cached is not None and cached.status is RunStatus.CANCELLED


async def test_delete_reports_refusals_and_the_cache_follows(
    backend: Backend, service: RunsService, make_run: Callable[..., RunDetail]
) -> None:
    finished = backend.seed(make_run, 2)
    active = backend.start_checklist()
    await service.sync_now()
    deleted, refused = await service.delete([finished[0].id, active])
    assert deleted == [finished[0].id]
    assert [(r.run_id, r.code) for r in refused] == [(active, "conflict")]
    assert service.cache.get_run(finished[0].id) is None
    assert service.cache.get_run(finished[1].id) is not None


async def test_rerun_starts_the_same_definition_with_the_same_inputs(
    backend: Backend, service: RunsService
) -> None:
    original = backend.start_checklist(host="db-7")
    await service.sync_now()
    rerun = await service.rerun(original)
    assert rerun.id != original and rerun.definition_id == "checklist"
    assert rerun.inputs == {"host": "db-7"}
    assert rerun.trigger.kind is TriggerKind.MANUAL and rerun.trigger.actor == "ann"
    assert service.cache.get_run(rerun.id) is not None


async def test_without_a_backend_the_cache_still_serves_and_actions_explain(cache: Cache) -> None:
    service = RunsService(cache, None, profile_label="p", backend_label="none", now=lambda: NOW)
    status = service.sync_status()
    assert status.state is SyncMode.LOCAL_ONLY and status.describe(NOW) == "local cache only"
    for action in (
        service.sync_now(),
        service.cancel("r"),
        service.rerun("r"),
        service.delete(["r"]),
        service.respond("r", "s", "v"),
    ):
        with pytest.raises(Unreachable) as caught:
            await action
        assert caught.value.explain() == "Backend unreachable: no backend configured"
    assert await service.refresh_detail("r") is None
    assert service.now() == NOW


def test_sync_status_words() -> None:
    synced = NOW - timedelta(minutes=3)
    assert SyncStatus(SyncMode.LIVE, last_synced=synced).describe(NOW) == "live"
    assert SyncStatus(SyncMode.SYNCING).describe(NOW) == "syncing…"
    offline = SyncStatus(
        SyncMode.OFFLINE, offline_since=NOW.replace(hour=14, minute=2), last_synced=synced
    )
    assert offline.describe(NOW) == "offline since 14:02 — data from 14:02"
    assert (
        SyncStatus(SyncMode.OFFLINE, offline_since=NOW).describe(NOW)
        == "offline since 14:05 — nothing synced yet"
    )
    assert (
        SyncStatus(SyncMode.IDLE, last_synced=NOW - timedelta(hours=5)).describe(NOW)
        == "last synced 5 h ago"
    )
    assert SyncStatus(SyncMode.IDLE).describe(NOW) == "not synced yet"
    naive = SyncStatus(SyncMode.IDLE, last_synced=(NOW - timedelta(seconds=5)).replace(tzinfo=None))
    assert naive.describe(NOW) == "last synced just now"
    old = SyncStatus(
        SyncMode.OFFLINE, offline_since=NOW - timedelta(days=2), last_synced=NOW - timedelta(days=3)
    )
    assert old.describe(NOW) == "offline since 2026-02-27 14:05 — data from 2026-02-26 14:05"


async def test_exports_go_through_the_exports_module(
    backend: Backend,
    service: RunsService,
    tmp_path,
    make_run: Callable[..., RunDetail],  # type: ignore[no-untyped-def]
) -> None:
    [run] = backend.seed(make_run, 1)
    await service.sync_now()
    path = service.export_list(RunFilter.from_dict({"time": "all"}), "csv", tmp_path / "list.csv")
    assert run.id in path.read_text(encoding="utf-8")
    await service.refresh_detail(run.id)
    exported = service.export_run(run.id, "json", tmp_path)
    assert exported.parent == tmp_path and run.id in exported.read_text(encoding="utf-8")


async def test_a_deferred_client_is_made_on_first_need_and_then_serves_actions(
    backend: Backend,
    cache: Cache,
) -> None:
    """The dashboard paints from the cache before it imports the client: until then the
    status is "not synced yet" (not "local cache only"), and an action makes the client."""
    made: list[RunsClient] = []

    def connect() -> RunsClient:
        made.append(RunsClient(backend.url, backend.token, retry=FAST_RETRY))
        return made[-1]

    service = RunsService(cache, connect=connect, actor="ann")
    try:
        assert service.client is None and service.syncer is None and not made
        assert service.sync_status().state is SyncMode.IDLE
        run_id = backend.start_checklist()
        step = backend.waiting_step(run_id)
        await service.respond(run_id, step, "red")
        assert len(made) == 1 and service.client is made[0]
        assert service.cache.get_run(run_id) is not None  # the action's sync ran too
        await service.sync_now()
        assert len(made) == 1  # made once
    finally:
        await service.aclose()


async def test_the_live_sync_makes_a_deferred_client_first(backend: Backend, cache: Cache) -> None:
    run_id = backend.start_checklist()
    service = RunsService(
        cache, connect=lambda: RunsClient(backend.url, backend.token, retry=FAST_RETRY)
    )
    seen: list[object] = []
    live = asyncio.create_task(service.run_live(seen.append))
    try:
        async with asyncio.timeout(60):
            while service.cache.get_run(run_id) is None:
                await asyncio.sleep(0.05)
        assert service.client is not None
    finally:
        live.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await live
        await service.aclose()


async def test_a_refused_deferred_client_leaves_the_cache_serving(cache: Cache) -> None:
    """Plain http to a remote host is refused when the client is made; no request is sent."""
    service = RunsService(cache, connect=lambda: RunsClient("http://runs.example.com", "tok"))
    try:
        with pytest.raises(Refused):
            await service.run_live(lambda event: None)
        with pytest.raises(Refused):
            await service.cancel("run-1")
        assert await service.refresh_detail("run-1") is None  # the cache's answer
        assert service.sync_status().state is SyncMode.LOCAL_ONLY
    finally:
        await service.aclose()


def test_sync_status_words_date_a_time_from_yesterday_however_recent() -> None:
    """The clock rule is the calendar day (`formatting.clock_words`): 40 minutes before
    00:30 is yesterday, and the words say so."""
    after_midnight = NOW.replace(hour=0, minute=30)
    offline = SyncStatus(
        SyncMode.OFFLINE,
        offline_since=after_midnight - timedelta(minutes=5),
        last_synced=after_midnight - timedelta(minutes=40),
    )
    day_before = (after_midnight - timedelta(days=1)).date().isoformat()
    assert offline.describe(after_midnight) == (
        f"offline since 00:25 — data from {day_before} 23:50"
    )
