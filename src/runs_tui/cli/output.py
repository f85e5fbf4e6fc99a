"""How runs are printed for people: the `runs list` table and the `runs show` text.

JSON and CSV come from `runs_tui.exports` (the same writers as the dashboard's exports). Every
backend string passes through `inert`, so a run name cannot drive the operator's terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from runs_tui.formatting import format_duration_unspaced, run_elapsed
from runs_tui.models.domain import Prompt, RunDetail, RunSummary, Step, StepStatus
from runs_tui.models.prompt_fields import PromptField
from runs_tui.sanitize import inert

TABLE_COLUMNS = ("NAME", "STATUS", "STARTED", "DURATION", "TRIGGER", "ID")
NAME_WIDTH = 48
TRIGGER_WIDTH = 32


def run_duration(run: RunSummary, now: datetime) -> str:
    """`run_elapsed` in the table's unspaced style, which scripts parse; "-" when none."""
    spent = run_elapsed(run, now)
    return "-" if spent is None else format_duration_unspaced(spent.total_seconds())


def local_time(moment: datetime | None) -> str:
    """In the operator's own time zone, to the second."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def clip(text: str, width: int) -> str:
    """At most `width` characters, an ellipsis marking a cut, so one long name keeps the
    table's columns readable."""
    return text if len(text) <= width else text[: width - 1] + "…"


def table_row(run: RunSummary, now: datetime) -> tuple[str, ...]:
    """One `runs list` row, in `TABLE_COLUMNS` order."""
    trigger = run.trigger.kind.value + (f": {run.trigger.actor}" if run.trigger.actor else "")
    return (
        clip(inert(run.name), NAME_WIDTH),
        run.status.label,
        local_time(run.created_at),
        run_duration(run, now),
        clip(inert(trigger), TRIGGER_WIDTH),
        inert(run.id),
    )


def write_table(rows: Sequence[tuple[str, ...]], stream: TextIO) -> None:
    """Columns padded to their widest cell, two spaces apart, no trailing blanks."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        stream.write("  ".join(cells).rstrip() + "\n")


def write_detail_text(detail: RunDetail, now: datetime, stream: TextIO) -> None:
    """`runs show`: the run as an operator reads it (the JSON form is for programs)."""
    lines = [
        f"{inert(detail.name)}  [{detail.status.label}]",
        f"  id:        {inert(detail.id)}",
        f"  type:      {detail.kind.value} ({inert(detail.definition_id)})",
        f"  trigger:   {detail.trigger.kind.value}"
        + (f" by {inert(detail.trigger.actor)}" if detail.trigger.actor else ""),
        f"  created:   {local_time(detail.created_at)}",
        f"  started:   {local_time(detail.started_at)}",
        f"  finished:  {local_time(detail.finished_at)}",
        f"  duration:  {run_duration(detail, now)}",
    ]
    lines += [f"  {label}: {inert(value)}" for label, value in outcome_fields(detail) if value]
    lines += [
        f"  input {inert(key)} = {inert(value)}" for key, value in sorted(detail.inputs.items())
    ]
    if detail.steps:
        lines.append("steps:")
        lines += [_step_line(step) for step in steps_in_order(detail)]
    if detail.variables:
        lines.append("variables:")
        lines += [
            f"  {v.direction.value:<6} {inert(v.name)} = {inert(v.value)}"
            for v in sorted(detail.variables, key=lambda v: (v.direction.value, v.name))
        ]
    stream.write("\n".join(lines) + "\n")


def outcome_fields(detail: RunDetail) -> list[tuple[str, str | None]]:
    """(label, value) of what the run found and where it stands, unset values included."""
    return [
        ("current step", detail.current_step),
        ("root cause", detail.root_cause),
        ("outcome", detail.outcome),
        ("summary", detail.summary),
        ("error", detail.error),
    ]


def steps_in_order(detail: RunDetail) -> list[Step]:
    """The run's steps as the flow runs them (ties broken by id, so output is stable)."""
    return sorted(detail.steps, key=lambda s: (s.position, s.id))


def _step_line(step: Step) -> str:
    line = (
        f"  {step.position:>2}. [{step.status.label}] {inert(step.title)} "
        f"({step.phase.value}, {step.automation.value})"
    )
    if step.status is StepStatus.WAITING_FOR_INPUT and step.prompt:
        line += f"\n      waiting for input: {inert(step.prompt.question)}"
        allowed = step.prompt.allowed_values()
        if allowed and not step.prompt.fields:
            line += f" [{' | '.join(inert(v) for v in allowed)}]"
        line += "".join(f"\n      {text}" for text in prompt_lines(step.prompt))
    if step.response is not None:
        by = "the deadline passed: defaults taken" if step.response.expired else "answered by"
        who = "" if step.response.expired else f" {inert(step.response.answered_by)}"
        line += f"\n      {by}{who}: {inert(step.response.value)}"
    if step.error:
        line += f"\n      error: {inert(step.error)}"
    return line


def prompt_lines(prompt: Prompt) -> list[str]:
    """What a typed prompt asks beyond its question: the description, the deadline and each
    field with its rule, so `runs show` says how to answer before `runs respond` is tried."""
    lines = [f"| {inert(text)}" for text in prompt.description.splitlines()]
    if prompt.expires_at is not None:
        action = prompt.on_expiry.value if prompt.on_expiry else "fail"
        lines.append(f"deadline: {local_time(prompt.expires_at)} (then: {action})")
    lines += [f"field {_field_rule(field)}" for field in prompt.fields]
    return lines


def _field_rule(field: PromptField) -> str:
    parts = [field.type.value, "required" if field.required else "optional"]
    if field.choices:
        parts.append("one of " + "|".join(inert(c) for c in field.choices))
    if field.pattern is not None:
        parts.append(f"pattern {inert(field.pattern)}")
    if field.minimum is not None or field.maximum is not None:
        low = "" if field.minimum is None else f"{field.minimum:g}"
        high = "" if field.maximum is None else f"{field.maximum:g}"
        parts.append(f"range {low}..{high}")
    if field.min_length is not None or field.max_length is not None:
        parts.append(f"length {field.min_length or 0}..{field.max_length or ''}")
    if field.default is not None:
        parts.append(f"default {inert(_shown(field.default))}")
    label = f" “{inert(field.label)}”" if field.label else ""
    return f"{inert(field.name)}{label} ({', '.join(parts)})"


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)
