"""How the inline prompt looks: each kind, more choices than fit, the disarmed notice and a 409
(120×40 and 80×24, with and without NO_COLOR).

Fixed data, frozen clock (`NOW`), times in UTC. The views are drawn from the cache with the
backend's detail fetch failing, except where a reachable backend is the point (the disarmed
prompt and the 409 need the next detail). Regenerate with `--snapshot-update` and look.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from runs_tui.cache import Cache
from runs_tui.events import CacheChanged
from runs_tui.messages import RunsChanged
from ui.conftest import settle
from ui.detail_fixtures import (
    Scripted,
    answered_elsewhere,
    open_run,
    scripted,
    success_detail,
    waiting_detail,
)
from ui.fake_backend import refusal

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]
KINDS = {  # scenario: (prompt kind, keys pressed once the prompt has the focus)
    "confirm": ("confirm", ()),
    "complete": ("complete", ("right",)),
    "answer_choice": ("choice", ("right",)),
    "answer_text": ("text", tuple("platf")),
    "more_choices_than_fit": ("many", ("right", "right", "right", "right", "right")),
}


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


def _opened(*keys: str) -> Callable[[Any], Awaitable[None]]:
    async def run_before(pilot: Any) -> None:
        await open_run(pilot.app, pilot, "run-waiting", focus_prompt=True)
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scenario", list(KINDS))
def test_prompt_looks(
    scenario: str, size: tuple[int, int], no_color: bool, snap_compare, app_factory, world
) -> None:
    kind, keys = KINDS[scenario]
    world.seed(waiting_detail(kind))
    world.backend.down("detail")
    app = app_factory(world.service, live=False)
    assert snap_compare(app, terminal_size=size, run_before=_opened(*keys))


@pytest.mark.parametrize("size", SIZES)
def test_disarmed_prompt_looks(
    size: tuple[int, int], no_color: bool, snap_compare, app_factory, world
) -> None:
    """cli-oncall answered while this operator had picked Reject and typed a note."""
    world.seed(waiting_detail("confirm"))
    opened = _opened("right", "tab", *"disk is fine")

    async def run_before(pilot: Any) -> None:
        await opened(pilot)
        world.backend.put(answered_elsewhere(waiting_detail("confirm")))
        pilot.app.screen.post_message(RunsChanged(CacheChanged(frozenset({"run-waiting"}))))
        await settle(pilot)

    app = app_factory(world.service, live=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_conflict_message_looks(size: tuple[int, int], snap_compare, app_factory, world) -> None:
    world.seed(waiting_detail("confirm"))
    world.backend.script(
        "respond",
        refusal(
            409,
            "conflict",
            "step is not waiting for input",
            status="executing_remediation",
            answered_by="bob",
            answered_at="2025-11-25T14:28:10+00:00",
        ),
    )
    opened = _opened()

    async def run_before(pilot: Any) -> None:
        await opened(pilot)
        world.backend.put(success_detail(run_id="run-waiting"))  # bob answered meanwhile
        await pilot.press("enter")
        await settle(pilot)

    app = app_factory(world.service, live=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
