"""A run's exports carry its audit (issue 13): the JSON `audit` list, and CSV audit rows after the
step rows, hostile text neutralised like every other cell."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from runs_tui import exports
from runs_tui.models.domain import (
    AutomationType,
    Event,
    EventType,
    RunDetail,
    Step,
    StepPhase,
    Trigger,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _audit(
    seq: int, action: str, actor: str, client: str, step_id: str | None, **details: object
) -> Event:
    return Event(
        seq=seq,
        at=T0 + timedelta(minutes=seq),
        type=EventType.AUDIT,
        step_id=step_id,
        data={"action": action, "actor": actor, "client": client, "details": details},
    )


def _run() -> RunDetail:
    return RunDetail(
        id="r-1",
        kind=RunKind.GUIDE,
        definition_id="change-approval",
        name="Approve a schema change",
        status=RunStatus.CANCELLED,
        trigger=Trigger(actor="ann"),
        created_at=T0,
        updated_at=T0,
        version=4,
        seq=9,
        steps=[
            Step(
                id="s1",
                phase=StepPhase.PROCEDURE,
                position=1,
                title="DBA review",
                automation=AutomationType.MANUAL,
            )
        ],
        events=[
            Event(seq=1, at=T0, type=EventType.RUN_CREATED, data={"actor": "ann"}),
            _audit(3, "cancel", '=HYPERLINK("x")', "cli", None),
            _audit(2, "answer", "bob", "dashboard", "s1", value="done", declared_by="carol"),
            Event(seq=4, at=T0, type=EventType.INPUT_EXPIRED, step_id="s1"),
            _audit(5, "expiry", "system", "backend", "s1", on_expiry="fail"),
        ],
    )


def _render(writer: object, run: RunDetail) -> str:
    stream = io.StringIO(newline="")
    writer(run, stream)  # type: ignore[operator]
    return stream.getvalue()


def test_the_json_export_lists_the_run_s_audit_in_log_order() -> None:
    document = json.loads(_render(exports.write_run_json, _run()))
    audit = document["run"]["audit"]
    assert [(a["event_seq"], a["action"], a["actor"], a["client"]) for a in audit] == [
        (2, "answer", "bob", "dashboard"),
        (3, "cancel", '=HYPERLINK("x")', "cli"),
        (5, "expiry", "system", "backend"),
    ]
    assert audit[0]["step_id"] == "s1" and audit[0]["details"] == {
        "value": "done",
        "declared_by": "carol",
    }
    assert audit[0]["at"] == (T0 + timedelta(minutes=2)).isoformat()


def test_the_csv_export_has_an_audit_row_per_audit_event_after_the_steps() -> None:
    rows = list(csv.DictReader(io.StringIO(_render(exports.write_run_csv, _run()), newline="")))
    assert list(rows[0]) == list(exports.RUN_EXPORT_COLUMNS)
    step_row, *audit_rows = rows
    assert step_row["step_title"] == "DBA review" and step_row["audit_action"] == ""
    assert [(r["audit_action"], r["audit_actor"], r["audit_client"]) for r in audit_rows] == [
        ("answer", "bob", "dashboard"),
        ("cancel", '\'=HYPERLINK("x")', "cli"),  # neutralised like every cell
        ("expiry", "system", "backend"),
    ]
    assert [r["step_id"] for r in audit_rows] == ["s1", "", "s1"]
    assert all(r["run_id"] == "r-1" and r["step_title"] == "" for r in audit_rows)
    assert json.loads(audit_rows[0]["audit_details"]) == {"value": "done", "declared_by": "carol"}
