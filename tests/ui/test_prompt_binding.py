"""The prompt answers only what was on screen: disarmed when the run moves on elsewhere, Enter
into the prompt, drafts that outlive the screen, every choice visible, inert suggestions."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from textual.widgets import Input

from runs_tui.cache import Cache
from runs_tui.events import CacheChanged
from runs_tui.messages import RunsChanged
from runs_tui.models import (
    ChangesPage,
    Prompt,
    PromptKind,
    RunDetail,
)
from runs_tui.widgets.prompt import ChoicePicker, PromptPanel
from runs_tui.widgets.step_list import StepList
from ui.conftest import settle
from ui.detail_fixtures import (
    NEXT_QUESTION,
    Scripted,
    answered_elsewhere,
    at,
    hostile_strings,
    open_run,
    screen_text,
    scripted,
    waiting_detail,
)
from ui.fake_backend import Sent, summary_of

FORBIDDEN = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2060\ufeff]"
)


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


def _answers(world: Scripted) -> list[Sent]:
    return world.backend.requests("respond")


async def _move_on_elsewhere(app, pilot, world: Scripted, detail: RunDetail) -> None:  # type: ignore[no-untyped-def]
    world.backend.put(detail)
    app.screen.post_message(RunsChanged(CacheChanged(frozenset({detail.id}))))
    await settle(pilot)


async def test_a_prompt_answered_elsewhere_is_disarmed_and_enter_sends_nothing(
    app_factory, world
) -> None:
    world.seed(waiting_detail("confirm"))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press("right", "tab", *"disk is fine")
        await _move_on_elsewhere(app, pilot, world, answered_elsewhere(waiting_detail("confirm")))
        assert not prompt.armed and prompt.step_id == "s3"
        assert not isinstance(app.focused, (ChoicePicker, Input))
        assert prompt.disarmed_text == (
            f"cli-oncall answered ‘approve’ at 14:23:20 — the run now asks: {NEXT_QUESTION} "
            "Press a to answer it."
        )
        text = screen_text(app)
        assert "cli-oncall answered ‘approve’" in text
        assert (
            "Delete 12G of rotated logs under /var/log?" in text
        )  # what the operator was answering
        assert "▸ Reject" in text and "disk is fine" in text  # the draft, kept in view
        await pilot.press("enter")
        await pilot.press("enter")
        await settle(pilot)
        assert _answers(world) == [] and not prompt.armed  # Enter never takes up the new step
        await pilot.press("a")  # a fresh, deliberate `a`
        await pilot.pause()
        assert prompt.armed and prompt.step_id == "s4" and prompt.prompt_id == "p-next"
        assert isinstance(app.focused, ChoicePicker) and app.focused.values == ("done", "failed")
        assert prompt.query_one("#prompt-note", Input).value == ""
        assert NEXT_QUESTION in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        [sent] = _answers(world)
        assert sent.path.endswith("/steps/s4/response") and sent.body["prompt_id"] == "p-next"


async def test_a_step_asked_again_is_disarmed_too(app_factory, world) -> None:
    detail = waiting_detail("confirm")
    world.seed(detail)
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        asked_again = detail.model_copy(
            update={
                "version": detail.version + 1,
                "steps": [
                    s.model_copy(
                        update={"prompt": s.prompt.model_copy(update={"prompt_id": "p-again"})}
                    )
                    if s.id == "s3"
                    else s
                    for s in detail.steps
                ],
            }
        )
        await _move_on_elsewhere(app, pilot, world, asked_again)
        prompt = screen.query_one(PromptPanel)
        assert not prompt.armed and prompt.disarmed_text.startswith("This step was asked again")
        await pilot.press("enter")
        await settle(pilot)
        assert _answers(world) == []


@pytest.mark.parametrize("asked", [False, True], ids=["enter", "a"])
async def test_opening_a_waiting_run_with_enter_or_a_lands_in_the_prompt(
    app_factory, world, asked
) -> None:
    world.seed(waiting_detail("confirm"))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-waiting", focus_prompt=asked)
        assert isinstance(app.focused, ChoicePicker)
        assert _answers(world) == []


async def test_enter_on_the_detail_focuses_the_prompt_without_sending(app_factory, world) -> None:
    world.seed(waiting_detail("complete"))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-waiting")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, StepList)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.focused, ChoicePicker)
        await settle(pilot)
        assert _answers(world) == []


async def test_a_draft_survives_leaving_the_run_and_is_dropped_once_answered(
    app_factory, world
) -> None:
    world.seed(waiting_detail("text"))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press(*"team stor", "tab", *"half a note", "escape")
        await pilot.press("escape")  # back to the list: the screen and its widgets are gone
        await settle(pilot)
        assert not any(hasattr(s, "run_id") for s in app.screen_stack)
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        assert prompt.query_one("#prompt-answer", Input).value == "team stor"
        assert prompt.query_one("#prompt-note", Input).value == "half a note"
        await _move_on_elsewhere(
            app, pilot, world, answered_elsewhere(waiting_detail("text"), value="ops")
        )
        assert len(world.service.drafts) == 0  # that step is answered: nothing to bring back
        assert prompt.query_one("#prompt-note", Input).value == "half a note"  # but still in view


async def test_an_answer_sent_drops_its_draft(app_factory, world) -> None:
    world.seed(waiting_detail("text"))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press(*"team storage")
        assert len(world.service.drafts) == 1
        await pilot.press("enter")
        await settle(pilot)
        assert len(_answers(world)) == 1 and len(world.service.drafts) == 0


async def test_offline_a_on_a_waiting_run_without_its_detail_says_unreachable(
    app_factory, world
) -> None:
    detail = waiting_detail("confirm")
    world.cache.apply_changes(
        ChangesPage(changes=[summary_of(detail)], deleted=[], next_cursor=5, has_more=False)
    )
    world.backend.down("detail")
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press("a")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert messages and all("backend is unreachable" in m for m in messages), messages
        assert not any("not waiting" in m for m in messages)


DISK_CHOICES = ["Logs not rotated", "Core dumps piling up", "Organic data growth"]


def _disk_triage() -> RunDetail:
    base = waiting_detail("choice")
    question = "/var on web-prod-01 is 93% full. What is filling it?"
    steps = [
        s.model_copy(
            update={
                "prompt": Prompt(
                    kind=PromptKind.ANSWER,
                    question=question,
                    choices=DISK_CHOICES,
                    requested_at=at(70),
                    prompt_id="p-disk",
                )
            }
        )
        if s.id == "s3"
        else s
        for s in base.steps
    ]
    return base.model_copy(update={"steps": steps})


@pytest.mark.parametrize("size", [(80, 24), (60, 24)], ids=["80", "60"])
async def test_every_choice_is_visible_before_it_can_be_chosen(
    app_factory, world, no_color, size
) -> None:
    world.seed(_disk_triage())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=size) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        text = screen_text(app)
        assert all(choice in text for choice in DISK_CHOICES), text
        await pilot.press("right", "right")
        await pilot.pause()
        assert "▸ Organic data growth" in screen_text(app)  # marked by a glyph, not only colour
        await pilot.press("enter")
        await settle(pilot)
        [sent] = _answers(world)
        assert sent.body["value"] == "Organic data growth" and sent.body["prompt_id"] == "p-disk"
        assert screen.query_one(PromptPanel).status_text == "Answer sent."


def _hostile_text_prompt(choices: list[str]) -> RunDetail:
    base = waiting_detail("text")
    steps = [
        s.model_copy(
            update={
                "prompt": Prompt(
                    kind=PromptKind.ANSWER,
                    question="Who?",
                    choices=choices,
                    allow_free_text=True,
                    requested_at=at(70),
                    prompt_id="p-h",
                )
            }
        )
        if s.id == "s3"
        else s
        for s in base.steps
    ]
    return base.model_copy(update={"steps": steps})


async def test_suggestions_are_inert_and_the_exact_choice_is_sent(app_factory, world) -> None:
    values = hostile_strings()
    choices = [f"c{index}:{value}" for index, value in enumerate(values)]
    world.seed(_hostile_text_prompt(choices))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        answer = screen.query_one("#prompt-answer", Input)
        for index in range(len(values)):
            await pilot.press(*f"c{index}:")
            await pilot.pause()
            lines = screen_text(app).splitlines()
            assert not FORBIDDEN.search("\n".join(lines)), (index, values[index])
            row = next(i for i, line in enumerate(lines) if f"c{index}:" in line)
            assert not lines[row + 1].startswith("second line"), values[
                index
            ]  # no line at column 0
            await pilot.press("ctrl+u")
        target = next(i for i, v in enumerate(values) if "\u202e" in v)
        await pilot.press(*f"c{target}:")
        await pilot.pause()
        await pilot.press("right")  # accept the (inert) suggestion
        await pilot.pause()
        assert not FORBIDDEN.search(answer.value)
        await pilot.press("enter")
        await settle(pilot)
        [sent] = _answers(world)
        assert sent.body["value"] == choices[target]  # the exact choice, not its visible form


async def test_choices_beyond_the_room_scroll_with_a_marker_and_the_cursor_stays_on_screen(
    app_factory, world
) -> None:
    many = [f"Choice number {index:02d}" for index in range(30)]
    base = _disk_triage()
    steps = [
        s.model_copy(update={"prompt": s.prompt.model_copy(update={"choices": many})})
        if s.id == "s3"
        else s
        for s in base.steps
    ]
    world.seed(base.model_copy(update={"steps": steps}))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_run(app, pilot, "run-waiting", focus_prompt=True)
        text = screen_text(app)
        assert "▸ Choice number 00" in text and re.search(r"‹ \d+ more ›", text)
        await pilot.press("left")  # wraps to the last one, far off the first lines
        await pilot.pause()
        text = screen_text(app)
        assert "▸ Choice number 29" in text and re.search(r"‹ \d+ more ›", text)
        await pilot.press("enter")
        await settle(pilot)
        assert [sent.body["value"] for sent in _answers(world)] == ["Choice number 29"]
