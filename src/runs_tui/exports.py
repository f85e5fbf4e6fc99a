"""JSON and CSV exports of one run and of a filtered list, for analysis and compliance.

Exports are evidence, so the same cache must always give the same bytes: keys are sorted, rows
come in a stable order, and nothing is stamped with the time of export. CSV files end up in
spreadsheets, so any cell a spreadsheet would treat as a formula is neutralised. The output
path never derives from backend text (a run named `../../x` must not choose where we write), and
files appear atomically. The token is never at hand here: exports read only the cache.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TextIO

from runs_tui.atomic_write import write_stream_atomically
from runs_tui.models.domain import Event, EventType, RunDetail, RunSummary, Step
from runs_tui.models.filters import RunFilter
from runs_tui.sanitize import escape_json_text, inert_cell

FORMAT_VERSION = 1
CSV_LINE_TERMINATOR = "\r\n"
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class DetailNotCached(LookupError):
    """The cache has no detail for the run: fetch it (sync the detail) before exporting."""


class _CachedDetail(Protocol):
    detail: RunDetail


class ExportSource(Protocol):
    """What exports need from the cache (`runs_tui.cache.Cache` provides it)."""

    def get_detail(self, run_id: str) -> _CachedDetail | None: ...

    def iter_runs(self, f: RunFilter, now: datetime) -> Iterator[RunSummary]: ...


# --- files -----------------------------------------------------------------------------------


def default_run_filename(run_id: str, fmt: ExportFormat) -> str:
    """`run-<id>.<fmt>`, with anything but letters, digits, '-' and '_' in the id replaced."""
    safe = _UNSAFE_ID_CHARS.sub("_", run_id)[:100] or "_"
    return f"run-{safe}.{ExportFormat(fmt).value}"


def default_list_filename(fmt: ExportFormat) -> str:
    return f"runs.{ExportFormat(fmt).value}"


def export_run(
    cache: ExportSource, run_id: str, fmt: ExportFormat, path: Path | None = None
) -> Path:
    """Write one run's export; `path` may be a file, a directory (default name inside) or None
    (default name in the working directory). Raises `DetailNotCached`."""
    cached = cache.get_detail(run_id)
    if cached is None:
        raise DetailNotCached(run_id)
    target = _target(path, default_run_filename(run_id, fmt))
    return write_stream_atomically(target, lambda stream: write_run(cached.detail, fmt, stream))


def export_list(
    cache: ExportSource,
    run_filter: RunFilter,
    now: datetime,
    fmt: ExportFormat,
    path: Path | None = None,
) -> Path:
    """Write the list export of every cached run the filter admits at `now`."""
    target = _target(path, default_list_filename(fmt))
    return write_stream_atomically(
        target, lambda stream: write_list(cache.iter_runs(run_filter, now), run_filter, fmt, stream)
    )


def _target(path: Path | None, default_name: str) -> Path:
    if path is None:
        return Path.cwd() / default_name
    return path / default_name if path.is_dir() else path


# --- streams ---------------------------------------------------------------------------------


def write_run(detail: RunDetail, fmt: ExportFormat, stream: TextIO) -> None:
    """One run to a text stream opened with `newline=""` (or stdout)."""
    writers: dict[ExportFormat, Callable[[RunDetail, TextIO], None]] = {
        ExportFormat.JSON: write_run_json,
        ExportFormat.CSV: write_run_csv,
    }
    writers[ExportFormat(fmt)](detail, stream)


def write_list(
    runs: Iterable[RunSummary], run_filter: RunFilter, fmt: ExportFormat, stream: TextIO
) -> None:
    if ExportFormat(fmt) is ExportFormat.JSON:
        write_list_json(runs, run_filter, stream)
    else:
        write_list_csv(runs, stream)


def run_document(detail: RunDetail) -> dict[str, Any]:
    """The full nested run as JSON-ready data: steps with tool inputs and outputs, variables,
    events, outcome, root cause and summary."""
    run = _summary_object(detail)
    run["steps"] = [step.model_dump(mode="json") for step in _ordered_steps(detail.steps)]
    run["variables"] = [
        variable.model_dump(mode="json")
        for variable in sorted(detail.variables, key=lambda v: (v.direction.value, v.name))
    ]
    run["events"] = [
        event.model_dump(mode="json") for event in sorted(detail.events, key=lambda e: e.seq)
    ]
    run["audit"] = [_audit_object(event) for event in audit_events(detail)]
    return {"format_version": FORMAT_VERSION, "run": run}


def audit_events(detail: RunDetail) -> list[Event]:
    """The run's `audit` events (who answered, cancelled, reran; the system's expiries), in
    log order: what the export's `audit` list and its CSV audit rows hold."""
    return sorted(
        (event for event in detail.events if event.type is EventType.AUDIT), key=lambda e: e.seq
    )


def _audit_object(event: Event) -> dict[str, Any]:
    """One audit record of the export: the event's `AuditEntry` fields, flat."""
    data = event.data
    return {
        "at": event.at.isoformat(),
        "action": str(data.get("action", "")),
        "actor": str(data.get("actor", "")),
        "client": str(data.get("client", "")),
        "step_id": event.step_id,
        "details": data.get("details") or {},
        "event_seq": event.seq,
    }


def write_run_json(detail: RunDetail, stream: TextIO) -> None:
    _dump_json(run_document(detail), stream)


def write_list_json(runs: Iterable[RunSummary], run_filter: RunFilter, stream: TextIO) -> None:
    """`{"format_version", "filter", "runs": [...]}` written run by run, so a million-run list
    never has to sit in memory as one document."""
    stream.write('{\n  "filter": ')
    stream.write(_indented(_json_text(run_filter.to_dict())))
    stream.write(f',\n  "format_version": {FORMAT_VERSION},\n  "runs": [')
    separator = "\n"
    for run in runs:
        text = _json_text(_summary_object(run))
        stream.write(separator + "    " + _indented(text, "    "))
        separator = ",\n"
    stream.write("\n  ]\n}\n" if separator == ",\n" else "]\n}\n")


def _indented(text: str, prefix: str = "  ") -> str:
    return text.replace("\n", "\n" + prefix)


def _dump_json(document: dict[str, Any], stream: TextIO) -> None:
    stream.write(_json_text(document))
    stream.write("\n")


def _json_text(value: object, indent: int | None = 2) -> str:
    """Sorted, readable UTF-8 JSON in which every control, C1, bidi and zero-width character is
    a `\\uXXXX` escape: lossless for programs, and `cat run.json` cannot drive a terminal."""
    return escape_json_text(json.dumps(value, sort_keys=True, indent=indent, ensure_ascii=False))


_SUMMARY_FIELDS = set(RunSummary.model_fields)


def _summary_object(run: RunSummary) -> dict[str, Any]:
    data = run.model_dump(mode="json", include=_SUMMARY_FIELDS)
    data["status_label"] = run.status.label
    return data


def _ordered_steps(steps: Iterable[Step]) -> list[Step]:
    return sorted(steps, key=lambda s: (s.position, s.id))


# --- CSV -------------------------------------------------------------------------------------

RUN_COLUMNS = (
    "run_id",
    "name",
    "kind",
    "definition_id",
    "status",
    "status_label",
    "trigger_kind",
    "trigger_actor",
    "created_at",
    "scheduled_for",
    "started_at",
    "finished_at",
    "duration_seconds",
    "updated_at",
    "current_step",
    "root_cause",
    "outcome",
    "summary",
    "error",
    "inputs",
)
STEP_COLUMNS = (
    "step_position",
    "step_id",
    "step_phase",
    "step_title",
    "step_description",
    "step_automation",
    "step_status",
    "step_started_at",
    "step_finished_at",
    "step_duration_seconds",
    "tool",
    "tool_type",
    "outpost",
    "tool_input",
    "tool_output",
    "tool_output_truncated",
    "tool_exit_status",
    "tool_error",
    "prompt_kind",
    "prompt_question",
    "response_value",
    "response_note",
    "answered_by",
    "answered_at",
    "step_error",
)
AUDIT_COLUMNS = ("audit_at", "audit_action", "audit_actor", "audit_client", "audit_details")
"""Filled on a run export's audit rows (one per `audit` event, after the step rows), empty on
its step rows: who answered, cancelled, reran, and the system's expiries."""
RUN_EXPORT_COLUMNS = RUN_COLUMNS + ("variables",) + STEP_COLUMNS + AUDIT_COLUMNS


def neutralise_cell(text: str) -> str:
    """Prefix `'` to text a spreadsheet would evaluate (formulas, DDE, leading tab or CR)."""
    return "'" + text if text.startswith(_FORMULA_LEADS) else text


def _cell(value: object) -> str:
    """Numbers and booleans are ours and stay as they are; any text is neutralised, its
    control, bidi and zero-width characters shown as the sanitiser's pictures (`␛`, `⟨U+202E⟩`),
    so `cat runs.csv` is as safe as the dashboard. Nested values are escaped JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return neutralise_cell(_json_text(value, indent=None))
    return neutralise_cell(inert_cell(str(value)))


def _writer(stream: TextIO) -> Any:
    return csv.writer(stream, lineterminator=CSV_LINE_TERMINATOR, quoting=csv.QUOTE_MINIMAL)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    """Only finished spans: a running one would differ at every export of the same cache."""
    return round((end - start).total_seconds(), 3) if start and end else None


def _run_cells(run: RunSummary) -> list[str]:
    values: list[object] = [
        run.id,
        run.name,
        run.kind.value,
        run.definition_id,
        run.status.value,
        run.status.label,
        run.trigger.kind.value,
        run.trigger.actor,
        run.created_at,
        run.scheduled_for,
        run.started_at,
        run.finished_at,
        _seconds(run.started_at, run.finished_at),
        run.updated_at,
        run.current_step,
        run.root_cause,
        run.outcome,
        run.summary,
        run.error,
        dict(sorted(run.inputs.items())),
    ]
    return [_cell(value) for value in values]


def _step_cells(step: Step) -> list[str]:
    tool, prompt, response = step.tool, step.prompt, step.response
    values: list[object] = [
        step.position,
        step.id,
        step.phase.value,
        step.title,
        step.description,
        step.automation.value,
        step.status.value,
        step.started_at,
        step.finished_at,
        _seconds(step.started_at, step.finished_at),
        tool.tool if tool else None,
        tool.tool_type if tool else None,
        tool.outpost if tool else None,
        tool.input if tool else None,
        tool.output if tool else None,
        tool.output_truncated if tool else None,
        tool.exit_status if tool else None,
        tool.error if tool else None,
        prompt.kind.value if prompt else None,
        prompt.question if prompt else None,
        response.value if response else None,
        response.note if response else None,
        response.answered_by if response else None,
        response.answered_at if response else None,
        step.error,
    ]
    return [_cell(value) for value in values]


def write_run_csv(detail: RunDetail, stream: TextIO) -> None:
    """One row per step with the run's columns repeated; a run without steps still gets one
    row, so that exporting it is never an empty file."""
    writer = _writer(stream)
    writer.writerow(RUN_EXPORT_COLUMNS)
    variables = {f"{v.direction.value}:{v.name}": v.value for v in detail.variables}
    run_cells = _run_cells(detail) + [_cell(dict(sorted(variables.items())))]
    steps = _ordered_steps(detail.steps)
    no_audit = [""] * len(AUDIT_COLUMNS)
    for step in steps:
        writer.writerow(run_cells + _step_cells(step) + no_audit)
    audits = audit_events(detail)
    if not steps and not audits:
        writer.writerow(run_cells + [""] * len(STEP_COLUMNS) + no_audit)
    for event in audits:
        writer.writerow(run_cells + _audit_step_cells(event) + _audit_cells(event))


def _audit_step_cells(event: Event) -> list[str]:
    """An audit row's step columns: only the step it concerns."""
    cells = [""] * len(STEP_COLUMNS)
    cells[STEP_COLUMNS.index("step_id")] = _cell(event.step_id)
    return cells


def _audit_cells(event: Event) -> list[str]:
    record = _audit_object(event)
    values: list[object] = [
        event.at,
        record["action"],
        record["actor"],
        record["client"],
        record["details"],
    ]
    return [_cell(value) for value in values]


def write_list_csv(runs: Iterable[RunSummary], stream: TextIO) -> None:
    writer = _writer(stream)
    writer.writerow(RUN_COLUMNS)
    for run in runs:
        writer.writerow(_run_cells(run))
