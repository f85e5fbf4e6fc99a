"""One rule for the step a run is on: the step list's current step is the prompt's step.

`RunDetail.active_step` is built on `RunDetail.waiting_step`, which `runs-tui runs respond`
uses too (tests/cli/test_runs_commands.py answers the same run through the CLI)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runs_tui.cache import Cache
from runs_tui.widgets.prompt import PromptPanel
from runs_tui.widgets.step_list import StepList
from ui.detail_fixtures import (
    NEXT_QUESTION,
    Scripted,
    open_run,
    screen_text,
    scripted,
    settle,
    two_waiting_detail,
    waiting_detail,
)


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


async def test_two_waiting_steps_the_list_the_prompt_and_the_answer_agree(
    app_factory, world: Scripted
) -> None:
    world.seed(two_waiting_detail())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-two-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        assert prompt.step_id == "s4" and prompt.armed
        assert screen.query_one(StepList).selected_step_id == "s4"
        assert NEXT_QUESTION in screen_text(app)
        await pilot.press("enter")  # "Done", the complete prompt's first choice
        await settle(app, pilot)
        [sent] = world.backend.requests("respond")
        assert sent.path == "/runs/run-two-waiting/steps/s4/response"
        assert sent.body["value"] == "done"


async def test_a_pointer_left_on_a_finished_step_does_not_mark_it_current(
    app_factory, world: Scripted
) -> None:
    """The backend's pointer lags on s2 (done) while s3 waits: the list marks and follows s3,
    the step the prompt answers, not the finished step the pointer names."""
    lagging = waiting_detail("confirm").model_copy(update={"current_step_id": "s2"})
    world.seed(lagging)
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting")
        assert screen.query_one(PromptPanel).step_id == "s3"
        assert screen.query_one(StepList).selected_step_id == "s3"
