"""One step up close: its tool, outpost, input, error, answer and raw output.

Beside the step list in both views: live, it shows the current tool's execution with output
streaming in; afterwards, whichever step the operator selects. `o` expands the output to the
whole panel (and back), so long outputs get the room to be read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from runs_tui.expiry_words import THEN_WORDS, expired_words, on_expiry_of
from runs_tui.formatting import clock_time, clock_words
from runs_tui.models.domain import AuditAction, Event, EventType, Step, StepStatus
from runs_tui.sanitize import inert, truncate
from runs_tui.widgets.quiet_update import update_static
from runs_tui.widgets.step_list import PHASE_TITLES, STEP_GLYPHS, STEP_STYLES, step_time
from runs_tui.widgets.tool_output import ToolOutput

INPUT_CELLS = 160


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return truncate(inert(text), INPUT_CELLS)


def step_facts(step: Step, now: datetime, events: Sequence[Event] = ()) -> Text:
    """The step's facts as lines of inert text (no markup anywhere). `events`: the run's, for
    what only they record (the prompt's expiry, the answer's audit)."""
    lines: list[Text] = []
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(f"{STEP_GLYPHS[step.status]} {step.status.label}", style=STEP_STYLES[step.status])
    head.append(f"  ·  {PHASE_TITLES[step.phase]} step {step.position}", style="dim")
    head.append(f"  ·  {step.automation.value.replace('_', '-')}", style="dim")
    spent = step_time(step, now)
    if spent:
        head.append(f"  ·  {spent}", style="dim")
    lines.append(head)
    title = Text(truncate(inert(step.title), 200), style="bold", no_wrap=True, overflow="ellipsis")
    lines.append(title)
    if step.description:
        lines.append(Text(truncate(inert(step.description), 400), style="italic"))
    tool = step.tool
    if tool is not None:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("Tool ", style="dim")
        line.append(truncate(inert(tool.tool), 60), style="bold")
        line.append(f" ({truncate(inert(tool.tool_type), 20)})  ", style="dim")
        line.append("outpost ", style="dim")
        line.append(truncate(inert(tool.outpost), 60))
        if tool.exit_status is not None:
            line.append("  exit ", style="dim")
            line.append(str(tool.exit_status), style="bold red" if tool.exit_status else "green")
        lines.append(line)
        if tool.input:
            inputs = Text(no_wrap=False)
            inputs.append("Input ", style="dim")
            for index, (key, value) in enumerate(tool.input.items()):
                inputs.append(("  " if index else "") + inert(key) + "=", style="bold")
                inputs.append(_value(value))
            lines.append(inputs)
    error = step.error or (tool.error if tool else None)
    if error:
        line = Text()
        line.append("Error ", style="bold red")
        line.append(truncate(inert(error), 600))
        lines.append(line)
    own = [event for event in events if event.step_id == step.id]
    expiry = _deadline_line(step, own, now)
    if expiry is not None:
        lines.append(expiry)
    if step.response is not None:
        lines.append(_answer_line(step, own, now))
    return Text("\n").join(lines)


def _deadline_line(step: Step, events: Sequence[Event], now: datetime) -> Text | None:
    """An expiry, in its own words and style ("Expired — no answer before 14:05; the step
    failed"), never as an answer; while the step waits, its deadline and what comes then."""
    expired = [event for event in events if event.type is EventType.INPUT_EXPIRED]
    if expired:
        last = expired[-1]
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("✕ ", style="bold red")
        line.append(expired_words(last.data, last.at, now), style="bold")
        return line
    prompt = step.prompt
    if prompt is None or prompt.expires_at is None or step.response is not None:
        return None
    if step.status is not StepStatus.WAITING_FOR_INPUT:
        return None
    then = THEN_WORDS.get(on_expiry_of(prompt.on_expiry))  # type: ignore[arg-type]
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("Deadline ", style="dim")
    line.append(clock_words(prompt.expires_at, now, seconds=True))
    if then:
        line.append(f" · {then}", style="dim")
    return line


def _answer_line(step: Step, events: Sequence[Event], now: datetime) -> Text:
    """The answer with who gave it and through which client (the backend's audit of it)."""
    response = step.response
    assert response is not None
    answer = Text(no_wrap=True, overflow="ellipsis")
    if response.expired:
        answer.append("Defaults taken at the deadline ", style="dim")
    else:
        answer.append("Answer ", style="dim")
    answer.append(f"“{truncate(inert(response.value), 80)}”", style="bold")
    audit = next(
        (
            event.data
            for event in reversed(events)
            if event.type is EventType.AUDIT and event.data.get("action") == AuditAction.ANSWER
        ),
        {},
    )
    who = response.answered_by or audit.get("actor") or ""
    client = response.client or audit.get("client") or ""
    if who:
        answer.append(" by " + truncate(inert(who), 40))
    if client and not response.expired:
        answer.append(" via " + truncate(inert(client), 20))
    if response.answered_at:
        answer.append(" at " + clock_time(response.answered_at, now))
    if response.note:
        answer.append(" — " + truncate(inert(response.note), 200), style="italic")
    return answer


class StepPanel(Vertical):
    """Facts of one step above its raw output."""

    DEFAULT_CSS = """
    StepPanel { height: 1fr; }
    StepPanel #step-facts {
        height: auto; max-height: 7; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    StepPanel #output-title { height: 1; padding: 0 1; color: $text-muted; }
    StepPanel.-expanded #step-facts { display: none; }
    """

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now
        self.step_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a step", style="dim italic"), id="step-facts")
        yield Static(Text("Output"), id="output-title")
        yield ToolOutput(id="output")

    @property
    def output(self) -> ToolOutput:
        return self.query_one("#output", ToolOutput)

    def show_step(self, step: Step | None, events: Sequence[Event] = ()) -> None:
        """Show a step; keep streamed output that is ahead of the stored detail."""
        facts = self.query_one("#step-facts", Static)
        if step is None:
            self.step_id = None
            facts.update(Text("No steps", style="dim italic"))
            self.output.set_text("")
            return
        update_static(facts, step_facts(step, self._now(), events))
        raw = step.tool.output if step.tool else ""
        title = "Output" + (
            " (cut by the backend)" if step.tool and step.tool.output_truncated else ""
        )
        update_static(self.query_one("#output-title", Static), Text(title, style="dim"))
        if step.id != self.step_id or len(raw) > self.output.received:
            self.output.set_text(raw)
        self.step_id = step.id

    def append_output(self, step_id: str, chunk: str) -> bool:
        """Stream a chunk into the output when it belongs to the step shown."""
        if step_id != self.step_id:
            return False
        self.output.append(chunk)
        return True

    def toggle_expanded(self) -> None:
        self.toggle_class("-expanded")
