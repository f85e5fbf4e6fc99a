"""The inline prompt: every kind, enter/esc, sending once, and each way an answer can fail."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input

from ui.detail_fixtures import (
    ScriptedService, open_run, screen_text, settle, store, success_detail, waiting_detail,
)

from runs_tui.cache import Cache
from runs_tui.errors import Conflict, Invalid, Unreachable
from runs_tui.widgets.prompt import ChoicePicker, PromptPanel
from runs_tui.widgets.step_list import StepList


@pytest.fixture
def scripted(empty_cache: Cache) -> ScriptedService:
    return ScriptedService(empty_cache)


async def _opened(app_factory, scripted, kind: str, pilot_size=(120, 40)):  # type: ignore[no-untyped-def]
    store(scripted.cache, waiting_detail(kind))
    return app_factory(scripted, live=False)


async def test_confirm_prompt_opens_focused_and_sends_the_chosen_value_with_a_note(app_factory, scripted) -> None:
    app = await _opened(app_factory, scripted, "confirm")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        assert isinstance(app.focused, ChoicePicker) and app.focused.values == ("approve", "reject")
        text = screen_text(app)
        assert "Delete 12G of rotated logs under /var/log?" in text
        assert "▸ Approve" in text and "Reject" in text
        await pilot.press("right", "tab")
        await pilot.press(*"disk is fine")
        await pilot.press("enter")
        await settle(app, pilot)
        [call] = scripted.called("respond")
        assert call[1:5] == ("run-waiting", "s3", "reject", "disk is fine")
        assert len(call[5]) == 32  # an idempotency key
        assert screen.query_one(PromptPanel).status_text == "Answer sent."


@pytest.mark.parametrize(("kind", "values"), [("complete", ("done", "failed")),
                                              ("choice", ("root", "postgres", "docker"))])
async def test_closed_prompts_offer_exactly_their_values(app_factory, scripted, kind, values) -> None:
    app = await _opened(app_factory, scripted, kind)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-waiting", focus_prompt=True)
        assert app.focused.values == values
        await pilot.press("left")  # wraps to the last value
        await pilot.press("enter")
        await settle(app, pilot)
        assert scripted.called("respond")[0][3] == values[-1]


async def test_free_text_prompt_sends_typed_text_and_refuses_an_empty_answer(app_factory, scripted) -> None:
    app = await _opened(app_factory, scripted, "text")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        assert isinstance(app.focused, Input) and app.focused.id == "prompt-answer"
        await pilot.press("enter")
        await pilot.pause()
        assert scripted.called("respond") == []
        assert screen.query_one(PromptPanel).status_text == "Type an answer first."
        await pilot.press(*"team storage")
        await pilot.press("enter")
        await settle(app, pilot)
        assert scripted.called("respond")[0][3] == "team storage"


async def test_a_second_enter_while_sending_sends_nothing(app_factory, scripted) -> None:
    app = await _opened(app_factory, scripted, "confirm")
    scripted.gate = asyncio.Event()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press("enter")
        await pilot.pause()
        assert prompt.sending and prompt.query_one(ChoicePicker).disabled
        assert prompt.status_text == "Sending…"
        await pilot.press("enter", "enter")
        assert prompt.submit() is False
        scripted.gate.set()
        await settle(app, pilot)
        assert len(scripted.called("respond")) == 1 and prompt.sends == 1


async def test_unreachable_keeps_the_answer_and_a_retry_reuses_the_key(app_factory, scripted) -> None:
    app = await _opened(app_factory, scripted, "text")
    scripted.outcomes["respond"] = [Unreachable("connection refused"), Unreachable("connection refused")]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press(*"team storage")
        await pilot.press("enter")
        await settle(app, pilot)
        assert prompt.status_text.startswith("Not sent: the backend is unreachable")
        assert "Your answer is kept" in prompt.status_text
        answer = prompt.query_one("#prompt-answer", Input)
        assert answer.value == "team storage" and not answer.disabled and app.focused is answer
        await pilot.press("enter")
        await settle(app, pilot)
        first, second = scripted.called("respond")
        assert first[5] == second[5]  # same answer, same idempotency key
        await pilot.press("tab", *"urgent", "enter")  # a different answer: a new key
        await settle(app, pilot)
        assert scripted.called("respond")[2][4] == "urgent"
        assert scripted.called("respond")[2][5] != first[5]


async def test_invalid_shows_the_reason_and_keeps_the_text_for_correction(app_factory, scripted) -> None:
    app = await _opened(app_factory, scripted, "text")
    scripted.outcomes["respond"] = [Invalid("value must not contain spaces")]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press(*"team storage", "enter")
        await settle(app, pilot)
        assert prompt.status_text == ("The backend refused this answer: value must not contain spaces "
                                      "— correct it and press enter.")
        assert prompt.query_one("#prompt-answer", Input).value == "team storage"
        assert "value must not contain spaces" in screen_text(app)


async def test_conflict_says_who_answered_and_when_and_refreshes(app_factory, scripted) -> None:
    app = await _opened(app_factory, scripted, "confirm")
    answered = success_detail(run_id="run-waiting")
    scripted.outcomes["respond"] = [Conflict("step is not waiting for input", current={
        "status": "executing_remediation", "answered_by": "bob", "answered_at": "2025-11-25T14:28:10+00:00"})]
    scripted.outcomes["refresh"] = [None, answered]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press("enter")
        await settle(app, pilot)
        expected = ("Already answered or no longer waiting — answered by bob at 14:28:10. "
                    "The view has been refreshed.")
        assert screen.notice_text == expected
        assert expected in screen_text(app)
        assert len(scripted.called("refresh")) == 2
        assert screen.query_one(PromptPanel).has_class("-hidden")  # no longer waiting


async def test_escape_leaves_the_prompt_keeping_what_was_typed(app_factory, scripted) -> None:
    app = await _opened(app_factory, scripted, "text")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press(*"half an answer", "escape")
        await pilot.pause()
        assert isinstance(app.focused, StepList) and app.screen is screen
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.focused, Input) and app.focused.value == "half an answer"
        assert scripted.called("respond") == []


async def test_a_refresh_of_the_same_waiting_step_keeps_the_typed_text(app_factory, scripted) -> None:
    from runs_tui.messages import RunsChanged

    app = await _opened(app_factory, scripted, "text")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press(*"draft")
        screen.post_message(RunsChanged(frozenset({"run-waiting"})))
        await settle(app, pilot)
        assert screen.query_one("#prompt-answer", Input).value == "draft"


async def test_answer_key_says_so_when_nothing_waits(app_factory, scripted) -> None:
    store(scripted.cache, success_detail())
    app = app_factory(scripted, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success", focus_prompt=True)
        assert screen.query_one(PromptPanel).has_class("-hidden")
        await pilot.press("a")
        await pilot.pause()
        assert any("not waiting for input" in n.message for n in app._notifications)
