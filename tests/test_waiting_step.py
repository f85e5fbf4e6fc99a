"""`RunDetail.waiting_step`: the one rule (dashboard and CLI) for which step an answer goes to."""

from __future__ import annotations

from datetime import UTC, datetime

from runs_tui.models.domain import (
    AutomationType,
    Prompt,
    PromptKind,
    RunDetail,
    Step,
    StepPhase,
    StepStatus,
    Trigger,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _step(step_id: str, position: int, status: StepStatus, prompt: bool = True) -> Step:
    return Step(
        id=step_id,
        phase=StepPhase.PROCEDURE,
        position=position,
        title=step_id,
        automation=AutomationType.MANUAL,
        status=status,
        prompt=Prompt(kind=PromptKind.COMPLETE, question=f"{step_id}?") if prompt else None,
    )


def _run(current: str | None, *steps: Step) -> RunDetail:
    return RunDetail(
        id="r",
        kind=RunKind.GUIDE,
        definition_id="g",
        name="G",
        status=RunStatus.WAITING_FOR_USER_INPUT_TRIAGE,
        trigger=Trigger(),
        created_at=AT,
        updated_at=AT,
        version=1,
        seq=1,
        current_step_id=current,
        steps=list(steps),
    )


def test_the_backends_current_step_wins_when_it_waits() -> None:
    run = _run(
        "b",
        _step("a", 1, StepStatus.WAITING_FOR_INPUT),
        _step("b", 2, StepStatus.WAITING_FOR_INPUT),
    )
    step = run.waiting_step()
    assert step is not None and step.id == "b"


def test_else_the_first_waiting_step_with_a_prompt() -> None:
    run = _run(
        "x",
        _step("a", 1, StepStatus.SUCCEEDED),
        _step("b", 2, StepStatus.WAITING_FOR_INPUT, prompt=False),
        _step("c", 3, StepStatus.WAITING_FOR_INPUT),
    )
    step = run.waiting_step()
    assert step is not None and step.id == "c"


def test_nothing_waits() -> None:
    assert _run(None, _step("a", 1, StepStatus.RUNNING)).waiting_step() is None
