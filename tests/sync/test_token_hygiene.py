"""A sentinel token must never appear in logs, exception text, reprs or the cache file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from client.backend_fixtures import FAST_RETRY, Backend

from runs_tui.cache import Cache
from runs_tui.client import RunsClient, new_idempotency_key
from runs_tui.errors import ClientError
from runs_tui.models.domain import RespondRequest, RunDetail
from runs_tui.service import RunsService
from sync.proxy import LoopbackProxy

SENTINEL = "SENTINEL-tok-3f9a1c77e0"


@pytest.fixture
def backend_token() -> str:
    return SENTINEL


async def test_the_token_never_leaks(
    backend: Backend,
    cache: Cache,
    cache_path: Path,
    caplog: pytest.LogCaptureFixture,
    make_run: Callable[..., RunDetail],
) -> None:
    caplog.set_level(logging.DEBUG)
    backend.seed(make_run, 5)
    run_id = backend.start_checklist()
    host, port = backend.url.removeprefix("http://").split(":")
    proxy = await LoopbackProxy(host, int(port)).start()
    failures: list[ClientError] = []
    try:
        client = RunsClient(proxy.url, SENTINEL, retry=FAST_RETRY)
        service = RunsService(cache, client, actor="ann")
        await service.sync_now()
        await service.refresh_detail(run_id)
        step = backend.waiting_step(run_id)
        await service.respond(run_id, step, "red")
        for failing in (
            service.respond(run_id, step, "blue"),  # 409
            service.respond(
                run_id, step, "green", idempotency_key=new_idempotency_key()
            ),  # 409/422
            service.refresh_detail("no-such-run"),  # 404
            client.respond(run_id, "..", RespondRequest(value="x"), "k"),  # refused locally
        ):
            with pytest.raises(ClientError) as caught:
                await failing
            failures.append(caught.value)
        proxy.cut()
        with pytest.raises(ClientError) as offline:
            await service.sync_now()
        failures.append(offline.value)
        assert SENTINEL not in repr(client) and SENTINEL not in repr(service.syncer)
        await service.aclose()
    finally:
        await proxy.stop()
    logging.getLogger("runs_tui.client").debug("a library logging the header: Bearer %s", SENTINEL)

    assert caplog.records, "the HTTP stack logged nothing at DEBUG: the check would be vacuous"
    assert SENTINEL not in caplog.text
    assert all(SENTINEL not in record.getMessage() for record in caplog.records)
    for failure in failures:
        assert SENTINEL not in str(failure) and SENTINEL not in repr(failure)
        assert SENTINEL not in failure.explain()
        assert SENTINEL not in repr(failure.__cause__) and SENTINEL not in str(failure.__context__)
    cache.close()
    for path in cache_path.parent.glob(cache_path.name + "*"):
        assert SENTINEL.encode() not in path.read_bytes(), path
