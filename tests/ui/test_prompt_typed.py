"""The typed prompt (issue 13): one editor per field, checked at the keyboard with the backend's
rule, the deadline, "you may not answer", the context, and the backend's 422 / 403 / 409.

Against the real service stack over the scripted backend (`detail_fixtures.scripted`), with the
frozen clock `NOW`: the typed prompt expires 4m 10s after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from runs_tui.cache import Cache
from runs_tui.models.responders import Identity
from runs_tui.widgets.choice_picker import ChoicePicker, ChoicesPicker
from runs_tui.widgets.prompt import PromptPanel
from runs_tui.widgets.prompt_fields import FieldEditor
from runs_tui.widgets.step_list import StepList
from ui.conftest import settle
from ui.detail_fixtures import (
    TYPED_DEADLINE,
    Scripted,
    answered_elsewhere,
    open_run,
    screen_text,
    scripted,
    waiting_detail,
)
from ui.fake_backend import Sent, refusal

SCREEN = (120, 40)


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


def _answers(world: Scripted) -> list[Sent]:
    return world.backend.requests("respond")


def _editor(prompt: PromptPanel, name: str) -> FieldEditor:
    return next(editor for editor in prompt.editors if editor.field.name == name)


async def _typed(app_factory, world: Scripted, pilot_size=SCREEN):  # type: ignore[no-untyped-def]
    world.seed(waiting_detail("typed"))
    return app_factory(world.service, live=False)


@asynccontextmanager
async def typed_prompt(app_factory, world: Scripted) -> AsyncIterator[tuple[Any, Any, Any, Any]]:  # type: ignore[no-untyped-def]
    """(app, pilot, detail screen, prompt) with the typed run open and its prompt focused."""
    app = await _typed(app_factory, world)
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        yield app, pilot, screen, screen.query_one(PromptPanel)


async def test_one_editor_per_field_in_order_with_labels_and_defaults(app_factory, world) -> None:
    async with typed_prompt(app_factory, world) as (app, pilot, screen, prompt):
        names = [editor.field.name for editor in prompt.editors]
        assert names == ["ticket", "severity", "replicas", "services", "rollback"]
        assert [type(editor.input).__name__ for editor in prompt.editors] == [
            "Input",
            "ChoicePicker",
            "Input",
            "ChoicesPicker",
            "ChoicePicker",
        ]
        assert _editor(prompt, "ticket").input.has_focus  # the first field takes the answer
        assert [editor.raw() for editor in prompt.editors] == ["", "sev2", "3", [], "no"]
        assert _editor(prompt, "replicas").input.type == "integer"  # type: ignore[attr-defined]
        text = screen_text(app)
        for label in ("Ticket *", "Severity", "Replicas", "Services", "Roll back first"):
            assert label in text
        assert "▸ sev2" in text and "[ ] api" in text  # choices marked by a glyph, not colour
        assert "Only once / is below 80%." in text  # the description, literally
        # enter on a field moves to the next one; tab too
        await pilot.press(*"INC-7", "enter")
        assert _editor(prompt, "severity").input.has_focus
        await pilot.press("tab")
        assert _editor(prompt, "replicas").input.has_focus
        await pilot.press("shift+tab")
        assert _editor(prompt, "severity").input.has_focus
        assert _answers(world) == []


async def test_a_refused_field_says_why_beside_it_keeps_the_draft_and_sends_nothing(
    app_factory, world
) -> None:
    async with typed_prompt(app_factory, world) as (app, pilot, screen, prompt):
        await pilot.press(*"ticket 7")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _answers(world) == []
        ticket = _editor(prompt, "ticket")
        assert ticket.error == r"Ticket: must match the pattern INC-\d+"
        assert ticket.has_class("-invalid") and ticket.input.has_focus
        assert r"Ticket: must match the pattern INC-\d+" in screen_text(app)
        assert prompt.status_text.startswith(r"Not sent: Ticket: must match the pattern INC-\d+")
        assert ticket.raw() == "ticket 7"  # the draft is kept
        # an out-of-range number is refused the same way (and the ticket is said too)
        replicas = _editor(prompt, "replicas")
        replicas.input.value = "12"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert replicas.error == "Replicas: at most 10"
        assert "(and 1 more)" in prompt.status_text
        assert ticket.input.has_focus  # the first refused field, in order
        assert _answers(world) == []


async def test_a_checked_answer_is_sent_with_its_values_and_its_one_line(
    app_factory, world
) -> None:
    async with typed_prompt(app_factory, world) as (app, pilot, screen, prompt):
        await pilot.press(*"INC-42", "tab", "right", "tab")  # severity: sev3
        await pilot.press("backspace", "5", "tab", "right", "space", "tab", "left")  # worker; yes
        await pilot.press("tab", *"scaled by hand", "enter")  # the note is last: enter sends
        await settle(pilot)
        [sent] = _answers(world)
        values = {
            "ticket": "INC-42",
            "severity": "sev3",
            "replicas": 5,
            "services": ["worker"],
            "rollback": True,
        }
        assert sent.body["values"] == values
        assert sent.body["value"] == (
            "ticket=INC-42, severity=sev3, replicas=5, services=worker, rollback=yes"
        )
        assert sent.body["note"] == "scaled by hand"
        assert sent.body["prompt_id"] == "p-typed"
        assert prompt.status_text == "Answer sent."


async def test_enter_on_the_last_field_sends(app_factory, world) -> None:
    async with typed_prompt(app_factory, world) as (app, pilot, screen, prompt):
        await pilot.press(*"INC-1")
        _editor(prompt, "rollback").focus_input()
        await pilot.press("enter")  # the picker's enter: the last field
        await settle(pilot)
        [sent] = _answers(world)
        assert sent.body["values"]["ticket"] == "INC-1"
        assert sent.body["values"]["rollback"] is False  # the default, pre-picked
        assert isinstance(app.focused, StepList)


async def test_a_422_naming_a_field_is_shown_beside_it(app_factory, world) -> None:
    app = await _typed(app_factory, world)
    world.backend.script(
        "respond",
        refusal(
            422,
            "invalid",
            "ticket: no such incident",
            field="ticket",
            reason="no such incident",
        ),
    )
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press(*"INC-999", "ctrl+s")
        await settle(pilot)
        assert len(_answers(world)) == 1
        ticket = _editor(prompt, "ticket")
        assert ticket.error == "Ticket: no such incident"
        assert ticket.input.has_focus and ticket.raw() == "INC-999"
        assert not prompt.sending and prompt.armed


async def test_the_draft_of_every_field_is_kept_when_leaving_the_run(app_factory, world) -> None:
    app = await _typed(app_factory, world)
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        await pilot.press(*"INC-5", "tab", "left", "tab", "tab", "space")
        await pilot.press("escape", "escape")  # leave the prompt, then the run
        await settle(pilot)
        assert app.screen is not screen
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        assert [editor.raw() for editor in prompt.editors] == [
            "INC-5",
            "sev1",
            "3",
            ["api"],
            "no",
        ]
        assert _answers(world) == []


async def test_the_deadline_ticks_in_words_and_says_what_happens_then(app_factory, world) -> None:
    async with typed_prompt(app_factory, world) as (app, pilot, screen, prompt):
        assert prompt.deadline_text == ("Expires in 4m 10s (at 14:34:10) · then: the step fails")
        assert "Expires in 4m 10s" in screen_text(app)
        clock = {"now": TYPED_DEADLINE - timedelta(seconds=42)}
        prompt._now = lambda: clock["now"]
        await settle(pilot, until=lambda: "Under a minute" in prompt.deadline_text)
        assert prompt.deadline_text.startswith("⚠ Under a minute left: expires in 42s")
        clock["now"] = TYPED_DEADLINE + timedelta(seconds=1)
        await settle(pilot, until=lambda: prompt.deadline_text.startswith("Expired"))
        await pilot.press(*"INC-1", "ctrl+s")
        await settle(pilot)
        assert _answers(world) == []  # past the deadline nothing is sent
        assert prompt.status_text.startswith("Not sent: Expired at 14:34:10")


async def test_a_409_after_the_deadline_says_it_expired(app_factory, world) -> None:
    app = await _typed(app_factory, world)
    world.backend.script(
        "respond", refusal(409, "conflict", "step is not waiting for input", status="failed")
    )
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press(*"INC-1")
        prompt.submit()  # sent while the clock still says 4m 10s left ...
        prompt._now = lambda: TYPED_DEADLINE + timedelta(seconds=1)  # ... refused after it
        await settle(pilot)
        assert screen.notice_text.startswith("Not answered: Expired at 14:34:10")


async def test_an_operator_the_rule_refuses_reads_why_before_typing(app_factory, world) -> None:
    world.service.identity = Identity("operator", frozenset({"sre"}))
    world.seed(waiting_detail("forbidden"))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        words = "You may not answer this step: only group:dba, carol may answer this step"
        assert prompt.refusal_text == words and not prompt.armed
        assert words in screen_text(app)
        assert prompt.query_one(ChoicePicker).disabled
        assert isinstance(app.focused, StepList)
        await pilot.press("a")
        await settle(pilot)
        assert any(words in n.message for n in app._notifications)
        assert prompt.submit() is False and _answers(world) == []


async def test_the_four_eyes_rule_refuses_the_runs_starter(app_factory, world) -> None:
    world.service.identity = Identity("pagerduty")  # the fixtures' runs are started by it
    detail = waiting_detail("confirm")
    detail.steps[2].prompt = detail.steps[2].prompt.model_copy(update={"allow_self": False})
    world.seed(detail)
    app = app_factory(world.service, live=False)
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        assert "four-eyes rule" in prompt.refusal_text and not prompt.armed


async def test_a_403_is_shown_where_you_may_not_answer_goes(app_factory, world) -> None:
    world.seed(waiting_detail("confirm"))
    world.backend.script(
        "respond", refusal(403, "forbidden", "only group:dba may answer this step")
    )
    app = app_factory(world.service, live=False)
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await pilot.press("enter")
        await settle(pilot)
        assert len(_answers(world)) == 1  # a 403 is not retried
        words = "You may not answer this step: only group:dba may answer this step"
        assert prompt.refusal_text == words and not prompt.armed
        assert words in screen_text(app)
        assert screen.notice_text == "Not answered: only group:dba may answer this step"
        assert prompt.submit() is False and len(_answers(world)) == 1


async def test_the_context_shows_the_named_steps_output_and_the_variables(
    app_factory, world
) -> None:
    async with typed_prompt(app_factory, world) as (app, pilot, screen, prompt):
        assert prompt.has_class("-context")
        assert "Context: output of 1 step and 3 variables" in screen_text(app)
        output = prompt.query_one("#prompt-context-output")
        assert "── Check disk usage (Succeeded) ──" in output.text  # type: ignore[attr-defined]
        assert "/dev/sda1        50G   48G  2.0G  96% /" in output.text  # type: ignore[attr-defined]


async def test_a_typed_prompt_answered_elsewhere_is_disarmed_with_its_draft(
    app_factory, world
) -> None:
    from runs_tui.events import CacheChanged
    from runs_tui.messages import RunsChanged

    async with typed_prompt(app_factory, world) as (app, pilot, screen, prompt):
        await pilot.press(*"INC-3")
        world.backend.put(answered_elsewhere(waiting_detail("typed"), value="ticket=INC-2"))
        screen.post_message(RunsChanged(CacheChanged(frozenset({"run-waiting"}))))
        await settle(pilot, until=lambda: prompt.has_class("-disarmed"))
        assert not prompt.armed
        assert prompt.disarmed_text.startswith("cli-oncall answered ‘ticket=INC-2’")
        assert _editor(prompt, "ticket").raw() == "INC-3"
        assert _editor(prompt, "ticket").input.disabled
        assert prompt.submit() is False and _answers(world) == []


async def test_multiline_and_number_fields(app_factory, world) -> None:
    from runs_tui.models.prompt_fields import FieldType, PromptField

    detail = waiting_detail("typed")
    fields = [
        PromptField(name="why", label="Why", type=FieldType.MULTILINE, max_length=50),
        PromptField(name="ratio", label="Ratio", type=FieldType.NUMBER, maximum=1),
    ]
    detail.steps[2].prompt = detail.steps[2].prompt.model_copy(update={"fields": fields})
    world.seed(detail)
    app = app_factory(world.service, live=False)
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        assert type(_editor(prompt, "why").input).__name__ == "TextArea"
        await pilot.press(*"disk", "enter", *"full")  # enter in a text area is a new line
        await pilot.press("tab", *"0.5", "enter")
        await settle(pilot)
        [sent] = _answers(world)
        assert sent.body["values"] == {"why": "disk\nfull", "ratio": 0.5}


def test_a_choices_picker_ticks_with_a_glyph() -> None:
    picker = ChoicesPicker(("api", "worker"), ("worker",))
    assert picker.selected == ["worker"]
    assert picker._cells(0, 40) == "▸ [ ] api" and picker._cells(1, 40) == "  [x] worker"


async def test_a_prompt_without_context_keeps_it_hidden_and_out_of_the_tab_order(
    app_factory, world
) -> None:
    """The e2e run found it: tab from the choice landed on the hidden context's title."""
    from textual.widgets import Collapsible

    world.seed(waiting_detail("complete"))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        assert not prompt.has_class("-context")
        assert prompt.query_one(Collapsible).disabled
        assert all(prompt.query_one(Collapsible) not in w.ancestors for w in screen.focus_chain)


async def test_labels_choices_and_descriptions_from_the_backend_render_literally(
    app_factory, world
) -> None:
    from runs_tui.models.prompt_fields import FieldType, PromptField

    hostile = "[bold red]boom[/] \x1b[31mred\x1b[0m"
    detail = waiting_detail("typed")
    fields = [
        PromptField(name="a", label=hostile, type=FieldType.TEXT, pattern=r"[x"),
        PromptField(name="b", label="B", type=FieldType.CHOICE, choices=[hostile, "plain"]),
    ]
    prompt = detail.steps[2].prompt.model_copy(
        update={"fields": fields, "description": hostile, "question": hostile}
    )
    detail.steps[2].prompt = prompt
    world.seed(detail)
    app = app_factory(world.service, live=False)
    async with app.run_test(size=SCREEN) as pilot:
        screen = await open_run(app, pilot, "run-waiting", focus_prompt=True)
        text = screen_text(app)
        assert "[bold red]boom[/]" in text  # markup shown as text, not applied
        assert "\x1b" not in text and "␛[31mred" in text  # escapes made visible, never sent
        panel = screen.query_one(PromptPanel)
        await pilot.press(*"x", "ctrl+s")  # a pattern that is not a valid expression
        await settle(pilot)
        assert _answers(world) == []  # refused at the keyboard, in words, not a crash
        assert "A: the prompt's pattern is not a valid expression" not in text
        assert "the prompt's pattern is not a valid expression" in panel.editors[0].error


async def test_after_a_refusal_typing_continues_the_field_and_space_ticks_a_choice(
    app_factory, world
) -> None:
    """The operator's next keys after "Not sent" go where they look: the refused field keeps its
    text and the cursor at its end (what they type is added, nothing is replaced), and a tab
    later, space ticks the choice under the cursor."""
    async with typed_prompt(app_factory, world) as (app, pilot, screen, prompt):
        await pilot.press(*"INC", "ctrl+s")
        await settle(pilot)
        ticket = _editor(prompt, "ticket")
        assert ticket.input.has_focus and ticket.error
        await pilot.press(*"-42")
        assert ticket.raw() == "INC-42"
        await pilot.press("tab", "tab", "tab", "space")
        services = _editor(prompt, "services")
        assert services.input.has_focus
        assert services.raw() == ["api"]
        assert _answers(world) == []
