"""`runs respond`'s answer: `--value`, `--field name=value …` or `--json FILE|-`, checked
against the prompt as served before anything is sent.

Why check here when the backend checks too: a script that gets a wrong value should learn
which field and why (exit 7), without an answer attempt on the record and without depending on
how a backend words its 422. The rule is `prompt_fields.check_answer`, the backend's own, on
the prompt fetched a moment ago, so what passes here the backend accepts.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runs_tui.cli.exit_codes import CliError, ExitCode
from runs_tui.models.domain import Prompt
from runs_tui.models.prompt_fields import (
    LEGACY_FIELD,
    FieldValue,
    InvalidAnswer,
    PromptField,
    canonical_text,
    check_answer,
    parse_text,
)
from runs_tui.sanitize import inert

Answer = tuple[str, dict[str, FieldValue] | None]
"""(value, values) for `RunsService.respond`: a one-field answer of today's kinds goes as
`value` (any backend understands it), a typed one as `values`."""


def answer_from_args(
    prompt: Prompt, *, value: str | None, fields: Sequence[str], json_source: str | None
) -> Answer:
    """The answer the options give, checked; CliError USAGE for options that do not fit the
    prompt, INVALID (exit 7) naming the field for a value it refuses."""
    try:
        if json_source is not None:
            return "", _checked(prompt, _json_values(json_source))
        if fields:
            return "", _checked(prompt, _field_values(prompt, fields))
        if value is not None:
            return _one_value(prompt, value)
    except InvalidAnswer as wrong:
        raise CliError(
            f"invalid answer: {inert(wrong.field)}: {inert(wrong.reason)}", ExitCode.INVALID
        ) from None
    raise CliError(
        "give the answer with --value, --field NAME=VALUE or --json FILE", ExitCode.USAGE
    )


def fields_hint(prompt: Prompt) -> str:
    """How to answer this prompt on the command line, for messages and `runs show`."""
    if not prompt.fields:
        allowed = prompt.allowed_values()
        return f"--value {inert('|'.join(allowed))}" if allowed else "--value TEXT"
    needed = [field for field in prompt.fields if field.required and field.default is None]
    return " ".join(f"--field {inert(field.name)}=…" for field in needed or prompt.fields[:1])


def _one_value(prompt: Prompt, value: str) -> Answer:
    fields = prompt.effective_fields()
    if not prompt.fields:
        spelled = canonical_text(value, prompt.allowed_values() or prompt.choices)
        check_answer(fields, {LEGACY_FIELD: spelled})
        return spelled, None
    if len(fields) != 1:
        names = ", ".join(field.name for field in fields)
        raise CliError(
            f"this prompt asks for {len(fields)} fields ({inert(names)}): "
            "answer with --field NAME=VALUE or --json FILE",
            ExitCode.USAGE,
        )
    return "", _checked(prompt, {fields[0].name: parse_text(fields[0], value)})


def _field_values(prompt: Prompt, given: Sequence[str]) -> dict[str, Any]:
    by_name: dict[str, PromptField] = {field.name: field for field in prompt.effective_fields()}
    values: dict[str, Any] = {}
    for item in given:
        name, equals, text = item.partition("=")
        name = name.strip()
        if not equals or not name:
            raise CliError(f"--field needs NAME=VALUE, not {inert(item)!r}", ExitCode.USAGE)
        if name in values:
            raise CliError(f"--field {inert(name)} is given twice", ExitCode.USAGE)
        field = by_name.get(name)
        if field is None:
            raise InvalidAnswer(name, "this prompt has no such field")
        values[name] = parse_text(field, text)
    return values


def _json_values(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read {inert(source)}: {error.strerror}", ExitCode.USAGE) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(f"--json {inert(source)}: not JSON: {error}", ExitCode.USAGE) from None
    if not isinstance(data, dict):
        raise CliError(
            f"--json {inert(source)}: must be an object of field names to values", ExitCode.USAGE
        )
    return data


def _checked(prompt: Prompt, values: dict[str, Any]) -> dict[str, FieldValue]:
    """The answer as the backend will record it (defaults filled in, values normalised)."""
    return check_answer(prompt.effective_fields(), values)
