"""Domain types shared by the backend, the cache, the CLI and the dashboard."""

from runs_tui.models.domain import (
    API_PREFIX,
    ApiError,
    ApiErrorBody,
    AutomationType,
    ChangesPage,
    DefinitionSummary,
    ErrorCode,
    Event,
    EventType,
    InputSpec,
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
    TriggerKind,
    Variable,
    VariableDirection,
)
from runs_tui.models.filters import RunFilter, SortColumn, TimePreset, TimeRange
from runs_tui.models.lifecycle import RunKind, check_transition, is_legal
from runs_tui.models.status import RunStatus, StatusGroup, StatusPhase, parse_status_filter

__all__ = [
    "API_PREFIX", "ApiError", "ApiErrorBody", "AutomationType", "ChangesPage",
    "DefinitionSummary", "ErrorCode", "Event", "EventType", "InputSpec", "Prompt", "PromptKind",
    "PromptResponse", "RunDetail", "RunFilter", "RunKind", "RunStatus", "RunSummary", "SortColumn",
    "StatusGroup", "StatusPhase", "Step", "StepPhase", "StepStatus", "TimePreset", "TimeRange",
    "ToolInvocation", "Trigger", "TriggerKind", "Variable", "VariableDirection",
    "check_transition", "is_legal", "parse_status_filter",
]
