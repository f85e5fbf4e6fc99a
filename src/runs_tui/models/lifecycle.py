"""The legal status transitions of a run, per kind.

The engine asks `check_transition` before every status change and the tests assert that every
transition seen over the API is in this table, so "any other transition is a bug" is enforced in
one place.

Flow runs:
    Pending → Identifying Tools → (Scheduled for Execution) → Ready for Execution →
    Executing Triage ⇄ Waiting for User Input (Triage) → Deciding Remediation →
    Ready for Remediation → Executing Remediation ⇄ Waiting for User Input (Remediation) →
    Summarizing → Completed Success | Completed Failure | Completed Partial.
    Deciding Remediation → Summarizing when no remediation applies (or triage failed).
    Identifying Tools → Completed Failure when a step names a tool that does not exist;
    Identifying Tools → No Steps when nothing is executable.

Guide runs have no triage and no decision: their procedure is shown as remediation.
    Pending → Identifying Tools → (Scheduled for Execution) → Ready for Execution →
    Executing Remediation ⇄ Waiting for User Input (Remediation) → Summarizing → completion.

Both: Cancelled from any non-terminal status.
"""

from __future__ import annotations

from enum import StrEnum

from runs_tui.models.status import RunStatus


class RunKind(StrEnum):
    FLOW = "flow"
    GUIDE = "guide"


class IllegalTransition(RuntimeError):
    """Raised by the engine instead of recording a transition the lifecycle forbids."""


_COMMON: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.PENDING: frozenset({RunStatus.IDENTIFYING_TOOLS}),
    RunStatus.IDENTIFYING_TOOLS: frozenset(
        {
            RunStatus.SCHEDULED_FOR_EXECUTION,
            RunStatus.READY_FOR_EXECUTION,
            RunStatus.NO_STEPS,
            RunStatus.COMPLETED_FAILURE,
        }
    ),
    RunStatus.SCHEDULED_FOR_EXECUTION: frozenset({RunStatus.READY_FOR_EXECUTION}),
    RunStatus.EXECUTING_REMEDIATION: frozenset(
        {RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION, RunStatus.SUMMARIZING}
    ),
    RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: frozenset({RunStatus.EXECUTING_REMEDIATION}),
    RunStatus.SUMMARIZING: frozenset(
        {RunStatus.COMPLETED_SUCCESS, RunStatus.COMPLETED_FAILURE, RunStatus.COMPLETED_PARTIAL}
    ),
}

_FLOW_ONLY: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.READY_FOR_EXECUTION: frozenset({RunStatus.EXECUTING_TRIAGE}),
    RunStatus.EXECUTING_TRIAGE: frozenset(
        {RunStatus.WAITING_FOR_USER_INPUT_TRIAGE, RunStatus.DECIDING_REMEDIATION}
    ),
    RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: frozenset({RunStatus.EXECUTING_TRIAGE}),
    RunStatus.DECIDING_REMEDIATION: frozenset(
        {RunStatus.READY_FOR_REMEDIATION, RunStatus.SUMMARIZING}
    ),
    RunStatus.READY_FOR_REMEDIATION: frozenset({RunStatus.EXECUTING_REMEDIATION}),
}

_GUIDE_ONLY: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.READY_FOR_EXECUTION: frozenset({RunStatus.EXECUTING_REMEDIATION}),
}


def _with_cancel(
    table: dict[RunStatus, frozenset[RunStatus]],
) -> dict[RunStatus, frozenset[RunStatus]]:
    result = {
        status: frozenset(targets | {RunStatus.CANCELLED}) for status, targets in table.items()
    }
    for status in RunStatus:
        if not status.is_terminal:
            result.setdefault(status, frozenset({RunStatus.CANCELLED}))
    return result


TRANSITIONS: dict[RunKind, dict[RunStatus, frozenset[RunStatus]]] = {
    RunKind.FLOW: _with_cancel({**_COMMON, **_FLOW_ONLY}),
    RunKind.GUIDE: _with_cancel({**_COMMON, **_GUIDE_ONLY}),
}

GUIDE_STATUSES: frozenset[RunStatus] = frozenset(
    {
        RunStatus.PENDING,
        RunStatus.IDENTIFYING_TOOLS,
        RunStatus.SCHEDULED_FOR_EXECUTION,
        RunStatus.READY_FOR_EXECUTION,
    }
    | {
        RunStatus.EXECUTING_REMEDIATION,
        RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION,
        RunStatus.SUMMARIZING,
    }
    | {s for s in RunStatus if s.is_terminal}
)


def is_legal(kind: RunKind, current: RunStatus, target: RunStatus) -> bool:
    return target in TRANSITIONS[kind].get(current, frozenset())


def check_transition(kind: RunKind, current: RunStatus, target: RunStatus) -> None:
    if not is_legal(kind, current, target):
        raise IllegalTransition(f"{kind} run cannot go from {current.label} to {target.label}")
