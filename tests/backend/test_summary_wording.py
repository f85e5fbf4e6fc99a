"""The run summary's words (issue 9): counted plurals, never "step(s)"; triage counts skips."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runs_tui.backend.engine import _cancel_summary, steps_word, summary_text
from runs_tui.models.domain import AutomationType, Step, StepPhase, StepStatus
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus


def step(phase: StepPhase, position: int, status: StepStatus) -> Step:
    return Step(
        id=f"{phase.value}-{position}",
        phase=phase,
        position=position,
        title="t",
        automation=AutomationType.AUTOMATED,
        status=status,
    )


def test_counted_words() -> None:
    assert [steps_word(n) for n in (0, 1, 2)] == ["0 steps", "1 step", "2 steps"]


def test_triage_summary_counts_skipped_steps_and_says_steps(make_run: Callable[..., Any]) -> None:
    steps = [
        step(StepPhase.TRIAGE, 1, StepStatus.FAILED),
        step(StepPhase.TRIAGE, 2, StepStatus.SKIPPED),
        step(StepPhase.TRIAGE, 3, StepStatus.SKIPPED),
        step(StepPhase.REMEDIATION, 1, StepStatus.SUCCEEDED),
    ]
    run = make_run(kind=RunKind.FLOW, steps=steps)
    text = summary_text(run, None, RunStatus.COMPLETED_FAILURE)  # type: ignore[arg-type]
    assert "Triage ran 3 steps: 0 succeeded, 1 failed, 2 skipped." in text
    assert "Remediation: 1 of 1 step succeeded, 0 failed, 0 skipped." in text
    assert "(s)" not in text
    assert _cancel_summary(make_run(steps=steps[:1])) == "Cancelled after 0 of 1 step succeeded."
