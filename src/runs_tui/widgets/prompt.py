"""The inline prompt: answer a waiting step without leaving the run.

Docked at the bottom of the detail screen while a step waits. It offers exactly what the prompt
allows — approve / reject (confirm), done / failed (complete), a choice or free text (answer) —
plus an optional note. Enter sends; Esc leaves the prompt with everything typed kept.

Sending is the screen's job (it owns the service call, in a worker): the panel posts `Send` and
goes into a *sending* state in which further key presses send nothing. The idempotency key is
made when an answer is first sent and reused while the same answer is retried (after
"unreachable", say), so the backend sees one answer however many times the operator presses
enter. The outcome comes back through `sent()`, `refused()` or `conflicted()`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Static

from runs_tui.models.domain import Prompt, PromptKind, Step
from runs_tui.sanitize import inert, truncate

QUESTION_CELLS = 1000
CHOICE_LABELS = {"approve": "Approve", "reject": "Reject", "done": "Done", "failed": "Failed"}


def new_key() -> str:
    """An idempotency key (the client's format: a uuid4 in hex)."""
    return uuid.uuid4().hex


class ChoicePicker(Widget, can_focus=True):
    """A row of choices: ←/→ (h/l) move, Enter picks. The cursor is a ▸ and reverse video, so
    the selection reads without colour."""

    DEFAULT_CSS = """
    ChoicePicker { height: 1; width: auto; max-width: 60%; }
    ChoicePicker:focus { background: $boost; }
    ChoicePicker:disabled { opacity: 60%; }
    """

    BINDINGS = [
        Binding("left,h", "move(-1)", "Previous choice", show=False, id="prompt.choice_left"),
        Binding("right,l", "move(1)", "Next choice", show=False, id="prompt.choice_right"),
        Binding("enter", "pick", "Send", id="prompt.send_choice"),
    ]

    cursor: reactive[int] = reactive(0)

    class Picked(Message):
        """Enter on a choice."""

    def __init__(self, values: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.values = values

    @property
    def value(self) -> str:
        return self.values[self.cursor] if self.values else ""

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, value in enumerate(self.values):
            label = CHOICE_LABELS.get(value) or truncate(inert(value), 40)
            chosen = index == self.cursor
            text.append(("▸ " if chosen else "  ") + label + " ", style="reverse bold" if chosen else "")
            text.append("  ")
        return text

    def action_move(self, delta: int) -> None:
        if self.values:
            self.cursor = (self.cursor + delta) % len(self.values)

    def action_pick(self) -> None:
        self.post_message(self.Picked())


@dataclass(frozen=True)
class Answer:
    value: str
    note: str


class PromptPanel(Vertical):
    """The prompt for one waiting step; `show_prompt` keeps typed text for the same step."""

    DEFAULT_CSS = """
    PromptPanel {
        dock: none;
        height: auto;
        max-height: 14;
        padding: 0 1;
        background: $panel;
        border-top: thick $warning;
    }
    PromptPanel.-hidden { display: none; }
    PromptPanel #prompt-question { height: auto; max-height: 4; text-style: bold; }
    PromptPanel #prompt-allows { height: auto; color: $text-muted; }
    PromptPanel Horizontal { height: auto; }
    PromptPanel #prompt-row { margin-top: 1; }
    PromptPanel Input { width: 1fr; height: 1; border: none; padding: 0 1; margin-left: 1; background: $boost; }
    PromptPanel Input:focus { border: none; background: $primary 30%; }
    PromptPanel #prompt-status { height: auto; max-height: 3; }
    PromptPanel #prompt-status.-error { color: $error; text-style: bold; }
    """

    BINDINGS = [
        Binding("escape", "leave", "Leave prompt (kept)", id="prompt.leave"),
    ]

    sending: reactive[bool] = reactive(False)

    class Send(Message):
        """The operator sent an answer: the screen calls the service with these values."""

        def __init__(self, step_id: str, value: str, note: str, idempotency_key: str) -> None:
            super().__init__()
            self.step_id = step_id
            self.value = value
            self.note = note
            self.idempotency_key = idempotency_key

    class Left(Message):
        """Esc: the operator went back to the run; what was typed stays."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-hidden")
        self.step_id: str | None = None
        self.prompt: Prompt | None = None
        self._key_for: tuple[Answer, str] | None = None
        self.status_text = ""
        self.sends = 0  # how many times `Send` was posted (tests and the benchmark read it)

    # --- building ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="prompt-question")
        yield Static("", id="prompt-allows")
        with Horizontal(id="prompt-row"):
            yield ChoicePicker((), id="prompt-choice")
            yield Input(placeholder="Your answer", id="prompt-answer")
            yield Input(placeholder="Note (optional)", id="prompt-note")
        yield Static("", id="prompt-status")

    def show_prompt(self, step: Step | None) -> None:
        """Show the prompt of a waiting step, or hide. Same step: nothing typed is lost.

        The widgets are composed once and re-filled for each prompt (never re-mounted), so a
        refresh arriving while the operator types cannot race a half-removed input."""
        if step is None or step.prompt is None:
            self.step_id, self.prompt = None, None
            self.add_class("-hidden")
            return
        self.remove_class("-hidden")
        if step.id == self.step_id:
            return
        self.step_id, self.prompt, self._key_for = step.id, step.prompt, None
        self.sending = False
        self._fill(step.prompt)

    def _fill(self, prompt: Prompt) -> None:
        question = Text(truncate(inert(prompt.question, keep_newlines=True), QUESTION_CELLS))
        self.query_one("#prompt-question", Static).update(question)
        allows = allows_words(prompt) + ", note optional · enter sends · esc leaves (kept)"
        self.query_one("#prompt-allows", Static).update(Text(allows))
        closed = prompt.allowed_values()
        picker = self.query_one(ChoicePicker)
        answer = self.query_one("#prompt-answer", Input)
        picker.values, picker.cursor, picker.display = closed or (), 0, closed is not None
        picker.refresh(layout=True)
        answer.display = closed is None
        answer.value = ""
        answer.suggester = SuggestFromList(prompt.choices, case_sensitive=False) if prompt.choices else None
        self.query_one("#prompt-note", Input).value = ""
        self.say("")

    def focus_prompt(self) -> None:
        """Put the cursor where the answer goes."""
        picker = self.query_one(ChoicePicker)
        (picker if picker.display else self.query_one("#prompt-answer", Input)).focus()

    # --- sending -----------------------------------------------------------------------------

    def current_answer(self) -> Answer | None:
        picker = self.query_one(ChoicePicker)
        if picker.display:
            value = picker.value
        else:
            value = self.query_one("#prompt-answer", Input).value.strip()
        note = self.query_one("#prompt-note", Input).value.strip()
        return Answer(value, note) if value else None

    @on(ChoicePicker.Picked)
    @on(Input.Submitted)
    def _submit(self, event: Message) -> None:
        event.stop()
        self.submit()

    def submit(self) -> bool:
        """Send the current answer unless one is already on its way. True if it was posted."""
        if self.sending or self.step_id is None:
            return False
        answer = self.current_answer()
        if answer is None:
            self.say("Type an answer first.", error=True)
            return False
        if self._key_for is None or self._key_for[0] != answer:
            self._key_for = (answer, new_key())
        self.sending = True
        self.sends += 1
        self.say("Sending…")
        self.post_message(self.Send(self.step_id, answer.value, answer.note, self._key_for[1]))
        return True

    def watch_sending(self, sending: bool) -> None:
        for widget in self.query("ChoicePicker, Input"):
            widget.disabled = sending

    def sent(self) -> None:
        """The backend took the answer: the step moves on, the prompt goes."""
        self.sending = False
        self._key_for = None
        self.say("Answer sent.")

    def refused(self, message: str) -> None:
        """422 or unreachable: say why, keep the text (and the key) for another try."""
        self.sending = False
        self.say(message, error=True)
        self.focus_prompt()

    def conflicted(self, message: str) -> None:
        """409: someone else answered, or the run stopped waiting; nothing more to send."""
        self.sending = False
        self._key_for = None
        self.say(message, error=True)

    def say(self, message: str, *, error: bool = False) -> None:
        """Show a line under the inputs (kept as `status_text` for tests)."""
        self.status_text = message
        widget = self.query_one("#prompt-status", Static)
        widget.update(Text(inert(message)))
        widget.set_class(error, "-error")


    def action_leave(self) -> None:
        self.post_message(self.Left())


def allows_words(prompt: Prompt) -> str:
    """What this prompt accepts, in words."""
    if prompt.kind is PromptKind.CONFIRM:
        return "Confirm: approve or reject the proposed action"
    if prompt.kind is PromptKind.COMPLETE:
        return "Manual step: mark it done or failed"
    if prompt.allowed_values() is None:
        return "Answer: free text" + (" (→ accepts a suggestion)" if prompt.choices else "")
    return "Answer: pick one of the choices"
