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

from runs_tui.models.status import RunStatus as S


class RunKind(StrEnum):
    FLOW = "flow"
    GUIDE = "guide"


class IllegalTransition(RuntimeError):
    """Raised by the engine instead of recording a transition the lifecycle forbids."""


_COMMON: dict[S, frozenset[S]] = {
    S.PENDING: frozenset({S.IDENTIFYING_TOOLS}),
    S.IDENTIFYING_TOOLS: frozenset(
        {S.SCHEDULED_FOR_EXECUTION, S.READY_FOR_EXECUTION, S.NO_STEPS, S.COMPLETED_FAILURE}
    ),
    S.SCHEDULED_FOR_EXECUTION: frozenset({S.READY_FOR_EXECUTION}),
    S.EXECUTING_REMEDIATION: frozenset({S.WAITING_FOR_USER_INPUT_REMEDIATION, S.SUMMARIZING}),
    S.WAITING_FOR_USER_INPUT_REMEDIATION: frozenset({S.EXECUTING_REMEDIATION}),
    S.SUMMARIZING: frozenset({S.COMPLETED_SUCCESS, S.COMPLETED_FAILURE, S.COMPLETED_PARTIAL}),
}

_FLOW_ONLY: dict[S, frozenset[S]] = {
    S.READY_FOR_EXECUTION: frozenset({S.EXECUTING_TRIAGE}),
    S.EXECUTING_TRIAGE: frozenset({S.WAITING_FOR_USER_INPUT_TRIAGE, S.DECIDING_REMEDIATION}),
    S.WAITING_FOR_USER_INPUT_TRIAGE: frozenset({S.EXECUTING_TRIAGE}),
    S.DECIDING_REMEDIATION: frozenset({S.READY_FOR_REMEDIATION, S.SUMMARIZING}),
    S.READY_FOR_REMEDIATION: frozenset({S.EXECUTING_REMEDIATION}),
}

_GUIDE_ONLY: dict[S, frozenset[S]] = {
    S.READY_FOR_EXECUTION: frozenset({S.EXECUTING_REMEDIATION}),
}


def _with_cancel(table: dict[S, frozenset[S]]) -> dict[S, frozenset[S]]:
    result = {status: frozenset(targets | {S.CANCELLED}) for status, targets in table.items()}
    for status in S:
        if not status.is_terminal:
            result.setdefault(status, frozenset({S.CANCELLED}))
    return result


TRANSITIONS: dict[RunKind, dict[S, frozenset[S]]] = {
    RunKind.FLOW: _with_cancel({**_COMMON, **_FLOW_ONLY}),
    RunKind.GUIDE: _with_cancel({**_COMMON, **_GUIDE_ONLY}),
}

GUIDE_STATUSES: frozenset[S] = frozenset(
    {S.PENDING, S.IDENTIFYING_TOOLS, S.SCHEDULED_FOR_EXECUTION, S.READY_FOR_EXECUTION}
    | {S.EXECUTING_REMEDIATION, S.WAITING_FOR_USER_INPUT_REMEDIATION, S.SUMMARIZING}
    | {s for s in S if s.is_terminal}
)


def is_legal(kind: RunKind, current: S, target: S) -> bool:
    return target in TRANSITIONS[kind].get(current, frozenset())


def check_transition(kind: RunKind, current: S, target: S) -> None:
    if not is_legal(kind, current, target):
        raise IllegalTransition(f"{kind} run cannot go from {current.label} to {target.label}")
