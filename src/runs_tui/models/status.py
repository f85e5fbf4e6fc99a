"""Run statuses, their groups and the lifecycle they may move through.

The labels are the seed's (`Runs` page) words, letter for letter: the dashboard, the CLI and
exports all show them, so there is exactly one place that spells them.

The seed's four tables list sixteen statuses; "Waiting for User Input" in its prose is the name
of the waiting group, not a seventeenth status (see the README's "Statuses" section).
"""

from __future__ import annotations

from enum import StrEnum


class StatusPhase(StrEnum):
    """The four tables of the seed page: where in its life a run is."""

    STARTUP = "startup"
    ACTIVE = "active"
    WAITING = "waiting"
    COMPLETION = "completion"


class RunStatus(StrEnum):
    """Every status a run can have; the value is the wire/storage spelling."""

    PENDING = "pending"
    IDENTIFYING_TOOLS = "identifying_tools"
    SCHEDULED_FOR_EXECUTION = "scheduled_for_execution"
    READY_FOR_EXECUTION = "ready_for_execution"
    EXECUTING_TRIAGE = "executing_triage"
    DECIDING_REMEDIATION = "deciding_remediation"
    READY_FOR_REMEDIATION = "ready_for_remediation"
    EXECUTING_REMEDIATION = "executing_remediation"
    SUMMARIZING = "summarizing"
    WAITING_FOR_USER_INPUT_TRIAGE = "waiting_for_user_input_triage"
    WAITING_FOR_USER_INPUT_REMEDIATION = "waiting_for_user_input_remediation"
    COMPLETED_SUCCESS = "completed_success"
    COMPLETED_FAILURE = "completed_failure"
    COMPLETED_PARTIAL = "completed_partial"
    CANCELLED = "cancelled"
    NO_STEPS = "no_steps"

    @property
    def label(self) -> str:
        """The seed's display label."""
        return _LABELS[self]

    @classmethod
    def label_of(cls, value: object) -> str | None:
        """The display label of a status spelled as on the wire (event data, a 409's details),
        or None when the text names no status: the caller says how to show unknown text."""
        try:
            return cls(str(value)).label
        except ValueError:
            return None

    @property
    def description(self) -> str:
        """The seed's one-line description."""
        return _DESCRIPTIONS[self]

    @property
    def phase(self) -> StatusPhase:
        return _PHASES[self]

    @property
    def is_terminal(self) -> bool:
        return self.phase is StatusPhase.COMPLETION

    @property
    def is_waiting(self) -> bool:
        return self.phase is StatusPhase.WAITING

    @property
    def is_active(self) -> bool:
        """Active in the filter sense: anything not finished (startup, active or waiting)."""
        return not self.is_terminal

    @classmethod
    def from_label(cls, text: str) -> RunStatus:
        """Accept a label ("Completed Failure"), a value ("completed_failure") or a loose
        spelling ("completed-failure"), as typed on a command line."""
        wanted = _normalise(text)
        for status in cls:
            if wanted in (_normalise(status.value), _normalise(status.label)):
                return status
        raise ValueError(f"unknown status: {text!r}")


def _normalise(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


_LABELS: dict[RunStatus, str] = {
    RunStatus.PENDING: "Pending",
    RunStatus.IDENTIFYING_TOOLS: "Identifying Tools",
    RunStatus.SCHEDULED_FOR_EXECUTION: "Scheduled for Execution",
    RunStatus.READY_FOR_EXECUTION: "Ready for Execution",
    RunStatus.EXECUTING_TRIAGE: "Executing Triage",
    RunStatus.DECIDING_REMEDIATION: "Deciding Remediation",
    RunStatus.READY_FOR_REMEDIATION: "Ready for Remediation",
    RunStatus.EXECUTING_REMEDIATION: "Executing Remediation",
    RunStatus.SUMMARIZING: "Summarizing",
    RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: "Waiting for User Input (Triage)",
    RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: "Waiting for User Input (Remediation)",
    RunStatus.COMPLETED_SUCCESS: "Completed Success",
    RunStatus.COMPLETED_FAILURE: "Completed Failure",
    RunStatus.COMPLETED_PARTIAL: "Completed Partial",
    RunStatus.CANCELLED: "Cancelled",
    RunStatus.NO_STEPS: "No Steps",
}

_DESCRIPTIONS: dict[RunStatus, str] = {
    RunStatus.PENDING: "Run is queued, waiting to start",
    RunStatus.IDENTIFYING_TOOLS: "System is identifying required tools",
    RunStatus.SCHEDULED_FOR_EXECUTION: "Run will start at a scheduled time",
    RunStatus.READY_FOR_EXECUTION: "Run is about to begin",
    RunStatus.EXECUTING_TRIAGE: "Running diagnostic steps",
    RunStatus.DECIDING_REMEDIATION: "AI determining which remediation to run",
    RunStatus.READY_FOR_REMEDIATION: "Triage complete, remediation ready",
    RunStatus.EXECUTING_REMEDIATION: "Running resolution steps",
    RunStatus.SUMMARIZING: "Generating execution summary",
    RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: "A triage step needs your input",
    RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: "A remediation step needs your input",
    RunStatus.COMPLETED_SUCCESS: "Run finished successfully",
    RunStatus.COMPLETED_FAILURE: "Run completed with failures",
    RunStatus.COMPLETED_PARTIAL: "Some steps succeeded, some failed",
    RunStatus.CANCELLED: "Run was stopped by user",
    RunStatus.NO_STEPS: "No steps were found to execute",
}

_PHASES: dict[RunStatus, StatusPhase] = {
    RunStatus.PENDING: StatusPhase.STARTUP,
    RunStatus.IDENTIFYING_TOOLS: StatusPhase.STARTUP,
    RunStatus.SCHEDULED_FOR_EXECUTION: StatusPhase.STARTUP,
    RunStatus.READY_FOR_EXECUTION: StatusPhase.STARTUP,
    RunStatus.EXECUTING_TRIAGE: StatusPhase.ACTIVE,
    RunStatus.DECIDING_REMEDIATION: StatusPhase.ACTIVE,
    RunStatus.READY_FOR_REMEDIATION: StatusPhase.ACTIVE,
    RunStatus.EXECUTING_REMEDIATION: StatusPhase.ACTIVE,
    RunStatus.SUMMARIZING: StatusPhase.ACTIVE,
    RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: StatusPhase.WAITING,
    RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: StatusPhase.WAITING,
    RunStatus.COMPLETED_SUCCESS: StatusPhase.COMPLETION,
    RunStatus.COMPLETED_FAILURE: StatusPhase.COMPLETION,
    RunStatus.COMPLETED_PARTIAL: StatusPhase.COMPLETION,
    RunStatus.CANCELLED: StatusPhase.COMPLETION,
    RunStatus.NO_STEPS: StatusPhase.COMPLETION,
}


class StatusGroup(StrEnum):
    """The filter groups used everywhere (list bar, filter screen, CLI `--status`)."""

    ALL = "all"
    ACTIVE = "active"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def statuses(self) -> frozenset[RunStatus]:
        return _GROUP_MEMBERS[self]


_GROUP_MEMBERS: dict[StatusGroup, frozenset[RunStatus]] = {
    StatusGroup.ALL: frozenset(RunStatus),
    StatusGroup.ACTIVE: frozenset(s for s in RunStatus if not s.is_terminal),
    StatusGroup.WAITING: frozenset(s for s in RunStatus if s.is_waiting),
    StatusGroup.COMPLETED: frozenset(s for s in RunStatus if s.is_terminal),
    StatusGroup.FAILED: frozenset({RunStatus.COMPLETED_FAILURE, RunStatus.COMPLETED_PARTIAL}),
    StatusGroup.CANCELLED: frozenset({RunStatus.CANCELLED}),
}


def parse_status_filter(text: str) -> frozenset[RunStatus]:
    """A `--status` value: a group name ("failed") or a single status ("Completed Partial")."""
    try:
        return StatusGroup(text.strip().lower()).statuses
    except ValueError:
        return frozenset({RunStatus.from_label(text)})
