"""What the sync tests compare: the cache's runs against the server's, id → version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from runs_tui.cache import Cache
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange

EVERYTHING = RunFilter(time=TimeRange(TimePreset.ALL))


def cached_versions(cache: Cache) -> dict[str, int]:
    return {run.id: run.version for run in cache.iter_runs(EVERYTHING, datetime.now(UTC))}


async def eventually(check: Callable[[], bool], timeout: float = 10.0, message: str = "") -> None:
    """Poll `check` until it holds: live behaviour happens on its own schedule."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting: {message or check}")
        await asyncio.sleep(0.02)
