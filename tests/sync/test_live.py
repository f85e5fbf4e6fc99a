"""`run_live` against the real backend: the stream rings, the feed is pulled, output is
forwarded; through a proxy that is cut and restored, the sync goes offline and heals itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from client.backend_fixtures import FAST_RETRY, Backend

from runs_tui.cache import Cache
from runs_tui.client import RunsClient
from runs_tui.events import CacheChanged, OutputChunk, SyncStateChanged, WaitingStarted
from runs_tui.models.domain import RunDetail
from runs_tui.service import RunsService, SyncMode
from runs_tui.sync import Backoff, LinkChanged, Syncer, SyncStarted
from sync.helpers import cached_versions, eventually
from sync.proxy import LoopbackProxy


@pytest.fixture
async def proxy(backend: Backend) -> AsyncIterator[LoopbackProxy]:
    host, port = backend.url.removeprefix("http://").split(":")
    started = await LoopbackProxy(host, int(port)).start()
    yield started
    await started.stop()


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


async def _running(coro: Any) -> asyncio.Task[None]:
    return asyncio.create_task(coro)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_change_on_the_server_reaches_the_cache_without_polling(
    syncers: Callable[..., Syncer], backend: Backend, client: RunsClient, cache: Cache
) -> None:
    syncer = syncers(cache, client, poll_interval=3600)
    events = Recorder()
    task = await _running(syncer.run_live(events))
    try:
        await eventually(
            lambda: syncer.live and cache.sync_state().last_success is not None, message="live"
        )
        run_id = await asyncio.to_thread(backend.start_checklist)
        await eventually(
            lambda: cache.get_run(run_id) is not None, message="run synced from the stream"
        )
        await asyncio.to_thread(backend.embedded.run, _publish_output(backend, run_id))
        syncer.watch_output([run_id])  # the backend sends output only to who asks for the run
        assert await syncer.output_subscribed(wait=10)
        await asyncio.to_thread(backend.embedded.run, _publish_output(backend, run_id))
        await eventually(lambda: bool(events.of(OutputChunk)), message="tool output forwarded")
        assert events.of(OutputChunk) == [OutputChunk(run_id, "step-1", "hello [bold]\x1b[31m")]
        assert events.of(LinkChanged) == [LinkChanged(True)]  # resubscribing is not a drop
    finally:
        await _stop(task)


async def _publish_output(backend: Backend, run_id: str) -> None:
    backend.embedded.bus.publish_output(run_id, "step-1", "hello [bold]\x1b[31m")


async def _publish_burst(backend: Backend, count: int) -> None:
    seq = backend.store.max_seq()
    for _ in range(count):
        backend.embedded.bus.publish_change(seq)


async def test_a_burst_of_notices_costs_a_pull_or_two(
    syncers: Callable[..., Syncer],
    backend: Backend,
    client: RunsClient,
    cache: Cache,
    make_run: Callable[..., RunDetail],
) -> None:
    syncer = syncers(cache, client, poll_interval=3600)
    events = Recorder()
    task = await _running(syncer.run_live(events))
    try:
        await eventually(
            lambda: syncer.live and len(events.of(SyncStarted)) == 1 and not syncer.syncing
        )
        backend.seed(make_run, 3)
        await asyncio.to_thread(backend.embedded.run, _publish_burst(backend, 50))
        await eventually(lambda: len(cached_versions(cache)) == 3, message="burst pulled")
        await asyncio.sleep(0.3)
        assert 2 <= len(events.of(SyncStarted)) <= 4
    finally:
        await _stop(task)


async def test_offline_then_back_online_by_itself(
    syncers: Callable[..., Syncer], backend: Backend, proxy: LoopbackProxy, cache: Cache
) -> None:
    async with RunsClient(proxy.url, backend.token, retry=FAST_RETRY) as client:
        syncer = syncers(cache, client, poll_interval=0.05, reconnect=Backoff(base=0.05, cap=0.2))
        service = RunsService(cache, client, syncer=syncer)
        events = Recorder()
        task = await _running(service.run_live(events))
        try:
            first = await asyncio.to_thread(backend.start_checklist)
            await eventually(
                lambda: (
                    cache.get_run(first) is not None
                    and service.sync_status().state is SyncMode.LIVE
                )
            )
            proxy.cut()
            await eventually(
                lambda: service.sync_status().state is SyncMode.OFFLINE, message="offline"
            )
            status = service.sync_status()
            assert status.offline_since is not None and status.last_synced is not None
            assert status.describe(service.now()).startswith("offline since ")
            assert "— data from " in status.describe(service.now())
            assert cache.get_run(first) is not None  # the cache keeps serving
            second = await asyncio.to_thread(backend.start_checklist)
            proxy.restore()
            await eventually(lambda: cache.get_run(second) is not None, message="resumed by itself")
            await eventually(
                lambda: service.sync_status().state is SyncMode.LIVE, message="live again"
            )
            assert cache.sync_state().offline_since is None
            states = [e.status.state for e in events.of(SyncStateChanged)]
            last_offline = len(states) - 1 - states[::-1].index(SyncMode.OFFLINE)
            assert SyncMode.LIVE in states[last_offline + 1 :]  # later pulls may be under way
            assert any(second in e.run_ids for e in events.of(CacheChanged))
        finally:
            await _stop(task)


async def test_offline_the_data_is_dated_by_the_last_heartbeat_not_the_last_change(
    syncers: Callable[..., Syncer], backend: Backend, proxy: LoopbackProxy, cache: Cache
) -> None:
    """An idle backend makes no change for minutes while the stream stays live; when it drops,
    the header must not say "data from" the last change, since the stream vouched for later."""
    async with RunsClient(proxy.url, backend.token, retry=FAST_RETRY) as client:
        syncer = syncers(cache, client, poll_interval=0.05, reconnect=Backoff(base=0.05, cap=0.2))
        service = RunsService(cache, client, syncer=syncer)
        task = await _running(service.run_live(Recorder()))
        try:
            await eventually(lambda: service.sync_status().state is SyncMode.LIVE, message="live")
            pulled = cache.sync_state().last_success
            assert pulled is not None
            await eventually(
                lambda: syncer.current_as_of is not None and syncer.current_as_of > pulled,
                message="a heartbeat after the last pull",
            )
            vouched = syncer.current_as_of
            proxy.cut()
            await eventually(
                lambda: service.sync_status().state is SyncMode.OFFLINE, message="offline"
            )
            last_synced = service.sync_status().last_synced
            assert last_synced is not None and last_synced >= vouched > pulled
        finally:
            await _stop(task)


async def test_the_service_announces_a_run_that_starts_waiting(
    backend: Backend, client: RunsClient, cache: Cache
) -> None:
    service = RunsService(cache, client, refresh_interval=3600)
    events = Recorder()
    task = await _running(service.run_live(events))
    try:
        await eventually(lambda: service.sync_status().state is SyncMode.LIVE)
        run_id = await asyncio.to_thread(backend.start_checklist)
        await asyncio.to_thread(backend.until_waiting, run_id)
        await eventually(lambda: bool(events.of(WaitingStarted)), message="waiting announced")
        assert [e.run.id for e in events.of(WaitingStarted)] == [run_id]
    finally:
        await _stop(task)
        service.syncer.close()  # type: ignore[union-attr]
