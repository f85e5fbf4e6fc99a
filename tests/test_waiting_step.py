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


def test_the_current_step_is_the_waiting_one_even_when_the_pointer_names_another() -> None:
    """The step the detail marks as current is the one the prompt answers: the backend's
    pointer on a running step does not draw the eye away from the step that waits."""
    run = _run(
        "a",
        _step("a", 1, StepStatus.RUNNING, prompt=False),
        _step("b", 2, StepStatus.WAITING_FOR_INPUT),
    )
    current, waiting = run.active_step(), run.waiting_step()
    assert current is not None and waiting is not None and current.id == waiting.id == "b"


def test_several_waiting_steps_one_answer_for_current_and_waiting() -> None:
    run = _run(
        "b",
        _step("a", 1, StepStatus.WAITING_FOR_INPUT),
        _step("b", 2, StepStatus.WAITING_FOR_INPUT),
    )
    current = run.active_step()
    assert current is not None and current.id == "b" == (run.waiting_step() or current).id


def test_without_a_waiting_step_the_pointer_then_the_first_running_step() -> None:
    pointed = _run("b", _step("a", 1, StepStatus.RUNNING), _step("b", 2, StepStatus.RUNNING))
    assert (pointed.active_step() or pointed.steps[0]).id == "b"
    stale = _run("x", _step("a", 1, StepStatus.SUCCEEDED), _step("b", 2, StepStatus.RUNNING))
    assert (stale.active_step() or stale.steps[0]).id == "b"


def test_a_finished_run_ignores_the_pointer() -> None:
    run = _run("a", _step("a", 1, StepStatus.SUCCEEDED)).model_copy(
        update={"status": RunStatus.COMPLETED_SUCCESS}
    )
    assert run.active_step() is None
