"""The inline prompt: answer a waiting step without leaving the run.

Docked at the bottom of the detail screen while a step waits. It offers exactly what the prompt
allows — approve / reject (confirm), done / failed (complete), a choice or free text (answer) —
plus an optional note. Enter sends; Esc leaves the prompt with everything typed kept.

An answer is bound to what was on screen. The panel shows one (step, prompt) — the prompt's
`prompt_id` identifies the asking — and only ever sends to that. When the run moves on without
this operator (someone answered from the CLI, the run was cancelled, the step was asked again),
the panel is *disarmed*: its inputs are disabled with the draft still visible, a notice says who
answered what and what the run asks now, and a fresh `arm` (the screen's `a`) is needed to
answer the new question. It never refills itself under the operator's fingers.

Sending is the screen's job (it owns the service call, in a worker): the panel posts `Send` and
goes into a *sending* state in which further key presses send nothing. The idempotency key is
made when an answer is first sent and reused while the same answer is retried (after
"unreachable", say), so the backend sees one answer however many times the operator presses
enter. The outcome comes back through `sent()`, `refused()` or `conflicted()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Static

from runs_tui.drafts import Draft
from runs_tui.formatting import clock_time
from runs_tui.idempotency import new_idempotency_key
from runs_tui.models.domain import Prompt, PromptKind, RunDetail, Step
from runs_tui.sanitize import inert, truncate

QUESTION_CELLS = 1000
LABEL_CELLS = 40
CHOICE_LABELS = {"approve": "Approve", "reject": "Reject", "done": "Done", "failed": "Failed"}
CHOSEN, UNCHOSEN = "▸ ", "  "
GAP = 2  # cells between two choices
MAX_CHOICE_LINES = 5  # beyond this the choices scroll, with a "‹ N more ›" line saying so


def choice_label(value: str) -> str:
    """A choice as shown: a word for the fixed values, else the backend's text made inert."""
    return CHOICE_LABELS.get(value) or truncate(inert(value), LABEL_CELLS)


class ChoicePicker(Widget, can_focus=True):
    """The choices, wrapped over as many lines as they need so every one is on screen before
    it can be picked: ←/→ (h/l) move, Enter picks. The cursor is a ▸ and reverse video, so the
    selection reads without colour."""

    DEFAULT_CSS = """
    ChoicePicker { height: auto; width: auto; max-width: 60%; }
    ChoicePicker:focus { background: $boost; }
    ChoicePicker:disabled { opacity: 60%; }
    """

    BINDINGS = [
        Binding("left,h", "move(-1)", "Previous choice", show=False, id="prompt.choice_left"),
        Binding("right,l", "move(1)", "Next choice", show=False, id="prompt.choice_right"),
        Binding("enter", "pick", "Send", id="prompt.send_choice"),
    ]

    cursor: reactive[int] = reactive(0, layout=True)

    class Picked(Message):
        """Enter on a choice."""

    class Moved(Message):
        """The cursor moved: the draft changed."""

    def __init__(self, values: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.values = values

    @property
    def value(self) -> str:
        return self.values[self.cursor] if self.values else ""

    def _cells(self, index: int, width: int) -> str:
        """One choice with its cursor mark, cut to the line when even alone it is too wide."""
        mark = CHOSEN if index == self.cursor else UNCHOSEN
        return mark + truncate(choice_label(self.values[index]), max(1, width - len(mark)))

    def lines(self, width: int) -> list[list[int]]:
        """Which choices go on which line at `width` cells (greedy, in order)."""
        lines: list[list[int]] = [[]]
        used = 0
        for index in range(len(self.values)):
            cells = cell_len(self._cells(index, width))
            if lines[-1] and used + GAP + cells > width:
                lines.append([])
                used = 0
            used += cells + (GAP if lines[-1] else 0)
            lines[-1].append(index)
        return lines

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return (
            sum(cell_len(self._cells(i, LABEL_CELLS + 2)) + GAP for i in range(len(self.values)))
            or 1
        )

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return min(len(self.lines(max(1, width))), MAX_CHOICE_LINES)

    def shown_lines(self, width: int) -> tuple[list[list[int]], int]:
        """The lines on screen (always the cursor's among them) and how many choices are not."""
        lines = self.lines(width)
        if len(lines) <= MAX_CHOICE_LINES:
            return lines, 0
        room = MAX_CHOICE_LINES - 1  # one line says how many more there are
        at = next(number for number, line in enumerate(lines) if self.cursor in line)
        start = min(max(0, at - room // 2), len(lines) - room)
        shown = lines[start : start + room]
        return shown, len(self.values) - sum(len(line) for line in shown)

    def render(self) -> Text:
        width = max(1, self.content_size.width)
        text = Text(no_wrap=True, overflow="ellipsis")
        shown, hidden = self.shown_lines(width)
        for number, line in enumerate(shown):
            if number:
                text.append("\n")
            for position, index in enumerate(line):
                if position:
                    text.append(" " * GAP)
                chosen = index == self.cursor
                text.append(self._cells(index, width), style="reverse bold" if chosen else "")
        if hidden:
            text.append(f"\n‹ {hidden} more › ←/→ to see them", style="italic")
        return text

    def action_move(self, delta: int) -> None:
        if self.values:
            self.cursor = (self.cursor + delta) % len(self.values)
            self.post_message(self.Moved())

    def action_pick(self) -> None:
        self.post_message(self.Picked())


@dataclass(frozen=True)
class Answer:
    value: str
    note: str


class PromptPanel(Vertical):
    """The prompt for one waiting step, bound to it: `show_prompt(detail)` keeps it, disarms it
    when the run moved on, or hides it; `arm()` takes up the step that waits now."""

    DEFAULT_CSS = """
    PromptPanel {
        dock: none;
        height: auto;
        max-height: 16;
        padding: 0 1;
        background: $panel;
        border-top: thick $warning;
    }
    PromptPanel.-hidden { display: none; }
    PromptPanel #prompt-disarmed {
        height: auto; max-height: 4; display: none; text-style: bold reverse;
    }
    PromptPanel.-disarmed #prompt-disarmed { display: block; }
    PromptPanel #prompt-question { height: auto; max-height: 4; text-style: bold; }
    PromptPanel.-disarmed #prompt-question { text-style: none; }
    PromptPanel #prompt-allows { height: auto; color: $text-muted; }
    PromptPanel.-disarmed #prompt-allows { display: none; }
    PromptPanel Horizontal { height: auto; }
    PromptPanel #prompt-row { margin-top: 1; }
    PromptPanel Input {
        width: 1fr; height: 1; border: none; padding: 0 1; margin-left: 1; background: $boost;
    }
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

        def __init__(
            self,
            step_id: str,
            value: str,
            note: str,
            idempotency_key: str,
            prompt_id: str | None = None,
        ) -> None:
            super().__init__()
            self.step_id = step_id
            self.value = value
            self.note = note
            self.idempotency_key = idempotency_key
            self.prompt_id = prompt_id

    class Left(Message):
        """Esc: the operator went back to the run; what was typed stays."""

    class Edited(Message):
        """The draft changed (the screen keeps it beyond this widget's life)."""

        def __init__(self, step_id: str, draft: Draft) -> None:
            super().__init__()
            self.step_id = step_id
            self.draft = draft

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-hidden")
        self.step_id: str | None = None
        self.prompt: Prompt | None = None
        self.armed = False  # True while an answer would go to the prompt shown
        self.waiting_now: Step | None = None  # what the run waits on (differs when disarmed)
        self.disarmed_text = ""
        self._key_for: tuple[Answer, str] | None = None
        self._choice_for: dict[str, str] = {}  # shown suggestion -> the exact choice
        self._answered: set[tuple[str, str | None]] = set()  # sent from here: never re-armed

    # --- building ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="prompt-disarmed")
        yield Static("", id="prompt-question")
        yield Static("", id="prompt-allows")
        with Horizontal(id="prompt-row"):
            yield ChoicePicker((), id="prompt-choice")
            # compact: one row, no border to eat it (NO_COLOR marks a compact focus in reverse)
            yield Input(placeholder="Your answer", id="prompt-answer", compact=True)
            yield Input(placeholder="Note (optional)", id="prompt-note", compact=True)
        yield Static("", id="prompt-status")

    @property
    def prompt_id(self) -> str | None:
        return self.prompt.prompt_id if self.prompt else None

    def show_prompt(
        self,
        detail: RunDetail | None,
        now: datetime,
        drafts: Callable[[Step], Draft | None] | None = None,
    ) -> bool:
        """Follow the run without ever re-pointing an answer: the same prompt stays as typed;
        a first prompt is taken up; a prompt the run left behind is disarmed (True returned).

        The widgets are composed once and re-filled for each prompt (never re-mounted), so a
        refresh arriving while the operator types cannot race a half-removed input."""
        waiting = detail.waiting_step() if detail is not None else None
        self.waiting_now = waiting
        if self.step_id is None:
            if waiting is None or self._is_answered(waiting):
                self.add_class("-hidden")
            else:
                self.arm(waiting, drafts(waiting) if drafts else None)
            return False
        if (
            waiting is not None
            and waiting.id == self.step_id
            and waiting.prompt is not None
            and waiting.prompt.prompt_id == self.prompt_id
        ):
            return False  # the same asking: nothing typed is lost
        if not self.armed:
            self._show_disarmed(detail, waiting, now)  # keep the notice current
            return False
        self.armed = False
        self._key_for = None
        self.sending = False
        self._set_enabled(False)
        self._show_disarmed(detail, waiting, now)
        return True

    def _is_answered(self, step: Step) -> bool:
        """Answered from here already (a refresh may still show it waiting for a moment)."""
        return (step.id, step.prompt.prompt_id if step.prompt else None) in self._answered

    def arm(self, step: Step | None = None, draft: Draft | None = None) -> bool:
        """Take up `step` (default: what the run waits on now) with a fresh prompt, filled from
        `draft` if one was kept for it. False when nothing waits."""
        step = step or self.waiting_now
        if step is None or step.prompt is None or self._is_answered(step):
            return False
        self.step_id, self.prompt, self._key_for = step.id, step.prompt, None
        self.waiting_now = step
        self.armed = True
        self.sending = False
        self.remove_class("-hidden", "-disarmed")
        self.disarmed_text = ""
        self._fill(step.prompt, draft)
        self._set_enabled(True)
        return True

    def clear(self) -> None:
        """Nothing to show any more (the prompt was answered here, or the notice was read)."""
        self.step_id, self.prompt, self.armed, self._key_for = None, None, False, None
        self.add_class("-hidden")
        self.remove_class("-disarmed")

    def _fill(self, prompt: Prompt, draft: Draft | None) -> None:
        question = Text(truncate(inert(prompt.question, keep_newlines=True), QUESTION_CELLS))
        self.query_one("#prompt-question", Static).update(question)
        allows = allows_words(prompt) + ", note optional · enter sends · esc leaves (kept)"
        self.query_one("#prompt-allows", Static).update(Text(allows))
        closed = prompt.allowed_values()
        picker = self.query_one(ChoicePicker)
        answer = self.query_one("#prompt-answer", Input)
        picker.values, picker.display = closed or (), closed is not None
        picker.cursor = (
            closed.index(draft.value) if closed and draft and draft.value in closed else 0
        )
        picker.refresh(layout=True)
        answer.display = closed is None
        # Suggestions are shown text: inert, like everything else; the exact choice is sent.
        self._choice_for = {inert(choice): choice for choice in prompt.choices}
        answer.suggester = (
            SuggestFromList(list(self._choice_for), case_sensitive=False)
            if prompt.choices
            else None
        )
        with answer.prevent(Input.Changed):
            answer.value = draft.value if draft and closed is None else ""
        note = self.query_one("#prompt-note", Input)
        with note.prevent(Input.Changed):
            note.value = draft.note if draft else ""
        self.say("")

    def _set_enabled(self, enabled: bool) -> None:
        for widget in self.query("ChoicePicker, Input"):
            widget.disabled = not enabled

    def _show_disarmed(self, detail: RunDetail | None, waiting: Step | None, now: datetime) -> None:
        self.disarmed_text = disarmed_words(detail, self.step_id, waiting, now)
        self.query_one("#prompt-disarmed", Static).update(Text(self.disarmed_text))
        self.add_class("-disarmed")
        self.remove_class("-hidden")
        self.say("")

    def focus_prompt(self) -> None:
        """Put the cursor where the answer goes."""
        picker = self.query_one(ChoicePicker)
        (picker if picker.display else self.query_one("#prompt-answer", Input)).focus()

    # --- the draft -----------------------------------------------------------------------------

    def draft(self) -> Draft:
        picker = self.query_one(ChoicePicker)
        value = picker.value if picker.display else self.query_one("#prompt-answer", Input).value
        if picker.display and picker.cursor == 0:
            value = ""  # the untouched default is not a draft
        return Draft(self.prompt_id, value, self.query_one("#prompt-note", Input).value)

    @on(Input.Changed)
    @on(ChoicePicker.Moved)
    def _edited(self, event: Message) -> None:
        event.stop()
        if self.armed and self.step_id is not None:
            self.post_message(self.Edited(self.step_id, self.draft()))

    # --- sending -----------------------------------------------------------------------------

    def current_answer(self) -> Answer | None:
        picker = self.query_one(ChoicePicker)
        if picker.display:
            value = picker.value
        else:
            typed = self.query_one("#prompt-answer", Input).value.strip()
            value = self._choice_for.get(typed, typed)
        note = self.query_one("#prompt-note", Input).value.strip()
        return Answer(value, note) if value else None

    @on(ChoicePicker.Picked)
    @on(Input.Submitted)
    def _submit(self, event: Message) -> None:
        event.stop()
        self.submit()

    def submit(self) -> bool:
        """Send the current answer unless one is on its way or the prompt is disarmed.
        True if it was posted."""
        if self.sending or self.step_id is None or not self.armed:
            return False
        answer = self.current_answer()
        if answer is None:
            self.say("Type an answer first.", error=True)
            return False
        if self._key_for is None or self._key_for[0] != answer:
            self._key_for = (answer, new_idempotency_key())
        self.sending = True
        self.say("Sending…")
        self.post_message(
            self.Send(self.step_id, answer.value, answer.note, self._key_for[1], self.prompt_id)
        )
        return True

    def watch_sending(self, sending: bool) -> None:
        if self.armed or sending:
            self._set_enabled(not sending)

    def sent(self) -> None:
        """The backend took the answer: the step moves on, the prompt goes. The next step's
        prompt is taken up by the next refresh but not focused: that takes a fresh key."""
        self.sending = False
        if self.step_id is not None:
            self._answered.add((self.step_id, self.prompt_id))
        self.clear()
        self.say("Answer sent.")

    def refused(self, message: str) -> None:
        """422 or unreachable: say why, keep the text (and the key) for another try."""
        self.sending = False
        self.say(message, error=True)
        self.focus_prompt()

    def conflicted(self, message: str) -> None:
        """409: someone else answered, or the run stopped waiting; nothing more to send. The
        refresh that follows disarms the panel with who answered what."""
        self.sending = False
        self._key_for = None
        self.say(message, error=True)

    def say(self, message: str, *, error: bool = False) -> None:
        """Show a line under the inputs."""
        widget = self.query_one("#prompt-status", Static)
        widget.update(Text(inert(message)))
        widget.set_class(error, "-error")

    @property
    def status_text(self) -> str:
        """The line under the inputs, as shown (what the operator reads)."""
        return str(self.query_one("#prompt-status", Static).content)

    def action_leave(self) -> None:
        self.post_message(self.Left())


def disarmed_words(
    detail: RunDetail | None, step_id: str | None, waiting: Step | None, now: datetime
) -> str:
    """Why the prompt on screen no longer takes an answer, and what the run asks now:
    "cli-oncall answered ‘done’ at 17:54 — the run now asks: … Press a to answer it." """
    old = next((s for s in detail.steps if s.id == step_id), None) if detail else None
    if old is not None and old.response is not None and old is not waiting:
        who = truncate(inert(old.response.answered_by or "Someone"), 40)
        value = truncate(inert(old.response.value), 60)
        words = f"{who} answered ‘{value}’"
        if old.response.answered_at is not None:
            words += f" at {clock_time(old.response.answered_at, now)}"
    elif old is not None and waiting is not None and old.id == waiting.id:
        words = "This step was asked again"
    elif old is not None:
        words = f"This step is no longer waiting ({old.status.label})"
    else:
        words = "This prompt is gone"
    if waiting is not None and waiting.prompt is not None:
        question = truncate(inert(waiting.prompt.question), 160)
        return f"{words} — the run now asks: {question} Press a to answer it."
    if detail is not None:
        return f"{words} — the run is now {detail.status.label}."
    return words + "."


def allows_words(prompt: Prompt) -> str:
    """What this prompt accepts, in words."""
    if prompt.kind is PromptKind.CONFIRM:
        return "Confirm: approve or reject the proposed action"
    if prompt.kind is PromptKind.COMPLETE:
        return "Manual step: mark it done or failed"
    if prompt.allowed_values() is None:
        return "Answer: free text" + (" (→ accepts a suggestion)" if prompt.choices else "")
    return "Answer: pick one of the choices"
