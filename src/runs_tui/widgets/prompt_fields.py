"""One editor per typed prompt field: its label, the input its type calls for, its error.

The prompt (`widgets/prompt.py`) lays these out in the field order of the prompt as served and
checks the whole answer with `prompt_fields.check_answer`, the rule the backend applies; each
editor only turns what was typed into a value (`parse_text`, the CLI's `--field` rule too) and
shows the reason beside itself when that value is refused ("Ticket: must match the pattern
INC-\\d+"), so a wrong value is caught at the keyboard, field by field, with the draft kept.

Type → input: text, integer and number → a one-row `Input` (integer and number restricted to
what can be a number); multiline → a three-row `TextArea`; choice → the wrapping
`ChoicePicker`; choices → `ChoicesPicker` (`[x]`, space ticks); boolean → a yes/no
`ChoicePicker`. Defaults are pre-filled; a kept draft wins over them.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

from runs_tui.models.prompt_fields import (
    MAX_FIELD_TEXT,
    FieldType,
    FieldValue,
    InvalidAnswer,
    PromptField,
    check_value,
    parse_text,
)
from runs_tui.sanitize import inert, truncate
from runs_tui.widgets.choice_picker import ChoicePicker, ChoicesPicker
from runs_tui.widgets.text_inputs import Input, TextArea

LABEL_CELLS = 24
ERROR_CELLS = 300
YES, NO = "yes", "no"

RawValue = str | list[str]
"""What an editor holds, as typed or picked (a draft keeps these)."""


def field_label(field: PromptField) -> str:
    """The label as shown: the definition's text made inert, `*` when an answer is required."""
    title = truncate(inert(field.title), LABEL_CELLS - 2)
    return title + (" *" if field.required and field.default is None else "")


def error_words(field: PromptField, reason: str) -> str:
    """ "Ticket: must match the pattern INC-\\d+": the field's title, then the rule's reason."""
    return truncate(inert(f"{field.title}: {reason}"), ERROR_CELLS)


def _shown_default(field: PromptField) -> RawValue:
    """A default as the editor holds it (a boolean as yes/no, a number as text)."""
    default = field.default
    if default is None:
        return [] if field.type is FieldType.CHOICES else ""
    if isinstance(default, bool):
        return YES if default else NO
    if isinstance(default, list):
        return [str(item) for item in default]
    return str(default)


class FieldEditor(Vertical):
    """Label and input on one row, the field's error (when there is one) under them."""

    DEFAULT_CSS = """
    FieldEditor { height: auto; }
    FieldEditor > Horizontal { height: auto; }
    FieldEditor .field-label { width: 24; height: auto; text-style: bold; }
    FieldEditor Input {
        width: 1fr; height: 1; border: none; padding: 0 1; background: $boost;
    }
    FieldEditor Input:focus { border: none; background: $primary 30%; }
    FieldEditor TextArea { width: 1fr; height: 3; background: $boost; }
    FieldEditor ChoicePicker { width: 1fr; max-width: 100%; }
    FieldEditor .field-error { height: auto; display: none; padding-left: 24; }
    FieldEditor.-invalid .field-error { display: block; color: $error; text-style: bold; }
    FieldEditor.-invalid .field-label { color: $error; }
    """

    def __init__(self, field: PromptField, raw: RawValue | None = None) -> None:
        super().__init__(classes=f"field-{field.type.value}")
        self.field = field
        self._initial = _shown_default(field) if raw is None else raw
        self.error = ""
        self._widget = self._input()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(Text(field_label(self.field)), classes="field-label")
            yield self._widget
        yield Static("", classes="field-error")

    def _input(self) -> Widget:
        field, initial = self.field, self._initial
        if field.type is FieldType.MULTILINE:
            return TextArea(str(initial), soft_wrap=True, compact=True, tab_behavior="focus")
        if field.type in (FieldType.CHOICE, FieldType.BOOLEAN):
            values = (YES, NO) if field.type is FieldType.BOOLEAN else tuple(field.choices)
            picker = ChoicePicker(values)
            if isinstance(initial, str) and initial in values:
                picker.cursor = values.index(initial)
            return picker
        if field.type is FieldType.CHOICES:
            ticked = tuple(initial) if isinstance(initial, list) else ()
            return ChoicesPicker(tuple(field.choices), ticked)
        kind = {FieldType.INTEGER: "integer", FieldType.NUMBER: "number"}.get(field.type, "text")
        longest = min(field.max_length or MAX_FIELD_TEXT, MAX_FIELD_TEXT)
        return Input(
            str(initial),
            placeholder=truncate(inert(field.description), 80) or _placeholder(field),
            type=kind,  # type: ignore[arg-type]
            max_length=longest if field.type is FieldType.TEXT else 0,
            compact=True,
            select_on_focus=False,
        )

    @property
    def input(self) -> Widget:
        """The widget the value is typed or picked in."""
        return self._widget

    def raw(self) -> RawValue:
        """What the operator has typed or picked, as the draft keeps it."""
        widget = self.input
        if isinstance(widget, ChoicesPicker):
            return widget.selected
        if isinstance(widget, ChoicePicker):
            return widget.value
        if isinstance(widget, TextArea):
            return widget.text
        assert isinstance(widget, Input)
        return widget.value

    def value(self) -> FieldValue | None:
        """The typed value (None when left empty: `check_answer` then takes the default or
        says it is required). Raises `InvalidAnswer` with this field's reason, also when the
        definition's own pattern is not a valid expression (backend data: never a crash)."""
        try:
            return self._value()
        except re.error:
            raise InvalidAnswer(
                self.field.name, "the prompt's pattern is not a valid expression"
            ) from None

    def _value(self) -> FieldValue | None:
        raw = self.raw()
        if isinstance(raw, list):
            return check_value(self.field, raw) if raw else None
        if self.field.type in (FieldType.TEXT, FieldType.MULTILINE):
            return check_value(self.field, raw) if raw else None
        text = raw.strip()
        return parse_text(self.field, text) if text else None

    def show_error(self, reason: str | None) -> None:
        """The refusal beside this field (its title and the reason), or none."""
        self.error = error_words(self.field, reason) if reason else ""
        self.query_one(".field-error", Static).update(Text(self.error))
        self.set_class(bool(reason), "-invalid")

    def focus_input(self) -> None:
        self.input.focus()

    def set_enabled(self, enabled: bool) -> None:
        self.input.disabled = not enabled


def _placeholder(field: PromptField) -> str:
    if field.type is FieldType.INTEGER:
        return "a whole number" + _range(field)
    if field.type is FieldType.NUMBER:
        return "a number" + _range(field)
    return "" if field.required else "(optional)"


def _range(field: PromptField) -> str:
    def plain(number: float) -> str:
        return str(int(number)) if float(number).is_integer() else str(number)

    if field.minimum is not None and field.maximum is not None:
        return f" from {plain(field.minimum)} to {plain(field.maximum)}"
    if field.minimum is not None:
        return f", at least {plain(field.minimum)}"
    if field.maximum is not None:
        return f", at most {plain(field.maximum)}"
    return ""


def check_editors(editors: list[FieldEditor]) -> tuple[dict[str, Any], dict[str, str]]:
    """Every editor's value, and the reason of each one refused (by field name)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for editor in editors:
        try:
            value = editor.value()
        except InvalidAnswer as refused:
            errors[editor.field.name] = refused.reason
            continue
        if value is not None:
            values[editor.field.name] = value
    return values, errors
