"""How the run detail, the timeline, the prompt and the confirmations look (120×40 and 80×24).

Fixed data, frozen clock (`NOW`), times in UTC: the SVGs under snapshots/ are the same on every
machine. Regenerate with `--snapshot-update` and look at the changed ones.

The views are drawn from the cache with the backend's detail fetch failing (so the header says
the cached detail is not confirmed): what shows does not depend on a fetch racing the snapshot.
The 409 message needs a reachable backend, so its header has no such line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from ui.detail_fixtures import (
    Scripted, failure_detail, long_wait_detail, open_run, progress_detail, scripted, settle,
    success_detail, waiting_detail,
)
from ui.fake_backend import refusal

from runs_tui.cache import Cache

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


def _open(run_id: str, *keys: str, focus_prompt: bool = False) -> Callable[[Any], Awaitable[None]]:
    async def run_before(pilot: Any) -> None:
        await open_run(pilot.app, pilot, run_id, focus_prompt=focus_prompt)
        if keys:
            await pilot.press(*keys)
        await settle(pilot.app, pilot)

    return run_before


SCENARIOS: dict[str, tuple[Callable[[], list[Any]], Callable[[Any], Awaitable[None]]]] = {
    "progress": (lambda: [progress_detail()], _open("run-progress")),
    "results": (lambda: [success_detail()], _open("run-success")),
    "troubleshooting": (lambda: [failure_detail()], _open("run-failure")),
    "timeline_waits": (lambda: [success_detail()], _open("run-success", "t")),
    "timeline_days": (lambda: [long_wait_detail()], _open("run-days", "t")),
    "prompt_confirm": (lambda: [waiting_detail("confirm")], _open("run-waiting", focus_prompt=True)),
    "prompt_complete": (lambda: [waiting_detail("complete")], _open("run-waiting", "right", focus_prompt=True)),
    "prompt_choice": (lambda: [waiting_detail("choice")], _open("run-waiting", "right", focus_prompt=True)),
    "prompt_text": (lambda: [waiting_detail("text")], _open("run-waiting", *"platf", focus_prompt=True)),
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
def test_detail_looks(scenario: str, size: tuple[int, int], snap_compare, app_factory, world) -> None:
    details, run_before = SCENARIOS[scenario]
    world.seed(*details())
    world.backend.down("detail")
    app = app_factory(world.service, live=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_conflict_message_looks(size: tuple[int, int], snap_compare, app_factory, world) -> None:
    world.seed(waiting_detail("confirm"))
    world.backend.script("respond", refusal(
        409, "conflict", "step is not waiting for input", status="executing_remediation",
        answered_by="bob", answered_at="2025-11-25T14:28:10+00:00"))
    opened = _open("run-waiting", focus_prompt=True)

    async def run_before(pilot: Any) -> None:
        await opened(pilot)
        world.backend.put(success_detail(run_id="run-waiting"))  # bob answered meanwhile
        await pilot.press("enter")
        await settle(pilot.app, pilot)

    app = app_factory(world.service, live=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
