"""How issue 13's prompt looks (120×40 and 80×24): a typed multi-field prompt with a validation
error, a prompt this operator may not answer, and an expired prompt in the timeline.

Fixed data and the frozen clock (`NOW`); the views are drawn from the cache with the backend's
detail fetch failing. Regenerate with `--snapshot-update -k typed_snapshots` and look.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runs_tui.cache import Cache
from runs_tui.models.responders import Identity
from runs_tui.screens.timeline import TimelineScreen
from runs_tui.widgets.prompt import PromptPanel
from ui.conftest import settle
from ui.detail_fixtures import Scripted, expired_detail, open_run, scripted, waiting_detail

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


@pytest.mark.parametrize("size", SIZES)
def test_typed_prompt_with_a_validation_error_looks(
    size: tuple[int, int], no_color: bool, snap_compare, app_factory, world
) -> None:
    world.seed(waiting_detail("typed"))
    world.backend.down("detail")

    async def run_before(pilot: Any) -> None:
        await open_run(pilot.app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press(*"ticket 7", "ctrl+s")
        await settle(pilot)
        prompt = pilot.app.screen.query_one(PromptPanel)
        assert prompt.editors[0].error == r"Ticket: must match the pattern INC-\d+"

    app = app_factory(world.service, live=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_forbidden_prompt_looks(size: tuple[int, int], snap_compare, app_factory, world) -> None:
    world.service.identity = Identity("operator", frozenset({"sre"}))
    world.seed(waiting_detail("forbidden"))
    world.backend.down("detail")

    async def run_before(pilot: Any) -> None:
        await open_run(pilot.app, pilot, "run-waiting", focus_prompt=True)
        assert pilot.app.screen.query_one(PromptPanel).refusal_text

    app = app_factory(world.service, live=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_expired_prompt_in_the_timeline_looks(
    size: tuple[int, int], no_color: bool, snap_compare, app_factory, world
) -> None:
    world.seed(expired_detail())
    world.backend.down("detail")

    async def run_before(pilot: Any) -> None:
        await open_run(pilot.app, pilot, "run-expired")
        await pilot.press("t")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, TimelineScreen)
        screen.query_one("#timeline-body").scroll_end(animate=False)
        await settle(pilot)

    app = app_factory(world.service, live=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_the_timeline_screen_says_the_prompt_expired(app_factory, world) -> None:
    from ui.detail_fixtures import screen_text

    world.seed(expired_detail())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-expired")
        detail_text = screen_text(app)
        assert "Expired — no answer before 14:26; the step failed" in detail_text
        await pilot.press("t")
        await settle(pilot)
        app.screen.query_one("#timeline-body").scroll_end(animate=False)
        await settle(pilot)
        text = screen_text(app)
        assert "✕ Expired — no answer before 14:26; the step failed (“Scale the API”)" in text
        assert "✕ a prompt expired: no answer before its deadline" in text
