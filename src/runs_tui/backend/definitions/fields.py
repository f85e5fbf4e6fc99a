"""Reads a prompt's typed fields, deadline and context from a definition (docs/definitions.md).

Why a module of its own: a field spec has more ways to be wrong than any other table (a type
nobody knows, choices missing, a range upside down, a pattern that does not compile, a default
its own field would refuse). Each is refused here, at load, with the file and key path, so a
wrong definition never reaches an operator as a prompt nobody can answer.
"""

from __future__ import annotations

import re

from runs_tui.backend.definitions.reader import TableReader
from runs_tui.models.prompt_fields import (
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    FieldType,
    InvalidAnswer,
    OnExpiry,
    PromptField,
    check_value,
    defaults_of,
)

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WITH_CHOICES = frozenset({FieldType.CHOICE, FieldType.CHOICES})
_WITH_LENGTH = frozenset({FieldType.TEXT, FieldType.MULTILINE})
_WITH_RANGE = frozenset({FieldType.INTEGER, FieldType.NUMBER})


def prompt_fields(table: TableReader) -> tuple[PromptField, ...]:
    """The `[[…prompt.fields]]` of a prompt table, each checked; names unique."""
    fields = tuple(_field(item) for item in table.tables("fields"))
    if len(fields) > MAX_FIELDS:
        raise table.error("fields", f"at most {MAX_FIELDS} fields")
    names = [field.name for field in fields]
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise table.error("fields", f"field names must be unique; {duplicate!r} is used twice")
    return fields


def expiry(table: TableReader) -> tuple[float | None, OnExpiry | None]:
    """`expires_after` (a duration) and `on_expiry` (fail when not said). `on_expiry` without a
    deadline is refused: it would never happen, and the author meant something."""
    seconds = table.seconds("expires_after")
    on_expiry = table.choice("on_expiry", OnExpiry, None)
    if seconds is None:
        if on_expiry is not None:
            raise table.error("on_expiry", "needs expires_after (when the deadline is)")
        return None, None
    if seconds < 1:
        raise table.error("expires_after", "must be at least one second")
    return seconds, on_expiry or OnExpiry.FAIL


def check_defaults_for_expiry(table: TableReader, fields: list[PromptField]) -> None:
    """`on_expiry = "default"` takes the defaults: every required field must have one."""
    try:
        defaults_of(fields)
    except InvalidAnswer as missing:
        raise table.error(
            "on_expiry",
            f'"default" takes the fields\' defaults, but field {missing.field!r} has none '
            f"({missing.reason})",
        ) from None


def _field(item: TableReader) -> PromptField:
    name = item.text("name")
    if not FIELD_NAME.match(name):
        raise item.error("name", "must be an identifier (letters, digits, '_')")
    field_type = item.choice("type", FieldType, FieldType.TEXT)
    field = PromptField(
        name=name,
        label=item.text("label", ""),
        type=field_type,
        required=item.flag("required", True),
        choices=list(_choices(item, field_type)),
        pattern=_pattern(item, field_type),
        min_length=_length(item, field_type, "min_length"),
        max_length=_length(item, field_type, "max_length"),
        minimum=_bound(item, field_type, "minimum"),
        maximum=_bound(item, field_type, "maximum"),
        description=item.text("description", ""),
    )
    _check_order(item, field.min_length, field.max_length, "min_length", "max_length")
    _check_order(item, field.minimum, field.maximum, "minimum", "maximum")
    field = field.model_copy(update={"default": _default(item, field)})
    item.finish()
    return field


def _choices(item: TableReader, field_type: FieldType) -> tuple[str, ...]:
    choices = item.texts("choices")
    if field_type in _WITH_CHOICES:
        if not choices:
            raise item.error("choices", f"a {field_type.value} field needs choices")
        if len(set(choices)) != len(choices):
            raise item.error("choices", "each choice must be different")
    elif choices:
        raise item.error("choices", f"a {field_type.value} field takes no choices")
    return choices


def _pattern(item: TableReader, field_type: FieldType) -> str | None:
    pattern = item.optional_text("pattern")
    if pattern is None:
        return None
    if field_type is not FieldType.TEXT:
        raise item.error("pattern", "only text fields take a pattern")
    try:
        re.compile(pattern)
    except re.error as error:
        raise item.error("pattern", f"is not a valid regular expression: {error}") from None
    return pattern


def _length(item: TableReader, field_type: FieldType, key: str) -> int | None:
    length = item.integer(key, None)
    if length is None:
        return None
    if field_type not in _WITH_LENGTH:
        raise item.error(key, "only text and multiline fields take length limits")
    if not 0 <= length <= MAX_FIELD_TEXT:
        raise item.error(key, f"must be between 0 and {MAX_FIELD_TEXT}")
    return length


def _bound(item: TableReader, field_type: FieldType, key: str) -> float | None:
    bound = item.number(key, None)
    if bound is None:
        return None
    if field_type not in _WITH_RANGE:
        raise item.error(key, "only integer and number fields take a range")
    return bound


def _check_order(
    item: TableReader, low: float | None, high: float | None, low_key: str, high_key: str
) -> None:
    if low is not None and high is not None and low > high:
        raise item.error(low_key, f"is more than {high_key}")


def _default(item: TableReader, field: PromptField) -> object:
    """The default as the field itself would accept it from a person: checked now, not at
    expiry in the middle of an incident."""
    raw = item._get("default", None)
    if raw is None:
        return None
    try:
        return check_value(field, raw)
    except InvalidAnswer as wrong:
        raise item.error("default", f"{raw!r} is not a valid value: {wrong.reason}") from None
