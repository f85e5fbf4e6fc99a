"""How the run detail, the timeline and the confirmations look (120×40 and 80×24); the prompt's
looks are in test_prompt_snapshots.py.

Fixed data, frozen clock (`NOW`), times in UTC: the SVGs under __snapshots__/ are the same on every
machine. Regenerate with `--snapshot-update` and look at the changed ones.

The views are drawn from the cache with the backend's detail fetch failing (so the header says
the cached detail is not confirmed): what shows does not depend on a fetch racing the snapshot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from runs_tui.cache import Cache
from ui.conftest import settle
from ui.detail_fixtures import (
    Scripted,
    failure_detail,
    long_wait_detail,
    open_run,
    progress_detail,
    scripted,
    success_detail,
)

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


def _open(run_id: str, *keys: str, focus_prompt: bool = False) -> Callable[[Any], Awaitable[None]]:
    async def run_before(pilot: Any) -> None:
        await open_run(pilot.app, pilot, run_id, focus_prompt=focus_prompt)
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return run_before


SCENARIOS: dict[str, tuple[Callable[[], list[Any]], Callable[[Any], Awaitable[None]]]] = {
    "progress": (lambda: [progress_detail()], _open("run-progress")),
    "results": (lambda: [success_detail()], _open("run-success")),
    "troubleshooting": (lambda: [failure_detail()], _open("run-failure")),
    "timeline_waits": (lambda: [success_detail()], _open("run-success", "t")),
    "timeline_days": (lambda: [long_wait_detail()], _open("run-days", "t")),
    "confirm_cancel": (lambda: [progress_detail()], _open("run-progress", "c")),
    "confirm_rerun": (lambda: [failure_detail()], _open("run-failure", "r")),
    "confirm_delete": (lambda: [success_detail()], _open("run-success", "d")),
}


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_detail_looks(
    scenario: str, size: tuple[int, int], snap_compare, app_factory, world
) -> None:
    details, run_before = SCENARIOS[scenario]
    world.seed(*details())
    world.backend.down("detail")
    app = app_factory(world.service, live=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
