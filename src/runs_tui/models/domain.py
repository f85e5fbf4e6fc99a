"""The wire shapes of the runs API, shared by the reference backend and the client.

These pydantic models *are* the contract a production backend implements: the backend
serialises them, the client validates what it receives against them, and the OpenAPI document is
generated from them. Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from runs_tui.models.lifecycle import RunKind
from runs_tui.models.prompt_fields import (
    MAX_FIELDS,
    FieldValue,
    OnExpiry,
    PromptField,
    legacy_fields,
)
from runs_tui.models.status import RunStatus

API_PREFIX = "/api/v1"
CLIENT_HEADER = "X-Runs-Client"
"""Which program sent a mutating request (`dashboard`, `cli`, anything else is `api`): recorded
in the audit next to the authenticated identity."""
KNOWN_CLIENTS = ("dashboard", "cli")
API_CLIENT = "api"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", use_enum_values=False, defer_build=True)


# --- enums -----------------------------------------------------------------------------------


class TriggerKind(StrEnum):
    MANUAL = "manual"
    CHAT = "chat"
    EXTERNAL = "external"
    SCHEDULE = "schedule"


class StepPhase(StrEnum):
    TRIAGE = "triage"
    REMEDIATION = "remediation"
    PROCEDURE = "procedure"


class AutomationType(StrEnum):
    AUTOMATED = "automated"
    SEMI_AUTOMATED = "semi_automated"
    MANUAL = "manual"
    INFORMATION_ONLY = "information_only"  # guides only


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING_FOR_INPUT = "waiting_for_input"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_finished(self) -> bool:
        return self in {
            StepStatus.SUCCEEDED,
            StepStatus.FAILED,
            StepStatus.SKIPPED,
            StepStatus.CANCELLED,
        }


class PromptKind(StrEnum):
    CONFIRM = "confirm"  # semi-automated: approve / reject the proposed action
    COMPLETE = "complete"  # manual: done / failed
    ANSWER = "answer"  # manual triage question: free text, or one of `choices`


CONFIRM_VALUES = ("approve", "reject")
COMPLETE_VALUES = ("done", "failed")


class EventType(StrEnum):
    RUN_CREATED = "run_created"
    STATUS_CHANGED = "status_changed"
    STEP_STARTED = "step_started"
    STEP_FINISHED = "step_finished"
    TOOL_OUTPUT = "tool_output"
    INPUT_REQUESTED = "input_requested"
    INPUT_RECEIVED = "input_received"
    INPUT_EXPIRED = "input_expired"  # no answer before the deadline: not an answer
    VARIABLE_SET = "variable_set"
    AUDIT = "audit"  # a person's (or script's) action on the run: data is an `AuditEntry`


class VariableDirection(StrEnum):
    INPUT = "input"
    OUTPUT = "output"


# --- runs ------------------------------------------------------------------------------------


class Trigger(_Wire):
    kind: TriggerKind = TriggerKind.MANUAL
    actor: str = Field(
        "", description="Who or what started the run: a user, a chat, an integration, a schedule."
    )


class RunSummary(_Wire):
    """One row of the runs list and of the change feed."""

    id: str
    kind: RunKind
    definition_id: str
    name: str = Field(description="The flow or guide title.")
    status: RunStatus
    trigger: Trigger
    created_at: datetime
    scheduled_for: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime
    current_step_id: str | None = None
    current_step: str | None = Field(None, description="Title of the step running or waiting now.")
    root_cause: str | None = None
    outcome: str | None = None
    summary: str | None = None
    error: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict)
    version: int = Field(description="Increases on every change of the run or its steps.")
    seq: int = Field(description="The change-feed sequence number of the run's latest change.")


class ToolInvocation(_Wire):
    tool: str
    tool_type: str = Field(description="shell | http | sim")
    outpost: str = "local"
    input: dict[str, Any] = Field(default_factory=dict)
    output: str = ""
    output_truncated: bool = False
    exit_status: int | None = None
    error: str | None = None


class Prompt(_Wire):
    kind: PromptKind
    question: str
    description: str = Field("", description="Longer plain text shown under the question.")
    choices: list[str] = Field(default_factory=list)
    allow_free_text: bool = False
    fields: list[PromptField] = Field(
        default_factory=list,
        max_length=MAX_FIELDS,
        description="What the answer must hold. Empty: the kind's single `value` field "
        "(see `effective_fields`).",
    )
    requested_at: datetime | None = None
    prompt_id: Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)] | None = Field(
        None,
        description="Identity of this asking: new each time a step starts waiting. Echo it in "
        "RespondRequest.prompt_id so an answer can only land on the prompt that was shown.",
    )
    expires_at: datetime | None = Field(None, description="The deadline, when the prompt has one.")
    on_expiry: OnExpiry | None = Field(
        None, description="What the deadline does (with expires_at)."
    )
    responders: list[str] = Field(
        default_factory=list,
        description="Who may answer: names and `group:<name>` entries. Empty: anyone.",
    )
    allow_self: bool = Field(
        True, description="False: the person who started the run may not answer (four eyes)."
    )
    context_steps: list[str] = Field(
        default_factory=list, description="Step ids whose output the operator should read first."
    )

    def effective_fields(self) -> list[PromptField]:
        """The fields an answer is checked against: the declared ones, else the kind's one."""
        if self.fields:
            return list(self.fields)
        return legacy_fields(self.kind.value, self.choices, self.allow_free_text)

    def allowed_values(self) -> tuple[str, ...] | None:
        """The closed set of values, or None when free text is accepted."""
        if self.kind is PromptKind.CONFIRM:
            return CONFIRM_VALUES
        if self.kind is PromptKind.COMPLETE:
            return COMPLETE_VALUES
        return None if self.allow_free_text or not self.choices else tuple(self.choices)


class PromptResponse(_Wire):
    value: str = Field(description="The answer in one line (`prompt_fields.answer_text`).")
    values: dict[str, FieldValue] = Field(
        default_factory=dict, description="The checked value of every field answered."
    )
    note: str = ""
    answered_by: str = Field("", description="The authenticated identity, or `system`.")
    answered_at: datetime | None = None
    client: str = Field("", description="dashboard, cli or api (`X-Runs-Client`).")
    expired: bool = Field(False, description="Taken from the defaults when the deadline passed.")


class Step(_Wire):
    id: str
    phase: StepPhase
    position: int
    title: str
    description: str = ""
    automation: AutomationType
    status: StepStatus = StepStatus.PENDING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    tool: ToolInvocation | None = None
    prompt: Prompt | None = None
    response: PromptResponse | None = None
    error: str | None = None


class Variable(_Wire):
    name: str
    value: str
    direction: VariableDirection
    updated_at: datetime | None = None


class Event(_Wire):
    seq: int = Field(description="Position in the run's own append-only log, from 1.")
    at: datetime
    type: EventType
    step_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


_ON_A_STEP = (StepStatus.RUNNING, StepStatus.WAITING_FOR_INPUT)
"""A run is on a step in these states (`RunDetail.active_step`)."""


class RunDetail(RunSummary):
    steps: list[Step] = Field(default_factory=list)
    variables: list[Variable] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)

    def waiting_step(self) -> Step | None:
        """The step an answer goes to: the backend's current step when it waits, else the first
        waiting one. One rule, so the dashboard's prompt and `runs respond` never pick apart."""
        waiting = [
            s
            for s in self.steps
            if s.status is StepStatus.WAITING_FOR_INPUT and s.prompt is not None
        ]
        return next(
            (s for s in waiting if s.id == self.current_step_id), waiting[0] if waiting else None
        )

    def active_step(self) -> Step | None:
        """The step the run is on now, the one the detail marks and follows: the step an answer
        goes to when one waits (`waiting_step`), else the backend's pointer while the run is
        active, else the first running or waiting step. Built on `waiting_step`, so the step
        shown as current is never another than the one the prompt answers."""
        waiting = self.waiting_step()
        if waiting is not None:
            return waiting
        pointed = next((s for s in self.steps if s.id == self.current_step_id), None)
        if pointed is not None and not self.status.is_terminal:
            return pointed
        return next((s for s in self.steps if s.status in _ON_A_STEP), None)


class ChangesPage(_Wire):
    """`GET /runs/changes`: what changed after `cursor`, in sequence order."""

    changes: list[RunSummary]
    deleted: list[str] = Field(description="Ids of runs deleted in this page's range (tombstones).")
    next_cursor: int
    has_more: bool


class RunsPage(_Wire):
    runs: list[RunSummary]
    next_cursor: str | None = None
    total: int | None = None


# --- definitions -----------------------------------------------------------------------------


class InputSpec(_Wire):
    name: str
    description: str = ""
    required: bool = False
    default: str | None = None
    pattern: str | None = None


class DefinitionSummary(_Wire):
    id: str
    kind: RunKind
    title: str
    description: str = ""
    category: str = ""
    tags: list[str] = Field(default_factory=list)
    inputs: list[InputSpec] = Field(default_factory=list)
    schedule_interval_seconds: int | None = None
    step_count: int = 0


# --- requests --------------------------------------------------------------------------------
# Bounds on what a request may carry: every accepted value is stored, and travels again in every
# change-feed page and detail answer, so one unbounded field costs every client forever.

MAX_INPUTS = 64
MAX_NAME_LENGTH = 128  # input names, ids
MAX_ACTOR_LENGTH = 256  # trigger.actor, answered_by
MAX_INPUT_LENGTH = 4096
MAX_TEXT_LENGTH = 10_000  # answers and notes
MAX_BULK_IDS = 10_000


def _no_nul(value: str) -> str:
    """NUL ends a C string: an argv item or environment value holding one cannot be passed to a
    program at all, so it is refused where it enters, not when a tool fails on it."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


def _no_edge_whitespace(value: str) -> str:
    """Refused, not trimmed: a value is passed to tools exactly as given, so a pasted `" db-1"`
    is an error the sender sees rather than a silent change of what they sent."""
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    return value


# The patterns are for the OpenAPI document (so fuzzers and clients know the rule); the checks
# themselves are the validators, in Python's notion of whitespace, which is what strip() uses.
NO_NUL_PATTERN = r"^[^\u0000]*$"
INPUT_VALUE_PATTERN = r"^(?:[^\s\u0000](?:[^\u0000]*[^\s\u0000])?)?$"


def _bounded(max_length: int, pattern: str, *checks: AfterValidator) -> Any:
    schema = {"type": "string", "maxLength": max_length, "pattern": pattern}
    return Annotated[str, StringConstraints(max_length=max_length), *checks, WithJsonSchema(schema)]


Text = _bounded(MAX_TEXT_LENGTH, NO_NUL_PATTERN, AfterValidator(_no_nul))
Actor = _bounded(MAX_ACTOR_LENGTH, NO_NUL_PATTERN, AfterValidator(_no_nul))
InputName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH), AfterValidator(_no_nul)
]
InputValue = _bounded(
    MAX_INPUT_LENGTH,
    INPUT_VALUE_PATTERN,
    AfterValidator(_no_nul),
    AfterValidator(_no_edge_whitespace),
)


class StartRunRequest(_Wire):
    inputs: dict[InputName, InputValue] = Field(
        default_factory=dict,
        max_length=MAX_INPUTS,
        description=(
            "Values by input name, kept exactly as sent: no NUL, no leading or trailing whitespace."
        ),
    )
    trigger: Trigger = Field(
        default_factory=Trigger, description=f"`actor` at most {MAX_ACTOR_LENGTH} characters."
    )

    rerun_of: Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)] | None = Field(
        None,
        description="The run this one repeats (a rerun): recorded in the audit and the new "
        "run's timeline.",
    )

    @model_validator(mode="after")
    def _bounded_trigger(self) -> StartRunRequest:
        """`Trigger` is also a response shape, where the client must accept any length, so the
        request's bound is checked here rather than on the shared model."""
        _no_nul(self.trigger.actor)
        if len(self.trigger.actor) > MAX_ACTOR_LENGTH:
            raise ValueError(f"trigger.actor: at most {MAX_ACTOR_LENGTH} characters")
        return self


class RespondRequest(_Wire):
    value: Text = Field("", description="The answer of a one-field prompt (today's kinds).")
    values: dict[InputName, FieldValue] | None = Field(
        None,
        max_length=MAX_FIELDS,
        description="The answer of a typed prompt, by field name; wins over `value`. Checked "
        "against the prompt's fields: 422 `invalid` with details {field, reason}.",
    )
    note: Text = ""
    answered_by: Actor = Field(
        "",
        description="Ignored as who answered (that is the token's identity); kept as "
        "`declared_by` in the audit when it differs.",
    )
    prompt_id: Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)] | None = Field(
        None,
        description="The Prompt.prompt_id the answer was given to; 409 when the step now waits on "
        "another asking (or not at all). Omitted: the step id alone decides (older clients).",
    )


class CancelRequest(_Wire):
    """The backend records the token's identity as who cancelled (`cancelled by <name>`);
    `actor` is kept for older clients, and recorded as `declared_by` in the audit when it
    names someone else."""

    actor: Actor = ""


class BulkDeleteRequest(_Wire):
    ids: list[Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)]] = Field(
        max_length=MAX_BULK_IDS
    )


class BulkDeleteResult(_Wire):
    deleted: list[str]
    refused: list[ApiErrorBody] = Field(default_factory=list)


# --- audit ----------------------------------------------------------------------------------


class AuditAction(StrEnum):
    ANSWER = "answer"
    EXPIRY = "expiry"  # the system, when a prompt's deadline passed
    CANCEL = "cancel"
    RERUN = "rerun"
    DELETE = "delete"
    BULK_DELETE = "bulk_delete"


class AuditEntry(_Wire):
    """Who did what to which run, through which client, and when. Kept by the backend apart from
    the runs, so that a deleted run's deletion is still on record (`GET /audit`)."""

    seq: int = Field(description="Position in the backend's audit log, from 1.")
    at: datetime
    action: AuditAction
    actor: str = Field(description="The authenticated identity, or `system`.")
    client: str = Field("api", description="dashboard, cli or api (`X-Runs-Client`).")
    run_id: str | None = None
    run_name: str = ""
    step_id: str | None = None
    details: dict[str, Any] = Field(
        default_factory=dict, description="e.g. the answer's values, the new run's id, the ids."
    )


class Me(_Wire):
    """`GET /me`: who the backend says the caller's token is, so a client can say "you may not
    answer" before sending (`responders.answer_refusal`)."""

    name: str
    groups: list[str] = Field(default_factory=list)


class AuditPage(_Wire):
    """`GET /audit?since=SEQ&limit=N`: entries after `since`, oldest first."""

    entries: list[AuditEntry]
    next_cursor: int
    has_more: bool


# --- errors ----------------------------------------------------------------------------------


class ErrorCode(StrEnum):
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"  # authenticated, but a rule (responders, four eyes) says no
    CONFLICT = "conflict"
    INVALID = "invalid"
    GONE = "gone"
    SERVER_ERROR = "server_error"


class ApiErrorBody(_Wire):
    code: ErrorCode
    message: str
    run_id: str | None = None
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="For conflicts: the server's current state (status, answered_by, answered_at).",
    )


class ApiError(_Wire):
    """Every non-2xx answer: `{"error": {"code", "message", ...}}`."""

    error: ApiErrorBody


BulkDeleteResult.model_rebuild()


# --- live stream -----------------------------------------------------------------------------


class StreamEventType(StrEnum):
    CHANGE = "change"  # data: {"seq": int}
    OUTPUT = "output"  # data: {"run_id", "step_id", "chunk"}
    HEARTBEAT = "heartbeat"
