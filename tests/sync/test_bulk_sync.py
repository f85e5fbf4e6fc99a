"""A first sync bulk-loads the empty cache: pages staged, published at the end. Faults during
it must leave a cache the next sync completes, ending exactly on the server's state."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from client.backend_fixtures import FAST_RETRY, Backend
from client.faults import FaultTransport, truncate

from runs_tui.cache import Cache
from runs_tui.cache.feed import parse_page
from runs_tui.client import RunsClient
from runs_tui.errors import ServerError
from runs_tui.models.domain import RunDetail
from runs_tui.sync import Syncer
from sync.helpers import cached_versions


def _staged(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM run_staging").fetchone()[0])


def _corrupt_second_page() -> Any:
    """A proxy that breaks one run of the second page while keeping the page's compact tail
    intact, so only the full parse (on the writer's thread) can notice."""
    seen = {"pages": 0}

    async def apply(request: httpx.Request, inner: httpx.AsyncBaseTransport) -> httpx.Response:
        response = await inner.handle_async_request(request)
        body = json.loads(await response.aread())
        seen["pages"] += 1
        if seen["pages"] == 2:
            body["changes"][0]["status"] = "on_fire"
        content = json.dumps(body, separators=(",", ":")).encode()
        return httpx.Response(
            response.status_code, content=content, headers={"Content-Type": "application/json"}
        )

    return apply


async def test_a_first_sync_bulk_loads_and_then_syncs_page_by_page(
    syncers: Callable[..., Syncer],
    backend: Backend,
    client: RunsClient,
    cache: Cache,
    cache_path: Path,
    make_run: Callable[..., RunDetail],
) -> None:
    backend.seed(make_run, 30)
    syncer = syncers(cache, client, page_size=7)
    first = await syncer.sync_once()
    assert first.pages == 5 and cached_versions(cache) == backend.versions()
    assert not cache.sync_state().bulk_loading and _staged(cache_path) == 0
    backend.seed(make_run, 3)
    second = await syncer.sync_once()
    assert len(second.changed) == 3 and cached_versions(cache) == backend.versions()


async def test_a_page_cut_off_in_transit_is_fetched_again(
    syncers: Callable[..., Syncer],
    backend: Backend,
    cache: Cache,
    make_run: Callable[..., RunDetail],
) -> None:
    backend.seed(make_run, 20)
    faults = FaultTransport().add(truncate(300), path="/runs/changes", times=1)
    async with RunsClient(backend.url, backend.token, retry=FAST_RETRY, transport=faults) as client:
        await syncers(cache, client, page_size=8).sync_once()
    assert cached_versions(cache) == backend.versions()
    assert len(faults.requests_to("/runs/changes")) == 4  # three pages, one of them twice


@pytest.mark.parametrize("own_connection", [True, False], ids=["own-connection", "inline"])
async def test_a_malformed_page_stops_the_load_and_the_next_sync_completes_it(
    syncers: Callable[..., Syncer],
    backend: Backend,
    client: RunsClient,
    cache: Cache,
    cache_path: Path,
    make_run: Callable[..., RunDetail],
    own_connection: bool,
) -> None:
    backend.seed(make_run, 20)
    faults = FaultTransport().add(_corrupt_second_page(), path="/runs/changes", times=None)
    async with RunsClient(backend.url, backend.token, retry=FAST_RETRY, transport=faults) as bad:
        with pytest.raises(ServerError):
            await syncers(cache, bad, page_size=8, own_connection=own_connection).sync_once()
    state = cache.sync_state()
    assert state.bulk_loading and state.cursor == 8 and _staged(cache_path) == 8
    assert cached_versions(cache) == {}  # nothing half-published
    await syncers(cache, client, page_size=8).sync_once()
    assert cached_versions(cache) == backend.versions()
    assert not cache.sync_state().bulk_loading


async def test_an_expired_cursor_during_a_load_restarts_it_cleanly(
    syncers: Callable[..., Syncer],
    backend: Backend,
    client: RunsClient,
    cache: Cache,
    make_run: Callable[..., RunDetail],
) -> None:
    seeded = backend.seed(make_run, 12)
    cache.begin_bulk_load()  # as if a first sync had staged a page and then been killed
    cache.apply_rows(await client.changes_parsed(None, 5, parse_page))
    backend.store.delete_runs([r.id for r in seeded[:6]])  # tombstones pruned: 410 ahead
    backend.seed(make_run, 2)
    result = await syncers(cache, client, page_size=5).sync_once()
    assert result.full_resync and cached_versions(cache) == backend.versions()
    assert not cache.sync_state().bulk_loading
