"""The inline prompt: every kind, enter/esc, sending once, and each way an answer can fail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual import events
from textual.widgets import Input

from runs_tui.cache import Cache
from runs_tui.widgets.prompt import ChoicePicker, PromptPanel
from runs_tui.widgets.step_list import StepList
from ui.conftest import settle
from ui.detail_fixtures import (
    ACTOR,
    FAST_RETRY,
    Scripted,
    open_run,
    screen_text,
    scripted,
    success_detail,
    waiting_detail,
)
from ui.fake_backend import Sent, refusal
from ui.ui_data import SendsSeen

ANSWER_PATH = "/runs/run-waiting/steps/s3/response"


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


async def _opened(app_factory, world: Scripted, kind: str):  # type: ignore[no-untyped-def]
    world.seed(waiting_detail(kind))
    return app_factory(world.service, live=False)


def _answers(world: Scripted) -> list[Sent]:
    """The answers that reached the backend (every attempt, retries included)."""
    return world.backend.requests("respond")


async def test_confirm_prompt_opens_focused_and_sends_the_chosen_value_with_a_note(
    app_factory, world
) -> None:
    app = await _opened(app_factory, world, "confirm")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        assert isinstance(app.focused, ChoicePicker) and app.focused.values == ("approve", "reject")
        text = screen_text(app)
        assert "Delete 12G of rotated logs under /var/log?" in text
        assert "▸ Approve" in text and "Reject" in text
        await pilot.press("right", "tab")
        await pilot.press(*"disk is fine")
        await pilot.press("enter")
        await settle(pilot)
        [sent] = _answers(world)
        assert (sent.method, sent.path) == ("POST", ANSWER_PATH)
        assert sent.body.pop("values", None) is None  # a one-field prompt sends `value` only
        assert sent.body == {
            "value": "reject",
            "note": "disk is fine",
            "answered_by": ACTOR,
            "prompt_id": "p-confirm",
        }  # bound to the prompt on screen
        assert len(sent.idempotency_key or "") == 32  # an idempotency key
        assert screen.query_one(PromptPanel).status_text == "Answer sent."


@pytest.mark.parametrize(
    ("kind", "values"),
    [("complete", ("done", "failed")), ("choice", ("root", "postgres", "docker"))],
)
async def test_closed_prompts_offer_exactly_their_values(app_factory, world, kind, values) -> None:
    app = await _opened(app_factory, world, kind)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-waiting", focus_prompt=True)
        assert app.focused.values == values
        await pilot.press("left")  # wraps to the last value
        await pilot.press("enter")
        await settle(pilot)
        assert [sent.body["value"] for sent in _answers(world)] == [values[-1]]


async def test_free_text_prompt_sends_typed_text_and_refuses_an_empty_answer(
    app_factory, world
) -> None:
    app = await _opened(app_factory, world, "text")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        assert isinstance(app.focused, Input) and app.focused.id == "prompt-answer"
        await pilot.press("enter")
        await pilot.pause()
        assert _answers(world) == []
        assert screen.query_one(PromptPanel).status_text == "Type an answer first."
        await pilot.press(*"team storage")
        await pilot.press("enter")
        await settle(pilot)
        assert [sent.body["value"] for sent in _answers(world)] == ["team storage"]


async def test_a_second_enter_while_sending_sends_nothing(app_factory, world) -> None:
    app = await _opened(app_factory, world, "confirm")
    gate = world.backend.hold("respond")
    sends = SendsSeen()
    async with app.run_test(size=(120, 40), message_hook=sends) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press("enter")
        await pilot.pause()
        assert prompt.sending and prompt.query_one(ChoicePicker).disabled
        assert prompt.status_text == "Sending…"
        await pilot.press("enter", "enter")
        assert prompt.submit() is False
        assert len(_answers(world)) == 1  # the held request is the only one
        gate.set()
        await settle(pilot)
        assert len(_answers(world)) == 1 and sends.count == 1


async def test_unreachable_keeps_the_answer_and_a_retry_reuses_the_key(app_factory, world) -> None:
    app = await _opened(app_factory, world, "text")
    world.backend.down("respond")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press(*"team storage")
        await pilot.press("enter")
        await settle(pilot)
        assert prompt.status_text.startswith("Not sent: the backend is unreachable")
        assert "Your answer is kept" in prompt.status_text
        answer = prompt.query_one("#prompt-answer", Input)
        assert answer.value == "team storage" and not answer.disabled and app.focused is answer
        await pilot.press("enter")
        await settle(pilot)
        sends = _answers(world)
        assert len(sends) == 2 * FAST_RETRY.attempts  # two presses, each retried by the client
        assert len({sent.idempotency_key for sent in sends}) == 1  # same answer, same key
        assert all(sent.body["value"] == "team storage" for sent in sends)
        world.backend.up("respond")
        await pilot.press("tab", *"urgent", "enter")  # a different answer: a new key
        await settle(pilot)
        last = _answers(world)[-1]
        assert len(_answers(world)) == len(sends) + 1
        assert last.body["note"] == "urgent"
        assert last.idempotency_key != sends[0].idempotency_key
        assert prompt.status_text == "Answer sent."


async def test_invalid_shows_the_reason_and_keeps_the_text_for_correction(
    app_factory, world
) -> None:
    app = await _opened(app_factory, world, "text")
    world.backend.script("respond", refusal(422, "invalid", "value must not contain spaces"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press(*"team storage", "enter")
        await settle(pilot)
        assert prompt.status_text == (
            "The backend refused this answer: value must not contain spaces "
            "— correct it and press enter."
        )
        assert prompt.query_one("#prompt-answer", Input).value == "team storage"
        assert "value must not contain spaces" in screen_text(app)


async def test_conflict_says_who_answered_and_when_and_refreshes(app_factory, world) -> None:
    app = await _opened(app_factory, world, "confirm")
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
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        world.backend.put(success_detail(run_id="run-waiting"))  # bob answered meanwhile
        await pilot.press("enter")
        await settle(pilot)
        expected = (
            "Already answered or no longer waiting — answered by bob at 14:28:10. "
            "The view has been refreshed."
        )
        assert screen.notice_text == expected
        assert expected in screen_text(app)
        # fetched on opening, by the service settling after the 409, and by the screen's refresh
        assert len(world.backend.requests("detail")) == 3
        assert len(_answers(world)) == 1  # a 409 is not retried
        prompt = screen.query_one(PromptPanel)
        assert not prompt.armed and prompt.has_class("-disarmed")  # no longer waiting
        assert prompt.disarmed_text.startswith(
            "alice answered ‘approve’ at 14:24:30 — the run is now"
        )
        assert isinstance(app.focused, StepList)


async def test_escape_leaves_the_prompt_keeping_what_was_typed(app_factory, world) -> None:
    app = await _opened(app_factory, world, "text")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press(*"half an answer", "escape")
        await pilot.pause()
        assert isinstance(app.focused, StepList) and app.screen is screen
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.focused, Input) and app.focused.value == "half an answer"
        assert _answers(world) == []


async def test_a_refresh_of_the_same_waiting_step_keeps_the_typed_text(app_factory, world) -> None:
    from runs_tui.events import CacheChanged
    from runs_tui.messages import RunsChanged

    app = await _opened(app_factory, world, "text")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press(*"draft")
        screen.post_message(RunsChanged(CacheChanged(frozenset({"run-waiting"}))))
        await settle(pilot)
        assert screen.query_one("#prompt-answer", Input).value == "draft"


async def test_answer_key_says_so_when_nothing_waits(app_factory, world) -> None:
    world.seed(success_detail())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success", focus_prompt=True)
        assert screen.query_one(PromptPanel).has_class("-hidden")
        await pilot.press("a")
        await pilot.pause()
        assert any("not waiting for input" in n.message for n in app._notifications)


async def test_keys_typed_ahead_of_tab_land_in_the_note_and_never_move_the_choice(
    app_factory, world
) -> None:
    """A terminal delivers a fast typist's keys (or an SSH packet's) in one burst. Tab then
    "hello": every letter belongs to the note. Were the focus moved only when the picker got
    round to the Tab, the letters would reach the picker first, and its h / l would change the
    answer the operator chose (here from Reject to Approve) without them seeing it happen."""
    app = await _opened(app_factory, world, "confirm")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press("right")
        picker = screen.query_one(ChoicePicker)
        assert picker.value == "reject"
        for key in ("tab", *"hello"):  # queued at once, as a terminal's read delivers them
            app.post_message(events.Key(key, key if len(key) == 1 else "\t"))
        await settle(pilot)
        assert screen.query_one("#prompt-note", Input).value == "hello"
        assert picker.value == "reject"
