"""Flow and guide definitions: the TOML schema, its strict loader, and the shipped demo set."""

from runs_tui.backend.definitions.loader import demo_definitions_dir, load_definitions
from runs_tui.backend.definitions.reader import DefinitionError
from runs_tui.backend.definitions.schema import (
    Capture,
    Condition,
    Definition,
    DefinitionSet,
    FlowDefinition,
    GuideDefinition,
    HttpTool,
    Outcome,
    PromptSpec,
    Remediation,
    RootCause,
    ShellTool,
    SimScenario,
    SimTool,
    StepDefinition,
    SuccessIndicator,
    ToolSpec,
)

__all__ = [
    "Capture",
    "Condition",
    "Definition",
    "DefinitionError",
    "DefinitionSet",
    "FlowDefinition",
    "GuideDefinition",
    "HttpTool",
    "Outcome",
    "PromptSpec",
    "Remediation",
    "RootCause",
    "ShellTool",
    "SimScenario",
    "SimTool",
    "StepDefinition",
    "SuccessIndicator",
    "ToolSpec",
    "demo_definitions_dir",
    "load_definitions",
]
