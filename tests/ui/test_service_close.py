"""Closing the service twice is normal: the app closes it on unmount, then its owner does."""

from __future__ import annotations

import threading

from runs_tui.cache import Cache
from ui.detail_fixtures import scripted, success_detail


def _sync_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name.startswith("runs-tui-sync")}


async def test_aclose_twice_after_the_sync_thread_ran(empty_cache: Cache) -> None:
    world = scripted(empty_cache)
    world.seed(success_detail())
    before = _sync_threads()
    await world.service.sync_now()  # starts the syncer's own writer thread
    assert _sync_threads() - before, "the sync wrote through its own thread"
    await world.service.aclose()
    await world.service.aclose()
    assert not _sync_threads() - before  # the writer thread is gone, closed once
