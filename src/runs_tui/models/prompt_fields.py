"""Typed prompt fields: what a prompt asks a person for, and the one rule that checks an answer.

Why one module: the backend refuses an invalid answer with 422, and the dashboard and the CLI
check the same answer before sending it, from the prompt as served. Three copies of "what is a
valid ticket number" would drift, and an operator would learn of the difference from a 422 in
the middle of an incident. So the rules live here, on the wire model, and every side calls
`check_answer`.

Today's four prompt kinds are fields too (`legacy_fields`):
- `confirm`: one required `choice` field `value` with choices approve / reject;
- `complete`: one required `choice` field `value` with choices done / failed;
- `answer` with `choices` and no free text: one required `choice` field `value`;
- `answer` with free text (or no choices): one required `text` field `value` (the choices, if
  any, are suggestions).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_FIELDS = 32
MAX_FIELD_TEXT = 10_000  # one text value: the same bound as a free-text answer
LEGACY_FIELD = "value"
"""The name of the single field that today's four prompt kinds ask for."""
_TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})


class FieldType(StrEnum):
    TEXT = "text"  # one line; optional pattern and length limits
    MULTILINE = "multiline"  # text with line breaks; length limits
    CHOICE = "choice"  # exactly one of `choices`
    CHOICES = "choices"  # any subset of `choices` (at least one when required)
    INTEGER = "integer"  # whole number; optional minimum / maximum
    NUMBER = "number"  # finite number; optional minimum / maximum
    BOOLEAN = "boolean"  # true / false


class OnExpiry(StrEnum):
    """What happens when nobody answers before a prompt's deadline."""

    FAIL = "fail"  # the step fails: "no answer before the deadline"
    DEFAULT = "default"  # the fields' defaults are taken, answered by the system
    SKIP = "skip"  # the step is skipped and the run goes on


FieldValue = bool | int | float | str | list[str]
"""A checked value: `bool` for boolean, `int` for integer, `float` for number, `list[str]` for
choices, `str` for the rest."""


class PromptField(BaseModel):
    model_config = ConfigDict(extra="ignore", use_enum_values=False, defer_build=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    label: str = ""
    type: FieldType = FieldType.TEXT
    required: bool = True
    default: FieldValue | None = None
    choices: list[str] = Field(default_factory=list)
    pattern: str | None = Field(None, description="text: the whole value must match (Python re).")
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""

    @property
    def title(self) -> str:
        """What the operator reads: the label, else the name."""
        return self.label or self.name


class InvalidAnswer(ValueError):
    """An answer that breaks a field's rule: `field` names it, `reason` says why, in words an
    operator can act on. The backend sends both in its 422's `details`."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def check_answer(fields: Sequence[PromptField], values: Mapping[str, object]) -> dict[str, Any]:
    """The answer as it will be recorded: every field's checked value (a missing optional field
    takes its default, or is left out). Raises `InvalidAnswer` for the first field in error,
    unknown names included."""
    known = {field.name for field in fields}
    unknown = sorted(name for name in values if name not in known)
    if unknown:
        raise InvalidAnswer(unknown[0], "this prompt has no such field")
    checked: dict[str, Any] = {}
    for field in fields:
        raw = values.get(field.name)
        if _is_empty(raw):
            if field.default is not None:
                checked[field.name] = check_value(field, field.default)
            elif field.required:
                raise InvalidAnswer(field.name, "an answer is required")
            continue
        checked[field.name] = check_value(field, raw)
    return checked


def defaults_of(fields: Sequence[PromptField]) -> dict[str, Any]:
    """The answer taken when a prompt expires with `on_expiry = default`: every default set.
    Raises `InvalidAnswer` when a required field has no default (the definition is wrong)."""
    return check_answer(fields, {})


def check_value(field: PromptField, raw: object) -> FieldValue:
    """One field's value, checked and normalised (e.g. "42" for an integer field is 42)."""
    checker = _CHECKERS[field.type]
    return checker(field, raw)


def parse_text(field: PromptField, text: str) -> FieldValue:
    """A value typed at a keyboard or on a command line (`--field name=value`), as the field's
    type: "yes" for a boolean, "3" for an integer, "a,b" for several choices. Raises
    `InvalidAnswer`, like `check_value`, which it ends with."""
    if field.type is FieldType.CHOICES:
        return check_value(field, [part.strip() for part in text.split(",") if part.strip()])
    return check_value(field, text)


def legacy_fields(kind: str, choices: Sequence[str], allow_free_text: bool) -> list[PromptField]:
    """The one field that a prompt of today's kinds asks for (see the module docstring)."""
    if kind == "confirm":
        return [_value_choice(["approve", "reject"])]
    if kind == "complete":
        return [_value_choice(["done", "failed"])]
    if choices and not allow_free_text:
        return [_value_choice(list(choices))]
    return [
        PromptField(
            name=LEGACY_FIELD, label="Answer", type=FieldType.TEXT, max_length=MAX_FIELD_TEXT
        )
    ]


def canonical_text(text: str, choices: Sequence[str]) -> str:
    """A one-field answer of today's kinds as typed (`--value Approve `): spaces trimmed and a
    choice matched whatever its case, as the backend has always accepted it. The backend and
    the CLI both spell it this way before `check_answer`."""
    stripped = text.strip()
    for choice in choices:
        if choice.lower() == stripped.lower():
            return choice
    return stripped


def answer_text(values: Mapping[str, object]) -> str:
    """One line for an answer: the value itself for a one-field prompt, else `name=value`
    pairs; what lists, notices and the single `value` of a response show."""
    if set(values) == {LEGACY_FIELD}:
        return _shown(values[LEGACY_FIELD])
    return ", ".join(f"{name}={_shown(value)}" for name, value in values.items())


# --- the checks, one per type ------------------------------------------------------------------


def _value_choice(choices: list[str]) -> PromptField:
    return PromptField(name=LEGACY_FIELD, label="Answer", type=FieldType.CHOICE, choices=choices)


def _is_empty(raw: object) -> bool:
    return raw is None or raw == "" or raw == []


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "+".join(str(item) for item in value)
    return str(value)


def _text(field: PromptField, raw: object) -> str:
    if not isinstance(raw, str):
        raise InvalidAnswer(field.name, "must be text")
    if "\x00" in raw:
        raise InvalidAnswer(field.name, "must not contain a NUL character")
    if field.type is FieldType.TEXT and ("\n" in raw or "\r" in raw):
        raise InvalidAnswer(field.name, "must be one line")
    longest = min(field.max_length or MAX_FIELD_TEXT, MAX_FIELD_TEXT)
    if len(raw) > longest:
        raise InvalidAnswer(field.name, f"at most {longest} characters")
    if field.min_length is not None and len(raw) < field.min_length:
        raise InvalidAnswer(field.name, f"at least {field.min_length} characters")
    if field.pattern is not None and re.fullmatch(field.pattern, raw) is None:
        raise InvalidAnswer(field.name, f"must match the pattern {field.pattern}")
    return raw


def _choice(field: PromptField, raw: object) -> str:
    if not isinstance(raw, str) or raw not in field.choices:
        raise InvalidAnswer(field.name, f"must be one of: {', '.join(field.choices)}")
    return raw


def _choices(field: PromptField, raw: object) -> list[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise InvalidAnswer(field.name, "must be a list of choices")
    wrong = [item for item in raw if item not in field.choices]
    if wrong:
        raise InvalidAnswer(
            field.name, f"{wrong[0]!r} is not a choice; choose from: {', '.join(field.choices)}"
        )
    if len(set(raw)) != len(raw):
        raise InvalidAnswer(field.name, "a choice is given twice")
    return [choice for choice in field.choices if choice in raw]  # the definition's order


def _integer(field: PromptField, raw: object) -> int:
    if isinstance(raw, bool):
        raise InvalidAnswer(field.name, "must be a whole number")
    if isinstance(raw, str):
        try:
            raw = int(raw.strip().replace("_", ""), 10)
        except ValueError:
            raise InvalidAnswer(field.name, "must be a whole number") from None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int):
        raise InvalidAnswer(field.name, "must be a whole number")
    _in_range(field, raw)
    return raw


def _number(field: PromptField, raw: object) -> float:
    if isinstance(raw, bool):
        raise InvalidAnswer(field.name, "must be a number")
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            raise InvalidAnswer(field.name, "must be a number") from None
    if not isinstance(raw, int | float) or not math.isfinite(raw):
        raise InvalidAnswer(field.name, "must be a finite number")
    _in_range(field, raw)
    return float(raw)


def _in_range(field: PromptField, number: float) -> None:
    if field.minimum is not None and number < field.minimum:
        raise InvalidAnswer(field.name, f"at least {_plain(field.minimum)}")
    if field.maximum is not None and number > field.maximum:
        raise InvalidAnswer(field.name, f"at most {_plain(field.maximum)}")


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _boolean(field: PromptField, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
        return raw.strip().lower() in _TRUE_WORDS
    raise InvalidAnswer(field.name, "must be yes or no")


_CHECKERS: dict[FieldType, Any] = {
    FieldType.TEXT: _text,
    FieldType.MULTILINE: _text,
    FieldType.CHOICE: _choice,
    FieldType.CHOICES: _choices,
    FieldType.INTEGER: _integer,
    FieldType.NUMBER: _number,
    FieldType.BOOLEAN: _boolean,
}
