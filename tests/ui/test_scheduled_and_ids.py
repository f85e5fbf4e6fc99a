"""Scheduled runs say when they are due, in the list and the detail; the detail shows the id."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from runs_tui.models import RunStatus
from runs_tui.models.domain import Event, EventType, RunDetail
from runs_tui.widgets.run_header import RunHeader
from runs_tui.widgets.run_list import cell_value, layout_columns

from .ui_data import NOW, make_run


def scheduled(run_id: str = "3f9a2c1b7d0e4f5a9b8c7d6e5f4a3b2c") -> object:
    run = make_run(
        1,
        "Database health check",
        RunStatus.SCHEDULED_FOR_EXECUTION,
        age=timedelta(minutes=1),
        ran=None,
    )
    return run.model_copy(
        update={"id": run_id, "scheduled_for": NOW + timedelta(minutes=4, seconds=30)}
    )


@pytest.mark.parametrize(
    ("width", "words"), [(120, "Scheduled for 14:34 · in 4 min"), (80, "Due 14:34 · in 4 min")]
)
def test_the_list_status_cell_says_when_a_scheduled_run_is_due(width: int, words: str) -> None:
    layout = layout_columns(width)
    column = layout.column("status")
    assert column is not None
    text, _ = cell_value(scheduled(), column, layout, NOW, UTC)  # type: ignore[arg-type]
    assert words in text


def test_the_header_shows_the_due_time_and_the_short_id() -> None:
    header = RunHeader(lambda: NOW)
    header.run = scheduled()  # type: ignore[assignment]
    lines = header.render().plain.splitlines()
    assert lines[0].startswith("3f9a2c1b  Database health check")
    assert "Scheduled for 14:34 · in 4 min" in lines[1] and "Started" not in lines[1]


def test_a_short_id_is_shown_whole() -> None:
    header = RunHeader(lambda: NOW)
    header.run = scheduled("run-0001")  # type: ignore[assignment]
    assert header.render().plain.startswith("run-0001  ")


def test_a_cancelled_run_says_who_cancelled_it_and_when() -> None:
    run = make_run(
        2, "Disk pressure", RunStatus.CANCELLED, age=timedelta(minutes=9), ran=timedelta(minutes=3)
    )
    event = Event(
        seq=4,
        at=NOW,
        type=EventType.STATUS_CHANGED,
        data={"from": "executing_triage", "to": "cancelled", "actor": "cli-oncall"},
    )
    detail = RunDetail(**run.model_dump(), events=[event])
    header = RunHeader(lambda: NOW)
    header.run = detail
    assert header.render().plain.splitlines()[-1] == "Cancelled by cli-oncall at 14:24:05"


def test_a_cancelled_summary_names_the_actor_from_the_backends_error() -> None:
    run = make_run(
        2, "Disk pressure", RunStatus.CANCELLED, age=timedelta(minutes=9), ran=timedelta(minutes=3)
    )
    header = RunHeader(lambda: NOW)
    header.run = run.model_copy(update={"error": "cancelled by \x1b[31mmallory"})
    assert header.render().plain.splitlines()[-1] == "Cancelled by ␛[31mmallory at 14:24:05"
