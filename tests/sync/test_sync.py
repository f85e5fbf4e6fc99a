"""`Syncer.sync_once` and `refresh_detail` against the real backend over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable

import httpx
import pytest
from client.backend_fixtures import FAST_RETRY, Backend
from client.faults import FaultTransport

from runs_tui.cache import Cache
from runs_tui.client import NO_RETRY, RunsClient
from runs_tui.errors import ServerError
from runs_tui.models.domain import RunDetail
from runs_tui.sync import Syncer, SyncFailed
from sync.helpers import cached_versions, eventually


@pytest.mark.parametrize("own_connection", [True, False], ids=["own-connection", "inline"])
async def test_first_then_incremental_sync(
    syncers: Callable[..., Syncer],
    backend: Backend,
    client: RunsClient,
    cache: Cache,
    make_run: Callable[..., RunDetail],
    own_connection: bool,
) -> None:
    seeded = backend.seed(make_run, 25)
    syncer = syncers(cache, client, page_size=10, own_connection=own_connection)
    first = await syncer.sync_once()
    assert first.pages == 3 and first.changed == {r.id for r in seeded} and not first.full_resync
    assert cached_versions(cache) == backend.versions()
    assert cache.sync_state().cursor == first.cursor and cache.sync_state().last_success is not None
    assert [d.id for d in cache.definitions()] == ["checklist"]

    started = backend.start_checklist()
    backend.store.delete_runs([seeded[0].id])
    second = await syncer.sync_once()
    assert second.changed == {started} and second.deleted == {seeded[0].id} and second.pages == 1
    assert cached_versions(cache) == backend.versions()
    assert seeded[0].id not in cached_versions(cache)

    nothing = await syncer.sync_once()
    assert nothing.touched == frozenset() and nothing.cursor == second.cursor


async def test_an_expired_cursor_triggers_a_full_resync_that_drops_vanished_runs(
    syncers: Callable[..., Syncer],
    backend: Backend,
    client: RunsClient,
    cache: Cache,
    make_run: Callable[..., RunDetail],
) -> None:
    seeded = backend.seed(make_run, 12)
    syncer = syncers(cache, client, page_size=5)
    await syncer.sync_once()
    backend.store.delete_runs([r.id for r in seeded[:6]])  # six tombstones, three retained: 410
    kept = backend.seed(make_run, 2)
    syncer.page_size = 100  # see the next test for a resync paging across the pruned range
    result = await syncer.sync_once()
    assert result.full_resync
    assert cached_versions(cache) == backend.versions()
    assert set(cached_versions(cache)) == {r.id for r in seeded[6:] + kept}
    assert not cache.sync_state().resync_in_progress


async def test_a_paged_full_resync_crosses_the_pruned_range(
    syncers: Callable[..., Syncer],
    backend: Backend,
    client: RunsClient,
    cache: Cache,
    make_run: Callable[..., RunDetail],
) -> None:
    seeded = backend.seed(make_run, 12)
    syncer = syncers(cache, client, page_size=5)
    await syncer.sync_once()
    backend.store.delete_runs([r.id for r in seeded[:6]])
    result = await syncer.sync_once()
    assert result.full_resync and cached_versions(cache) == backend.versions()


async def test_an_interrupted_resync_resumes_and_still_drops_vanished_runs(
    syncers: Callable[..., Syncer],
    backend: Backend,
    client: RunsClient,
    cache: Cache,
    make_run: Callable[..., RunDetail],
) -> None:
    seeded = backend.seed(make_run, 12)
    syncer = syncers(cache, client, page_size=5)
    await syncer.sync_once()
    backend.store.delete_runs([r.id for r in seeded[:6]])
    cache.begin_full_resync()  # as if killed right after the 410, before any page
    page = await client.changes(None, 100)
    cache.apply_changes(page)  # ...and after the first page of the resync
    result = await syncer.sync_once()
    assert result.full_resync and cached_versions(cache) == backend.versions()


def _repeat_cursor(request: httpx.Request, body: dict[str, object]) -> dict[str, object]:
    cursor = int(request.url.params.get("cursor", "0"))
    return {**body, "next_cursor": cursor, "has_more": True}


def rewrite(change: Callable[[httpx.Request, dict[str, object]], dict[str, object]]):  # type: ignore[no-untyped-def]
    async def apply(request: httpx.Request, inner: httpx.AsyncBaseTransport) -> httpx.Response:
        response = await inner.handle_async_request(request)
        body = json.loads(await response.aread())
        return httpx.Response(response.status_code, json=change(request, body))

    return apply


async def test_a_server_repeating_its_cursor_cannot_loop_the_client(
    syncers: Callable[..., Syncer],
    backend: Backend,
    cache: Cache,
    make_run: Callable[..., RunDetail],
) -> None:
    backend.seed(make_run, 3)
    faults = FaultTransport().add(rewrite(_repeat_cursor), path="/runs/changes", times=None)
    async with RunsClient(backend.url, backend.token, retry=FAST_RETRY, transport=faults) as client:
        syncer = syncers(cache, client)
        with pytest.raises(ServerError) as caught:
            await syncer.sync_once()
    assert "repeated sync cursor" in caught.value.explain()
    assert len(faults.requests_to("/runs/changes")) <= 3
    state = cache.sync_state()
    assert state.last_error == caught.value.explain() and state.offline_since is not None


async def test_details_are_fetched_once_then_confirmed_with_the_etag(
    syncers: Callable[..., Syncer], backend: Backend, cache: Cache
) -> None:
    faults = FaultTransport()
    async with RunsClient(backend.url, backend.token, retry=FAST_RETRY, transport=faults) as client:
        syncer = syncers(cache, client)
        run_id = backend.start_checklist()
        await syncer.sync_once()
        first = await syncer.refresh_detail(run_id)
        assert first is not None and first.detail.id == run_id and first.etag
        again = await syncer.refresh_detail(run_id)
        assert (
            again is not None
            and again.detail == first.detail
            and again.fetched_at >= first.fetched_at
        )
        [_, second_request] = faults.requests_to(f"/runs/{run_id}")
        assert second_request.headers["If-None-Match"] == first.etag
        backend.until_waiting(run_id)
        changed = await syncer.refresh_detail(run_id)
        assert (
            changed is not None and changed.etag != first.etag and changed.detail.status.is_waiting
        )


async def test_a_run_that_starts_waiting_is_reported_once(
    syncers: Callable[..., Syncer], backend: Backend, client: RunsClient, cache: Cache
) -> None:
    syncer = syncers(cache, client)
    run_id = backend.start_checklist()
    await syncer.sync_once()
    backend.until_waiting(run_id)
    result = await syncer.sync_once()
    assert [run.id for run in result.waiting_started] == [run_id]
    backend.embedded.run(backend.clock.advance(1))
    assert (await syncer.sync_once()).waiting_started == ()


async def test_a_failed_pass_is_told_once_syncing_has_ended(
    syncers: Callable[..., Syncer], cache: Cache
) -> None:
    """A listener told of the failure (the header) must not still read "syncing"."""
    with socket.socket() as probe:  # a loopback port nobody listens on: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    told: list[bool] = []
    async with RunsClient(f"http://127.0.0.1:{port}", "t" * 16, retry=NO_RETRY) as client:
        syncer = syncers(cache, client, poll_interval=0.05)

        def sink(event: object) -> None:
            if isinstance(event, SyncFailed):
                told.append(syncer.syncing)

        live = asyncio.create_task(syncer.run_live(sink))
        await eventually(lambda: bool(told), message="a failed sync pass")
        live.cancel()
        await asyncio.gather(live, return_exceptions=True)
    assert told[0] is False
