"""The export writers: full content, stable bytes, RFC 4180 CSV, neutralised formulas."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from exports.hostile import hostile_strings, unsafe_characters
from runs_tui import exports
from runs_tui.exports import ExportFormat
from runs_tui.models.domain import (
    AutomationType,
    Event,
    EventType,
    Prompt,
    PromptKind,
    PromptResponse,
    RunDetail,
    RunSummary,
    Step,
    StepPhase,
    StepStatus,
    ToolInvocation,
    Trigger,
    Variable,
    VariableDirection,
)
from runs_tui.models.filters import RunFilter
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus
from runs_tui.sanitize import inert_cell

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
csv.field_size_limit(1 << 30)


def step(position: int, text: str, status: StepStatus = StepStatus.SUCCEEDED) -> Step:
    return Step(
        id=f"s{position}",
        phase=StepPhase.TRIAGE,
        position=position,
        title=text,
        description=text,
        automation=AutomationType.SEMI_AUTOMATED,
        status=status,
        started_at=T0 + timedelta(seconds=position),
        finished_at=T0 + timedelta(seconds=position + 2),
        tool=ToolInvocation(
            tool="sh", tool_type="shell", input={"cmd": text}, output=text, exit_status=-9
        ),
        prompt=Prompt(kind=PromptKind.CONFIRM, question=text),
        response=PromptResponse(value="approve", note=text, answered_by=text, answered_at=T0),
        error=text,
    )


def run_with(text: str, steps: int = 2, run_id: str = "r-1") -> RunDetail:
    return RunDetail(
        id=run_id,
        kind=RunKind.FLOW,
        definition_id="db-health",
        name=text,
        status=RunStatus.COMPLETED_PARTIAL,
        trigger=Trigger(actor=text),
        created_at=T0,
        started_at=T0,
        finished_at=T0 + timedelta(minutes=5),
        updated_at=T0 + timedelta(minutes=5),
        root_cause=text,
        outcome=text,
        summary=text,
        error=text,
        inputs={"host": text},
        version=3,
        seq=7,
        steps=[step(i, text) for i in range(steps)],
        variables=[Variable(name="v", value=text, direction=VariableDirection.OUTPUT)],
        events=[Event(seq=1, at=T0, type=EventType.RUN_CREATED, data={"text": text})],
    )


def render(write: object, *args: object) -> str:
    stream = io.StringIO(newline="")
    write(*args, stream)  # type: ignore[operator]
    return stream.getvalue()


def test_the_json_export_is_the_full_nested_run_with_a_format_version() -> None:
    detail = run_with("Disk almost full", steps=3)
    document = json.loads(render(exports.write_run_json, detail))
    assert document["format_version"] == exports.FORMAT_VERSION
    run = document["run"]
    assert run["status_label"] == "Completed Partial"
    assert [s["id"] for s in run["steps"]] == ["s0", "s1", "s2"]
    assert run["steps"][0]["tool"]["input"] == {"cmd": "Disk almost full"}
    assert run["steps"][0]["tool"]["output"] == "Disk almost full"
    assert (
        run["variables"][0]["value"] == "Disk almost full"
        and run["events"][0]["type"] == "run_created"
    )
    assert RunDetail.model_validate(run) == detail


def test_same_run_gives_the_same_bytes_whatever_the_order_it_arrived_in() -> None:
    detail = run_with("x", steps=6)
    shuffled = detail.model_copy(update={"steps": random.Random(3).sample(detail.steps, k=6)})
    for fmt in ExportFormat:
        first = render(exports.write_run, detail, fmt)
        assert render(exports.write_run, shuffled, fmt) == first


def test_the_run_csv_has_one_row_per_step_with_the_run_columns_repeated() -> None:
    text = render(exports.write_run_csv, run_with("plain", steps=3))
    assert text.endswith("\r\n") and "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["step_id"] for row in rows] == ["s0", "s1", "s2"]
    assert {row["run_id"] for row in rows} == {"r-1"} and {row["status_label"] for row in rows} == {
        "Completed Partial"
    }
    assert rows[0]["duration_seconds"] == "300.0" and rows[0]["step_duration_seconds"] == "2.0"
    assert rows[0]["tool_exit_status"] == "-9"  # our own numbers are not "formulas"
    assert list(rows[0]) == list(exports.RUN_EXPORT_COLUMNS)


def test_a_run_without_steps_still_has_a_row() -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(render(exports.write_run_csv, run_with("s", steps=0)), newline="")
        )
    )
    assert len(rows) == 1 and rows[0]["run_id"] == "r-1" and rows[0]["step_id"] == ""


def test_the_list_exports_have_one_entry_per_run() -> None:
    runs: list[RunSummary] = [run_with(f"run {i}", steps=1, run_id=f"r-{i}") for i in range(3)]
    document = json.loads(render(exports.write_list_json, runs, RunFilter()))
    assert document["format_version"] == exports.FORMAT_VERSION
    assert document["filter"] == RunFilter().to_dict()
    assert [run["id"] for run in document["runs"]] == ["r-0", "r-1", "r-2"]
    assert "steps" not in document["runs"][0]
    rows = list(csv.DictReader(io.StringIO(render(exports.write_list_csv, runs), newline="")))
    assert [row["run_id"] for row in rows] == ["r-0", "r-1", "r-2"]
    assert json.loads(render(exports.write_list_json, [], RunFilter()))["runs"] == []


@pytest.mark.parametrize(
    ("name", "value"), hostile_strings(), ids=[n for n, _ in hostile_strings()]
)
def test_hostile_text_in_csv_is_shown_as_pictures_and_never_starts_a_formula(
    name: str, value: str
) -> None:
    for text in (
        render(exports.write_run_csv, run_with(value, steps=1)),
        render(exports.write_list_csv, [run_with(value, steps=0)]),
    ):
        assert not unsafe_characters(text), (
            "a control, bidi or zero-width character is raw in the CSV"
        )
        rows = list(csv.reader(io.StringIO(text, newline="")))
        for cell in (cell for row in rows[1:] for cell in row):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell == "-9"
        expected = exports.neutralise_cell(inert_cell(value))
        header = rows[0]
        assert rows[1][header.index("name")] == expected
        inputs = rows[1][header.index("inputs")]
        assert json.loads(inputs.removeprefix("'")) == {"host": value}  # nested values stay exact


def test_csv_pictures_replace_escapes_but_keep_newlines_and_tabs() -> None:
    text = render(exports.write_list_csv, [run_with("a\x1b]0;t\x07b\u202e\x9b\tc\nd\re", steps=0)])
    name = list(csv.reader(io.StringIO(text, newline="")))[1][1]
    assert name == "a␛]0;t␇b⟨U+202E⟩�\tc\nd␍e"


@pytest.mark.parametrize(
    ("name", "value"), hostile_strings(), ids=[n for n, _ in hostile_strings()]
)
def test_hostile_text_survives_json_literally_and_escaped(name: str, value: str) -> None:
    for text in (
        render(exports.write_run_json, run_with(value, steps=1)),
        render(exports.write_list_json, [run_with(value, steps=0)], RunFilter(name=value)),
    ):
        assert not unsafe_characters(text), (
            "a control, bidi or zero-width character is raw in the JSON"
        )
        document = json.loads(text)
        run = document["run"] if "run" in document else document["runs"][0]
        assert run["name"] == value
    document = json.loads(render(exports.write_run_json, run_with(value, steps=1)))
    assert document["run"]["steps"][0]["tool"]["output"] == value


def test_json_writes_c1_del_bidi_and_zero_width_as_escapes() -> None:
    text = render(exports.write_run_json, run_with("\x9b31m\x7f\u202e\u200b\u2028\x1b", steps=0))
    assert '"name": "\\u009b31m\\u007f\\u202e\\u200b\\u2028\\u001b"' in text


@pytest.mark.parametrize(
    "value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]
)
def test_formula_leads_are_prefixed_with_a_quote(value: str) -> None:
    assert exports.neutralise_cell(value) == "'" + value
    assert exports.neutralise_cell("plain =1") == "plain =1"


@pytest.mark.parametrize(
    ("run_id", "name"),
    [
        ("r-1", "run-r-1.json"),
        ("../../etc/passwd", "run-______etc_passwd.json"),
        ("a/b\\c\x00", "run-a_b_c_.json"),
        ("", "run-_.json"),
    ],
)
def test_the_default_file_name_comes_from_the_sanitised_id_only(run_id: str, name: str) -> None:
    assert exports.default_run_filename(run_id, ExportFormat.JSON) == name
