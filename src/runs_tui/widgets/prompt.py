"""The inline prompt: answer a waiting step without leaving the run.

Docked at the bottom of the detail screen while a step waits. It offers exactly what the prompt
allows — approve / reject (confirm), done / failed (complete), a choice or free text (answer),
or, for a typed prompt, one editor per field in the order served (`widgets/prompt_fields.py`) —
plus an optional note. Enter sends (in a typed prompt Enter on a field moves to the next, Enter
on the last field or the note sends, ctrl+s sends from anywhere); Esc leaves the prompt with
everything typed kept.

Before anything is sent a typed answer is checked with `prompt_fields.check_answer`, the rule
the backend applies: each refused field says why beside itself, the focus goes to the first one,
nothing is sent and the draft stays. A 422 naming a field is shown the same way.

Around the inputs: the prompt's description (literal text), its deadline ticking ("Expires in
4m 10s · then: the step fails", a warning sign and words under a minute; past it the prompt
refuses to send), "you may not answer" when the responders / four-eyes rule says so (said
before typing: the prompt does not arm) or the backend answered 403, and, folded, the context
the operator decides on (the output of `context_steps`, the run's variables).

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
enter. The outcome comes back through `sent()`, `refused()`, `refused_field()`, `forbidden()`
or `conflicted()`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from runs_tui.drafts import Draft
from runs_tui.expiry_words import Deadline, deadline
from runs_tui.formatting import clock_time
from runs_tui.idempotency import new_idempotency_key
from runs_tui.models.domain import Prompt, PromptKind, RunDetail, Step
from runs_tui.models.prompt_fields import InvalidAnswer, answer_text, check_answer
from runs_tui.sanitize import inert, truncate
from runs_tui.widgets.choice_picker import (  # noqa: F401  (the prompt's choices, re-exported)
    CHOICE_LABELS,
    ChoicePicker,
    ChoicesPicker,
    choice_label,
)
from runs_tui.widgets.prompt_fields import FieldEditor, check_editors
from runs_tui.widgets.quiet_update import on_view, update_static
from runs_tui.widgets.text_inputs import Input, TextArea
from runs_tui.widgets.tool_output import ToolOutput
from runs_tui.widgets.variables import VariablesView

QUESTION_CELLS = 1000
DESCRIPTION_CELLS = 2000
REFUSAL_CELLS = 300
CONTEXT_OUTPUT_CHARS = 20_000  # per context step: the detail's panel has the rest

RefusalRule = Callable[[RunDetail, Step], "str | None"]
"""Why this operator may not answer a step (`RunsService.answer_refusal`), or None."""


@dataclass(frozen=True)
class Answer:
    value: str
    note: str
    values_key: str = ""  # a typed answer's checked values, as canonical JSON (the key's identity)


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
    PromptPanel.-typed { max-height: 70%; overflow-y: auto; scrollbar-size-vertical: 1; }
    PromptPanel.-hidden { display: none; }
    PromptPanel #prompt-disarmed {
        height: auto; max-height: 4; display: none; text-style: bold reverse;
    }
    PromptPanel.-disarmed #prompt-disarmed { display: block; }
    PromptPanel #prompt-question { height: auto; max-height: 4; text-style: bold; }
    PromptPanel.-disarmed #prompt-question { text-style: none; }
    PromptPanel #prompt-description { height: auto; max-height: 4; display: none; }
    PromptPanel.-described #prompt-description { display: block; }
    PromptPanel #prompt-deadline { height: auto; display: none; }
    PromptPanel.-deadline #prompt-deadline { display: block; }
    PromptPanel #prompt-deadline.-urgent { color: $warning; text-style: bold; }
    PromptPanel #prompt-deadline.-expired { color: $error; text-style: bold; }
    PromptPanel #prompt-refusal { height: auto; max-height: 3; display: none; }
    PromptPanel.-forbidden #prompt-refusal {
        display: block; text-style: bold; background: $error 25%;
    }
    PromptPanel.-disarmed #prompt-refusal { display: none; }
    PromptPanel #prompt-context { display: none; height: auto; padding: 0; border: none; }
    PromptPanel.-context #prompt-context { display: block; }
    PromptPanel #prompt-context Contents { height: auto; padding: 0 0 0 2; }
    PromptPanel #prompt-context ToolOutput { height: auto; max-height: 6; min-height: 1; }
    PromptPanel #prompt-context VariablesView { max-height: 4; }
    PromptPanel #prompt-allows { height: auto; color: $text-muted; }
    PromptPanel.-disarmed #prompt-allows { display: none; }
    PromptPanel.-forbidden #prompt-allows { display: none; }
    PromptPanel #prompt-fields { height: auto; display: none; }
    PromptPanel.-typed #prompt-fields { display: block; }
    PromptPanel Horizontal { height: auto; }
    PromptPanel #prompt-row { margin-top: 1; }
    PromptPanel.-typed #prompt-row { margin-top: 0; }
    PromptPanel Input {
        width: 1fr; height: 1; border: none; padding: 0 1; margin-left: 1; background: $boost;
    }
    PromptPanel Input:focus { border: none; background: $primary 30%; }
    PromptPanel FieldEditor Input { margin-left: 0; }
    PromptPanel.-typed #prompt-note { margin-left: 24; }
    PromptPanel #prompt-status { height: auto; max-height: 3; }
    PromptPanel #prompt-status.-error { color: $error; text-style: bold; }
    """

    BINDINGS = [
        Binding("escape", "leave", "Leave prompt (kept)", id="prompt.leave"),
        Binding("ctrl+s", "send", "Send answer", show=False, id="prompt.send"),
    ]

    sending: reactive[bool] = reactive(False)

    class Send(Message):
        """The operator sent an answer: the screen calls the service with these values.
        `values` is a typed prompt's checked answer (None for today's one-field kinds)."""

        def __init__(
            self,
            step_id: str,
            value: str,
            note: str,
            idempotency_key: str,
            prompt_id: str | None = None,
            values: dict[str, Any] | None = None,
        ) -> None:
            super().__init__()
            self.step_id = step_id
            self.value = value
            self.note = note
            self.idempotency_key = idempotency_key
            self.prompt_id = prompt_id
            self.values = values

    class Left(Message):
        """Esc: the operator went back to the run; what was typed stays."""

    class Edited(Message):
        """The draft changed (the screen keeps it beyond this widget's life)."""

        def __init__(self, step_id: str, draft: Draft) -> None:
            super().__init__()
            self.step_id = step_id
            self.draft = draft

    def __init__(
        self,
        *,
        id: str | None = None,
        now: Callable[[], datetime] | None = None,
        refusal: RefusalRule | None = None,
        always_context: bool = False,
    ) -> None:
        """`now`: the service's clock (the deadline ticks against it); `refusal`: the rule
        that says before typing who may not answer; `always_context`: show the run's variables
        even when the prompt names no context step (a screen without the variables beside)."""
        super().__init__(id=id, classes="-hidden")
        self.step_id: str | None = None
        self.prompt: Prompt | None = None
        self.armed = False  # True while an answer would go to the prompt shown
        self.waiting_now: Step | None = None  # what the run waits on (differs when disarmed)
        self.disarmed_text = ""
        self.refusal_text = ""  # why this operator may not answer the prompt shown ("" if they may)
        self._refused_by_backend = False  # a 403: the backend's word stands until a new prompt
        self._now = now or (lambda: datetime.now(UTC))
        self._refusal_rule = refusal
        self._always_context = always_context
        self._detail: RunDetail | None = None
        self._editors: list[FieldEditor] = []
        self._context_text: str | None = None  # what the context output shows (set when changed)
        self._key_for: tuple[Answer, str] | None = None
        self._choice_for: dict[str, str] = {}  # shown suggestion -> the exact choice
        self._answered: set[tuple[str, str | None]] = set()  # sent from here: never re-armed

    # --- building ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="prompt-disarmed")
        yield Static("", id="prompt-question")
        yield Static("", id="prompt-description")
        yield Static("", id="prompt-deadline")
        yield Static("", id="prompt-refusal")
        with Collapsible(title="Context", id="prompt-context"):
            yield ToolOutput(id="prompt-context-output", placeholder="(no output yet)")
            yield VariablesView(id="prompt-context-variables")
        yield Static("", id="prompt-allows")
        yield Vertical(id="prompt-fields")
        with Horizontal(id="prompt-row"):
            yield ChoicePicker((), id="prompt-choice")
            # compact: one row, no border to eat it (NO_COLOR marks a compact focus in reverse)
            yield Input(placeholder="Your answer", id="prompt-answer", compact=True)
            yield Input(placeholder="Note (optional)", id="prompt-note", compact=True)
        yield Static("", id="prompt-status")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick_deadline)

    def _tick_deadline(self) -> None:
        if on_view(self):  # covered, it is not drawn (and shown afresh when it is again)
            self._show_deadline()

    @property
    def prompt_id(self) -> str | None:
        return self.prompt.prompt_id if self.prompt else None

    @property
    def typed(self) -> bool:
        """A prompt with declared fields (one editor each); else today's one-value kinds."""
        return bool(self.prompt is not None and self.prompt.fields)

    @property
    def editors(self) -> list[FieldEditor]:
        return list(self._editors)

    def show_prompt(
        self,
        detail: RunDetail | None,
        now: datetime,
        drafts: Callable[[Step], Draft | None] | None = None,
    ) -> bool:
        """Follow the run without ever re-pointing an answer: the same prompt stays as typed;
        a first prompt is taken up; a prompt the run left behind is disarmed (True returned).

        The widgets are composed once and re-filled for each prompt (a typed prompt's editors
        are mounted when it is taken up, never on a refresh), so a refresh arriving while the
        operator types cannot race a half-removed input."""
        self._detail = detail
        waiting = detail.waiting_step() if detail is not None else None
        self.waiting_now = waiting
        if self.step_id is None:
            if waiting is None or self._is_answered(waiting):
                self.add_class("-hidden")
            else:
                self.arm(waiting, drafts(waiting) if drafts else None, detail)
            return False
        if (
            waiting is not None
            and waiting.id == self.step_id
            and waiting.prompt is not None
            and waiting.prompt.prompt_id == self.prompt_id
        ):
            self._show_context(waiting.prompt, detail)
            self._recheck_refusal(detail, waiting)
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

    def arm(
        self, step: Step | None = None, draft: Draft | None = None, detail: RunDetail | None = None
    ) -> bool:
        """Take up `step` (default: what the run waits on now) with a fresh prompt, filled from
        `draft` if one was kept for it. False when nothing waits, or when this operator may not
        answer it (the prompt then shows it, with why: `refusal_text`)."""
        step = step or self.waiting_now
        if step is None or step.prompt is None or self._is_answered(step):
            return False
        detail = detail or self._detail
        self.step_id, self.prompt, self._key_for = step.id, step.prompt, None
        self.waiting_now = step
        self.sending = False
        self._refused_by_backend = False
        self.remove_class("-hidden", "-disarmed", "-forbidden")
        self.disarmed_text = ""
        self.refusal_text = ""
        self._fill(step.prompt, draft, detail)
        reason = self._refusal_of(detail, step)
        if reason:
            self._forbid(reason)
            return False
        self.armed = True
        self._set_enabled(True)
        return True

    def clear(self) -> None:
        """Nothing to show any more (the prompt was answered here, or the notice was read)."""
        self.step_id, self.prompt, self.armed, self._key_for = None, None, False, None
        self.refusal_text = ""
        self.add_class("-hidden")
        self.remove_class("-disarmed", "-forbidden")

    def _fill(self, prompt: Prompt, draft: Draft | None, detail: RunDetail | None) -> None:
        question = Text(truncate(inert(prompt.question, keep_newlines=True), QUESTION_CELLS))
        self.query_one("#prompt-question", Static).update(question)
        description = truncate(inert(prompt.description, keep_newlines=True), DESCRIPTION_CELLS)
        self.query_one("#prompt-description", Static).update(Text(description, style="italic"))
        self.set_class(bool(description), "-described")
        self.query_one("#prompt-allows", Static).update(Text(self._allows(prompt)))
        self._show_deadline()
        self._show_context(prompt, detail)
        if prompt.fields:
            self._fill_typed(prompt, draft)
        else:
            self._fill_one_value(prompt, draft)
        note = self.query_one("#prompt-note", Input)
        with note.prevent(Input.Changed):
            note.value = draft.note if draft else ""
        self.say("")

    def _allows(self, prompt: Prompt) -> str:
        if not prompt.fields:
            return allows_words(prompt) + ", note optional · enter sends · esc leaves (kept)"
        return "* required · tab: next field · ctrl+s sends · esc leaves (kept)"

    def _fill_one_value(self, prompt: Prompt, draft: Draft | None) -> None:
        """Today's kinds: the choice row or the answer line, exactly as before typed fields."""
        self.remove_class("-typed")
        self._drop_editors()
        closed = prompt.allowed_values()
        picker = self.query_one("#prompt-choice", ChoicePicker)
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

    def _fill_typed(self, prompt: Prompt, draft: Draft | None) -> None:
        """One editor per field, in the order served; a kept draft wins over the defaults."""
        self.add_class("-typed")
        self.query_one("#prompt-choice", ChoicePicker).display = False
        self.query_one("#prompt-answer", Input).display = False
        self._drop_editors()
        kept = draft.values if draft is not None else {}
        self._editors = [FieldEditor(field, kept.get(field.name)) for field in prompt.fields]
        self.query_one("#prompt-fields", Vertical).mount_all(self._editors)

    def _drop_editors(self) -> None:
        for editor in self._editors:
            editor.remove()
        self._editors = []

    def _set_enabled(self, enabled: bool) -> None:
        for widget in self.query("ChoicePicker, Input, TextArea"):
            widget.disabled = not enabled

    def _show_disarmed(self, detail: RunDetail | None, waiting: Step | None, now: datetime) -> None:
        self.disarmed_text = disarmed_words(detail, self.step_id, waiting, now)
        self.query_one("#prompt-disarmed", Static).update(Text(self.disarmed_text))
        self.add_class("-disarmed")
        self.remove_class("-hidden")
        self.say("")

    def focus_prompt(self) -> None:
        """Put the cursor where the answer goes (a typed prompt: its first field)."""
        if self.typed and self._editors:
            self._editors[0].focus_input()
            return
        picker = self.query_one("#prompt-choice", ChoicePicker)
        (picker if picker.display else self.query_one("#prompt-answer", Input)).focus()

    # --- deadline, refusal, context ------------------------------------------------------------

    @property
    def deadline(self) -> Deadline | None:
        """The prompt's deadline as of now (None without one)."""
        return deadline(self.prompt, self._now()) if self.prompt is not None else None

    @property
    def deadline_text(self) -> str:
        return str(self.query_one("#prompt-deadline", Static).content)

    def _show_deadline(self) -> None:
        """Ticks every second: time left, a warning in words under a minute, then expired."""
        shown = self.deadline
        widget = self.query_one("#prompt-deadline", Static)
        self.set_class(shown is not None, "-deadline")
        update_static(widget, Text(shown.text if shown else ""))  # hidden or same: no redraw
        widget.set_class(bool(shown and shown.urgent and not shown.expired), "-urgent")
        widget.set_class(bool(shown and shown.expired), "-expired")

    def _refusal_of(self, detail: RunDetail | None, step: Step) -> str | None:
        if self._refusal_rule is None or detail is None:
            return None
        return self._refusal_rule(detail, step)

    def _forbid(self, reason: str) -> None:
        """Say why this operator may not answer; inputs off (the draft stays in view)."""
        self.armed = False
        self._key_for = None
        self.refusal_text = (
            f"You may not answer this step: {truncate(inert(reason), REFUSAL_CELLS)}"
        )
        self.query_one("#prompt-refusal", Static).update(Text(self.refusal_text))
        self.add_class("-forbidden")
        self._set_enabled(False)

    def _recheck_refusal(self, detail: RunDetail | None, step: Step) -> None:
        """The rule may change under the same asking (the identity became known, the
        responders were read): refuse at once, or take the prompt up again when it now may."""
        if self.sending or self._refused_by_backend or self.has_class("-disarmed"):
            return
        reason = self._refusal_of(detail, step)
        if reason and (self.armed or reason not in self.refusal_text):
            self._forbid(reason)
        elif not reason and self.has_class("-forbidden"):
            self.refusal_text = ""
            self.remove_class("-forbidden")
            self.armed = True
            self._set_enabled(True)

    def _show_context(self, prompt: Prompt, detail: RunDetail | None) -> None:
        """The output of the steps the prompt names and the run's variables, folded. Shown
        when the prompt names context steps (or always, on a screen without the variables)."""
        wanted = list(prompt.context_steps)
        shown = bool(wanted) or self._always_context
        self.set_class(shown and detail is not None, "-context")
        # Hidden, it must not take the focus either (tab would land on an invisible title).
        self.query_one(Collapsible).disabled = not (shown and detail is not None)
        if detail is None or not shown:
            return
        by_id = {step.id: step for step in detail.steps}
        parts = []
        for step_id in wanted:
            step = by_id.get(step_id)
            if step is None:
                parts.append(f"── step {step_id}: not in this run ──")
                continue
            output = step.tool.output if step.tool else ""
            parts.append(f"── {step.title} ({step.status.label}) ──")
            parts.append(output[-CONTEXT_OUTPUT_CHARS:].rstrip("\n") or "(no output)")
        output = self.query_one("#prompt-context-output", ToolOutput)
        text = "\n".join(parts)
        output.display = bool(parts)
        if text != self._context_text:
            self._context_text = text
            output.set_text(text)
        self.query_one("#prompt-context-variables", VariablesView).variables = tuple(
            detail.variables
        )
        count = len(wanted)
        what = [f"output of {count} step{'s' if count != 1 else ''}"] if count else []
        count_vars = len(detail.variables)
        what.append(f"{count_vars} variable{'s' if count_vars != 1 else ''}")
        self.query_one(Collapsible).title = "Context: " + " and ".join(what)

    # --- the draft -----------------------------------------------------------------------------

    def draft(self) -> Draft:
        note = self.query_one("#prompt-note", Input).value
        if self.typed:
            return Draft(self.prompt_id, "", note, {e.field.name: e.raw() for e in self._editors})
        picker = self.query_one("#prompt-choice", ChoicePicker)
        value = picker.value if picker.display else self.query_one("#prompt-answer", Input).value
        if picker.display and picker.cursor == 0:
            value = ""  # the untouched default is not a draft
        return Draft(self.prompt_id, value, note)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(ChoicePicker.Moved)
    def _edited(self, event: Message) -> None:
        event.stop()
        if self.armed and self.step_id is not None:
            self.post_message(self.Edited(self.step_id, self.draft()))

    # --- sending -----------------------------------------------------------------------------

    def current_answer(self) -> Answer | None:
        picker = self.query_one("#prompt-choice", ChoicePicker)
        if picker.display:
            value = picker.value
        else:
            typed = self.query_one("#prompt-answer", Input).value.strip()
            value = self._choice_for.get(typed, typed)
        note = self.query_one("#prompt-note", Input).value.strip()
        return Answer(value, note) if value else None

    def checked_values(self) -> dict[str, Any] | None:
        """A typed prompt's answer checked as the backend will; each refused field says why
        beside itself and the first takes the focus (None then: nothing may be sent)."""
        assert self.prompt is not None
        values, errors = check_editors(self._editors)
        if not errors:
            try:
                return check_answer(self.prompt.effective_fields(), values)
            except InvalidAnswer as refused:
                errors = {refused.field: refused.reason}
            except re.error:  # a default checked against a broken pattern: backend data
                errors = {self._editors[0].field.name: "the prompt's pattern is not valid"}
        self.show_field_errors(errors)
        return None

    def show_field_errors(self, errors: dict[str, str]) -> bool:
        """Each reason beside its field, the others cleared, the focus on the first refused.
        False when no editor has one of these names (the caller says it another way)."""
        first = None
        for editor in self._editors:
            reason = errors.get(editor.field.name)
            editor.show_error(reason)
            if reason and first is None:
                first = editor
        if first is None:
            return False
        count = sum(1 for editor in self._editors if editor.error)
        more = f" (and {count - 1} more)" if count > 1 else ""
        self.say(f"Not sent: {first.error}{more}. Correct it and send again.", error=True)
        first.focus_input()
        return True

    @on(ChoicePicker.Picked)
    @on(Input.Submitted)
    def _submit(self, event: Message) -> None:
        event.stop()
        source = getattr(event, "control", None)
        editor = self._editor_of(source)
        if editor is not None and editor is not self._editors[-1]:
            self._editors[self._editors.index(editor) + 1].focus_input()  # enter: next field
            return
        self.submit()

    def _editor_of(self, widget: object) -> FieldEditor | None:
        for editor in self._editors:
            if isinstance(widget, Widget) and editor in widget.ancestors_with_self:
                return editor
        return None

    def action_send(self) -> None:
        self.submit()

    def submit(self) -> bool:
        """Send the current answer unless one is on its way, the prompt is disarmed, this
        operator may not answer, the deadline has passed or a field is refused. True if it
        was posted."""
        if self.sending or self.step_id is None:
            return False
        if self.refusal_text:
            self.say(self.refusal_text + ". Nothing was sent.", error=True)
            return False
        if not self.armed:
            return False
        shown = self.deadline
        if shown is not None and shown.expired:
            self.say("Not sent: " + shown.text + ".", error=True)
            return False
        values: dict[str, Any] | None = None
        if self.typed:
            values = self.checked_values()
            if values is None:
                return False
            note = self.query_one("#prompt-note", Input).value.strip()
            answer: Answer | None = Answer(
                answer_text(values), note, json.dumps(values, sort_keys=True, default=str)
            )
        else:
            answer = self.current_answer()
        if answer is None:
            self.say("Type an answer first.", error=True)
            return False
        if self._key_for is None or self._key_for[0] != answer:
            self._key_for = (answer, new_idempotency_key())
        self.sending = True
        self.say("Sending…")
        self.post_message(
            self.Send(
                self.step_id, answer.value, answer.note, self._key_for[1], self.prompt_id, values
            )
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

    def refused_field(self, field: str, reason: str) -> bool:
        """A 422 naming a field: shown beside it like a refusal at the keyboard, focus there.
        False when the prompt has no such field on screen (the caller says it in words)."""
        self.sending = False
        if not self.typed:
            return False
        return self.show_field_errors({field: reason})

    def forbidden(self, message: str) -> None:
        """403: the backend says this operator may not answer (its rule, in its words). Shown
        where "you may not answer" goes; the draft stays; nothing more is sent to it."""
        self.sending = False
        self._refused_by_backend = True
        self._forbid(message)
        self.say(self.refusal_text + " (the backend refused the answer).", error=True)

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
