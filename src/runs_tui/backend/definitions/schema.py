"""The parsed, validated shape of flow and guide definitions (see docs/definitions.md).

These are immutable values the engine reads; only the loader builds them, after validation, so
the engine can trust every reference (outcome → remediation, condition → triage step) except
tool names, which are checked per run while Identifying Tools because a missing tool is a run
failure the operator must see, not a load error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from runs_tui.models.domain import (
    AutomationType,
    DefinitionSummary,
    InputSpec,
    PromptKind,
    StepStatus,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.prompt_fields import OnExpiry, PromptField

# --- tools -----------------------------------------------------------------------------------

DEFAULT_TOOL_TIMEOUT = 60.0


@dataclass(frozen=True)
class ShellTool:
    """`argv` items are literals or a whole `{var}` placeholder: a value is always one argv item.
    `option_values` names the variables whose values may start with `-` where the program would
    read them as options (before any literal `--` item)."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    timeout_seconds: float = DEFAULT_TOOL_TIMEOUT
    option_values: frozenset[str] = frozenset()
    idempotent: bool = False  # safe to run twice: re-run after its backend died mid-step
    type: str = "shell"


@dataclass(frozen=True)
class HttpTool:
    name: str
    url: str
    method: str = "GET"
    expected_status: tuple[int, ...] = (200,)
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    timeout_seconds: float = DEFAULT_TOOL_TIMEOUT
    idempotent: bool = False
    type: str = "http"


@dataclass(frozen=True)
class SimScenario:
    """One scripted behaviour of a sim tool; `when_input` ~ `when_pattern` selects it."""

    lines: tuple[str, ...]
    exit_status: int = 0
    line_delay_seconds: float = 0.0
    error: str | None = None
    when_input: str | None = None
    when_pattern: str | None = None
    weight: int = 1


@dataclass(frozen=True)
class SimTool:
    name: str
    scenarios: tuple[SimScenario, ...]
    latency_seconds: float = 0.0
    timeout_seconds: float = DEFAULT_TOOL_TIMEOUT
    idempotent: bool = False
    type: str = "sim"


ToolSpec = ShellTool | HttpTool | SimTool

# --- steps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptSpec:
    """What a step asks a person. `fields` empty: the kind's single `value` field
    (`prompt_fields.legacy_fields`). `expires_after_seconds` set: the prompt has a deadline and
    `on_expiry` says what it does. `context_steps` are step keys, served as the run's step ids."""

    kind: PromptKind
    question: str
    choices: tuple[str, ...] = ()
    allow_free_text: bool = False
    choices_from_outcomes: bool = False
    description: str = ""
    fields: tuple[PromptField, ...] = ()
    expires_after_seconds: float | None = None
    on_expiry: OnExpiry | None = None
    context_steps: tuple[str, ...] = ()
    responders: tuple[str, ...] = ()  # names and `group:<name>`; empty: anyone
    allow_self: bool = True  # False: the run's starter may not answer (four eyes)


@dataclass(frozen=True)
class Capture:
    """Sets an output variable from the tool output: group 1 (or the whole match) of `regex`."""

    variable: str
    regex: str


@dataclass(frozen=True)
class SuccessIndicator:
    """How a tool step's result counts as success; every set field must hold."""

    exit_status: int | None = 0
    output_contains: str | None = None
    output_regex: str | None = None


@dataclass(frozen=True)
class StepDefinition:
    key: str  # referenced by outcome conditions; defaults to "step-<n>"
    title: str
    automation: AutomationType
    description: str = ""
    tool: str | None = None
    tool_config: dict[str, str] = field(default_factory=dict)
    prompt: PromptSpec | None = None
    captures: tuple[Capture, ...] = ()
    success: SuccessIndicator = field(default_factory=SuccessIndicator)
    continue_on_failure: bool = False


# --- flows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A predicate over one triage step's result; every set field must hold."""

    step: str
    status: StepStatus | None = None
    exit_status: int | None = None
    output_contains: str | None = None
    output_regex: str | None = None
    answer: str | None = None


@dataclass(frozen=True)
class Outcome:
    name: str
    when: tuple[Condition, ...] = ()  # empty: the default outcome
    root_causes: tuple[str, ...] = ()
    remediation: str | None = None


@dataclass(frozen=True)
class RootCause:
    name: str
    details: str = ""


@dataclass(frozen=True)
class Remediation:
    id: str
    title: str
    steps: tuple[StepDefinition, ...]


@dataclass(frozen=True)
class FlowDefinition:
    id: str
    title: str
    source: Path
    description: str = ""
    symptoms: tuple[str, ...] = ()
    inputs: tuple[InputSpec, ...] = ()
    schedule_interval_seconds: float | None = None
    triage: tuple[StepDefinition, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    root_causes: tuple[RootCause, ...] = ()
    remediations: dict[str, Remediation] = field(default_factory=dict)
    tools: dict[str, ToolSpec] = field(default_factory=dict)
    kind: RunKind = RunKind.FLOW

    def all_steps(self) -> list[StepDefinition]:
        steps = list(self.triage)
        for remediation in self.remediations.values():
            steps.extend(remediation.steps)
        return steps

    def outcome(self, name: str | None) -> Outcome | None:
        return next((outcome for outcome in self.outcomes if outcome.name == name), None)

    def root_cause(self, name: str) -> RootCause | None:
        return next((cause for cause in self.root_causes if cause.name == name), None)

    def summary(self) -> DefinitionSummary:
        """A flow's symptoms are what the dashboard lists as its tags."""
        return _summary(self, RunKind.FLOW, tags=self.symptoms)


@dataclass(frozen=True)
class GuideDefinition:
    id: str
    title: str
    source: Path
    description: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    inputs: tuple[InputSpec, ...] = ()
    steps: tuple[StepDefinition, ...] = ()
    tools: dict[str, ToolSpec] = field(default_factory=dict)
    schedule_interval_seconds: float | None = None
    kind: RunKind = RunKind.GUIDE

    def all_steps(self) -> list[StepDefinition]:
        return list(self.steps)

    def summary(self) -> DefinitionSummary:
        return _summary(self, RunKind.GUIDE, tags=self.tags, category=self.category)


Definition = FlowDefinition | GuideDefinition


def _summary(
    definition: Definition, kind: RunKind, *, tags: tuple[str, ...], category: str = ""
) -> DefinitionSummary:
    """The wire summary of either kind: the kinds differ only in where tags and category come
    from. A schedule goes out in whole seconds (the wire type is an int)."""
    interval = definition.schedule_interval_seconds
    return DefinitionSummary(
        id=definition.id,
        kind=kind,
        title=definition.title,
        description=definition.description,
        category=category,
        tags=list(tags),
        inputs=list(definition.inputs),
        schedule_interval_seconds=int(interval) if interval else None,
        step_count=len(definition.all_steps()),
    )


@dataclass(frozen=True)
class DefinitionSet:
    """Everything loaded from one folder; `tools` are the shared ones (files of kind "tools")."""

    flows: dict[str, FlowDefinition] = field(default_factory=dict)
    guides: dict[str, GuideDefinition] = field(default_factory=dict)
    tools: dict[str, ToolSpec] = field(default_factory=dict)

    def get(self, kind: RunKind, definition_id: str) -> Definition | None:
        table: dict[str, FlowDefinition] | dict[str, GuideDefinition] = (
            self.flows if kind is RunKind.FLOW else self.guides
        )
        return table.get(definition_id)

    def of_kind(self, kind: RunKind) -> list[Definition]:
        return list(self.flows.values() if kind is RunKind.FLOW else self.guides.values())

    def all(self) -> list[Definition]:
        return [*self.flows.values(), *self.guides.values()]

    def scheduled(self) -> list[Definition]:
        return [d for d in self.all() if d.schedule_interval_seconds]
