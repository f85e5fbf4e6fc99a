"""Hostile text from the backend changes nothing: not the screen, not the title, not the clipboard.

Every string of tests/data/hostile-strings.json goes into every kind of field the detail and
timeline screens show (names, steps, prompts, tool output, variables, errors), and the generated
ones (1 MiB on one line, 100k lines) into the tool output, which must stay responsive.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest

from runs_tui.cache import Cache
from runs_tui.models import (
    Event,
    EventType,
    Prompt,
    PromptKind,
    RunStatus,
    StepPhase,
    StepStatus,
    Trigger,
    TriggerKind,
    Variable,
    VariableDirection,
)
from runs_tui.widgets.prompt import PromptPanel
from runs_tui.widgets.step_list import StepList
from runs_tui.widgets.step_panel import StepPanel
from runs_tui.widgets.tool_output import ToolOutput
from ui.conftest import settle
from ui.detail_fixtures import (
    Scripted,
    at,
    hostile_strings,
    open_run,
    screen_text,
    scripted,
    step,
    tool,
    waiting_detail,
)

# What must never reach the terminal from data: C0/C1 controls (ESC, CSI, BEL, NUL...), bidi
# overrides and isolates, zero-width characters.
FORBIDDEN = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2060\ufeff]"
)


def hostile_run(status: RunStatus):  # type: ignore[no-untyped-def]
    values = hostile_strings()
    steps = []
    for index, value in enumerate(values):
        last = index == len(values) - 1
        state = StepStatus.SUCCEEDED
        extra = {}
        if last and status is RunStatus.WAITING_FOR_USER_INPUT_TRIAGE:
            state = StepStatus.WAITING_FOR_INPUT
            extra["prompt"] = Prompt(
                kind=PromptKind.ANSWER,
                question=value + " " + values[0],
                choices=values[:6],
                requested_at=at(500),
            )
        elif last:
            state = StepStatus.FAILED
            extra["error"] = value + " connection refused " + values[1]
        steps.append(
            step(
                f"h{index}",
                index + 1,
                StepPhase.TRIAGE,
                value,
                state,
                index * 10,
                None if state is StepStatus.WAITING_FOR_INPUT else index * 10 + 5,
                description=value,
                tool=tool(
                    value,
                    value + "\n" + "\n".join(values),
                    outpost=value,
                    error=value if state is StepStatus.FAILED else None,
                    **{value[:20] or "k": value},
                ),
                **extra,
            )
        )
    base = waiting_detail(run_id="run-hostile")
    return base.model_copy(
        update={
            "name": values[12],
            "status": status,
            "steps": steps,
            "trigger": Trigger(kind=TriggerKind.CHAT, actor=values[1]),
            "outcome": values[2],
            "root_cause": values[3],
            "summary": values[4],
            "error": values[5],
            "current_step_id": steps[-1].id if status.is_waiting else None,
            "finished_at": None if status.is_waiting else at(900),
            "variables": [
                Variable(name=v[:30] or "v", value=v, direction=VariableDirection.OUTPUT)
                for v in values
            ],
            "events": [
                Event(
                    seq=i + 1, at=at(i), type=EventType.VARIABLE_SET, data={"name": v, "value": v}
                )
                for i, v in enumerate(values)
            ],
        }
    )


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


def _assert_inert(app, text: str) -> None:  # type: ignore[no-untyped-def]
    assert not FORBIDDEN.search(text), repr(FORBIDDEN.search(text))
    assert app.title == "runs-tui" and app.sub_title == ""
    assert app.screen.title in (None, "", "runs-tui") and not app.screen.sub_title
    assert app.clipboard == ""


@pytest.mark.parametrize(
    "status", [RunStatus.WAITING_FOR_USER_INPUT_TRIAGE, RunStatus.COMPLETED_FAILURE]
)
async def test_hostile_text_renders_literally_everywhere(
    app_factory, world: Scripted, status
) -> None:
    world.seed(hostile_run(status))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-hostile", focus_prompt=status.is_waiting)
        text = screen_text(app)
        _assert_inert(app, text)
        assert "[bold]not bold[/]" in text  # the run name, shown as typed
        if status.is_waiting:
            assert not screen.query_one(PromptPanel).has_class("-hidden")
        else:
            assert "Hint likely network issue" in text
        screen.query_one(StepList).focus()
        await pilot.press("home")
        for _ in range(len(hostile_strings())):  # every step's facts and output
            await pilot.press("j")
            await pilot.pause()
            _assert_inert(app, screen_text(app))
        await pilot.press("t")  # the timeline: bars, breakdown, events with hostile data
        await settle(pilot)
        _assert_inert(app, screen_text(app))
        assert "␛" in screen_text(app)  # the escapes are visible, as pictures
        await pilot.press("escape", "y")  # an explicit copy takes the inert text, never escapes
        assert app.clipboard and not FORBIDDEN.search(app.clipboard)


@pytest.mark.parametrize("which", ["very long line", "many lines"])
async def test_huge_tool_output_stays_responsive(app_factory, world: Scripted, which: str) -> None:
    huge = dict(zip(["very long line", "many lines"], hostile_strings(generated=True)[-2:]))[which]
    detail = waiting_detail(run_id="run-huge")
    steps = list(detail.steps)
    steps[2] = steps[2].model_copy(update={"tool": tool("cat", huge, exit_status=None)})
    world.seed(detail.model_copy(update={"steps": steps}))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_run(app, pilot, "run-huge")
        output = screen.query_one(ToolOutput)
        width = output.scrollable_content_region.width
        if which == "very long line":
            assert output.line_count == 1
            assert output.virtual_size.height == math.ceil(len(huge) / width)
        else:
            assert output.line_count == 100_000
        assert output.is_vertical_scroll_end
        output.focus()
        await pilot.press("home", "pagedown", "k")
        await pilot.pause()
        assert output.scroll_y > 0 and not output.is_vertical_scroll_end
        screen.query_one(StepList).focus()
        await pilot.press("k", "j")  # another step and back: the output is rebuilt
        await pilot.pause()
        assert screen.query_one(StepPanel).step_id == "s3"
        _assert_inert(app, screen_text(app))
        await pilot.press("y")  # copied whole, with a warning that terminals may drop it
        assert app.clipboard == output.text
        assert any("drop clipboard writes" in n.message for n in app._notifications)
