"""Loads and validates every `*.toml` definition file of a folder (schema: docs/definitions.md).

Validation is strict and happens once, here: unknown keys, wrong types, dangling references and
unsafe shell templates are refused with the file and key named, so the engine never meets a
half-valid definition at run time.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from runs_tui.backend.definitions.fields import check_defaults_for_expiry, expiry, prompt_fields
from runs_tui.backend.definitions.reader import DefinitionError, TableReader
from runs_tui.backend.definitions.schema import (
    DEFAULT_TOOL_TIMEOUT,
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
from runs_tui.models.domain import AutomationType, InputSpec, PromptKind, StepStatus
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.prompt_fields import OnExpiry, legacy_fields
from runs_tui.models.responders import GROUP_PREFIX

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
WHOLE_PLACEHOLDER = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def demo_definitions_dir() -> Path:
    """The demo set shipped as package data."""
    return Path(str(resources.files("runs_tui.backend.definitions") / "demo"))


def load_definitions(folder: Path | str | None = None) -> DefinitionSet:
    """Every `*.toml` in `folder` (the demo set when None), in file-name order."""
    root = Path(folder) if folder is not None else demo_definitions_dir()
    if not root.is_dir():
        raise DefinitionError(root, "", "is not a folder of definition files")
    result = DefinitionSet()
    origins: dict[tuple[str, str], Path] = {}
    for path in sorted(root.glob("*.toml")):
        for key, item in _load_file(path):
            if key in origins:
                raise DefinitionError(
                    path,
                    "id" if key[0] != "tool" else f"tools.{key[1]}",
                    f"{key[1]!r} is already defined in {origins[key]}",
                )
            origins[key] = path
            _add(result, item)
    return result


def _add(result: DefinitionSet, item: Definition | ToolSpec) -> None:
    if isinstance(item, FlowDefinition):
        result.flows[item.id] = item
    elif isinstance(item, GuideDefinition):
        result.guides[item.id] = item
    else:
        result.tools[item.name] = item


def _load_file(path: Path) -> list[tuple[tuple[str, str], Definition | ToolSpec]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DefinitionError(path, "", f"is not valid TOML: {error}") from None
    reader = TableReader(data, path)
    kind = reader.text("kind")
    if kind == "tools":
        tools = _tools(reader)
        reader.finish()
        return [(("tool", name), tool) for name, tool in tools.items()]
    if kind == RunKind.FLOW:
        definition: Definition = _flow(reader)
    elif kind == RunKind.GUIDE:
        definition = _guide(reader)
    else:
        raise reader.error("kind", f"{kind!r} is not one of: flow, guide, tools")
    reader.finish()
    return [((definition.kind.value, definition.id), definition)]


# --- flows and guides ------------------------------------------------------------------------


def _identity(reader: TableReader) -> tuple[str, str, str]:
    definition_id = reader.text("id")
    if not SLUG.match(definition_id):
        raise reader.error("id", "must be lower-case letters, digits, '-', '_' or '.'")
    return definition_id, reader.text("title"), reader.text("description", "")


def _flow(reader: TableReader) -> FlowDefinition:
    definition_id, title, description = _identity(reader)
    inputs = _inputs(reader)
    triage = _steps(reader, "triage", RunKind.FLOW)
    root_causes = tuple(_root_cause(item) for item in reader.tables("root_causes"))
    remediations = _remediations(reader)
    outcomes = tuple(_outcome(item) for item in reader.tables("outcomes"))
    flow = FlowDefinition(
        id=definition_id,
        title=title,
        source=reader.path,
        description=description,
        symptoms=reader.texts("symptoms"),
        inputs=inputs,
        schedule_interval_seconds=_interval(reader),
        triage=triage,
        outcomes=outcomes,
        root_causes=root_causes,
        remediations=remediations,
        tools=_tools(reader),
    )
    _check_flow_references(reader, flow)
    _check_placeholders(reader, flow.all_steps(), inputs)
    _check_context_steps(reader, flow.all_steps())
    return flow


def _guide(reader: TableReader) -> GuideDefinition:
    definition_id, title, description = _identity(reader)
    inputs = _inputs(reader)
    guide = GuideDefinition(
        id=definition_id,
        title=title,
        source=reader.path,
        description=description,
        category=reader.text("category", ""),
        tags=reader.texts("tags"),
        inputs=inputs,
        steps=_steps(reader, "steps", RunKind.GUIDE),
        tools=_tools(reader),
    )
    _check_placeholders(reader, guide.all_steps(), inputs)
    _check_context_steps(reader, guide.all_steps())
    return guide


def _interval(reader: TableReader) -> float | None:
    interval = reader.seconds("schedule_interval")
    if interval is not None and interval < 1:
        raise reader.error("schedule_interval", "must be at least one second")
    return interval


def _inputs(reader: TableReader) -> tuple[InputSpec, ...]:
    specs: list[InputSpec] = []
    for item in reader.tables("inputs"):
        name = item.text("name")
        if not IDENTIFIER.match(name):
            raise item.error("name", "must be an identifier (letters, digits, '_')")
        pattern = item.optional_text("pattern")
        default = item.optional_text("default")
        if pattern is not None:
            _compile(item, "pattern", pattern)
            if default is not None and not re.fullmatch(pattern, default):
                raise item.error("default", f"{default!r} does not match the pattern")
        specs.append(
            InputSpec(
                name=name,
                description=item.text("description", ""),
                required=item.flag("required"),
                default=default,
                pattern=pattern,
            )
        )
        item.finish()
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise reader.error("inputs", "input names must be unique")
    return tuple(specs)


def _root_cause(item: TableReader) -> RootCause:
    cause = RootCause(name=item.text("name"), details=item.text("details", ""))
    item.finish()
    return cause


def _remediations(reader: TableReader) -> dict[str, Remediation]:
    remediations: dict[str, Remediation] = {}
    for item in reader.tables("remediations"):
        remediation_id = item.text("id")
        if remediation_id in remediations:
            raise item.error("id", f"{remediation_id!r} is used by another remediation")
        remediations[remediation_id] = Remediation(
            id=remediation_id,
            title=item.text("title"),
            steps=_steps(item, "steps", RunKind.FLOW, phase="remediation"),
        )
        item.finish()
    return remediations


def _outcome(item: TableReader) -> Outcome:
    conditions: list[Condition] = []
    for cond in item.tables("when"):
        conditions.append(
            Condition(
                step=cond.text("step"),
                status=cond.choice("status", StepStatus, None),
                exit_status=cond.integer("exit_status", None),
                output_contains=cond.optional_text("output_contains"),
                output_regex=_optional_regex(cond, "output_regex"),
                answer=cond.optional_text("answer"),
            )
        )
        cond.finish()
    outcome = Outcome(
        name=item.text("name"),
        when=tuple(conditions),
        root_causes=item.texts("root_causes"),
        remediation=item.optional_text("remediation"),
    )
    item.finish()
    return outcome


def _check_flow_references(reader: TableReader, flow: FlowDefinition) -> None:
    triage_keys = {step.key for step in flow.triage}
    cause_names = {cause.name for cause in flow.root_causes}
    outcome_names: set[str] = set()
    for index, outcome in enumerate(flow.outcomes):
        where = f"outcomes[{index}]"
        if outcome.name in outcome_names:
            raise reader.error(f"{where}.name", f"{outcome.name!r} is used by another outcome")
        outcome_names.add(outcome.name)
        if outcome.remediation is not None and outcome.remediation not in flow.remediations:
            raise reader.error(
                f"{where}.remediation", f"no remediation has id {outcome.remediation!r}"
            )
        for cause in outcome.root_causes:
            if cause not in cause_names:
                raise reader.error(f"{where}.root_causes", f"no root cause is named {cause!r}")
        for number, condition in enumerate(outcome.when):
            if condition.step not in triage_keys:
                raise reader.error(
                    f"{where}.when[{number}].step", f"no triage step has key {condition.step!r}"
                )


# --- steps -----------------------------------------------------------------------------------


def _steps(
    reader: TableReader, key: str, kind: RunKind, phase: str = "triage"
) -> tuple[StepDefinition, ...]:
    steps = tuple(
        _step(item, index, kind, phase) for index, item in enumerate(reader.tables(key), 1)
    )
    keys = [step.key for step in steps]
    if len(set(keys)) != len(keys):
        raise reader.error(key, "step keys must be unique")
    return steps


def _step(item: TableReader, position: int, kind: RunKind, phase: str) -> StepDefinition:
    automation = item.choice("automation", AutomationType)
    if automation is AutomationType.INFORMATION_ONLY and kind is RunKind.FLOW:
        raise item.error("automation", "information_only steps exist in guides only")
    title = item.text("title")
    tool, tool_config = _tool_reference(item, automation)
    step = StepDefinition(
        key=item.text("key", f"step-{position}"),
        title=title,
        automation=automation,
        description=item.text("description", ""),
        tool=tool,
        tool_config=tool_config,
        prompt=_step_prompt(item, automation, title, tool, phase),
        captures=tuple(_capture(capture) for capture in item.tables("capture")),
        success=_success(item),
        continue_on_failure=item.flag("continue_on_failure"),
    )
    item.finish()
    return step


def _tool_reference(
    item: TableReader, automation: AutomationType
) -> tuple[str | None, dict[str, str]]:
    needs_tool = automation in (AutomationType.AUTOMATED, AutomationType.SEMI_AUTOMATED)
    if not item.has("tool"):
        if needs_tool:
            raise item.error("tool", f"is required for {automation.value} steps")
        return None, {}
    if not needs_tool:
        raise item.error("tool", f"{automation.value} steps run no tool")
    if isinstance(item._data["tool"], str):  # `tool = "name"` shorthand
        return item.text("tool"), {}
    table = item.table("tool", required=True)
    assert table is not None
    name, config = table.text("name"), table.text_map("config")
    table.finish()
    return name, config


def _who_may_answer(table: TableReader) -> dict[str, Any]:
    """`responders` (names, `group:<name>`) and `allow_self` of a prompt: who may answer it,
    enforced by the engine (403) with `models.responders.answer_refusal`."""
    responders = table.texts("responders")
    for index, entry in enumerate(responders):
        name = entry.removeprefix(GROUP_PREFIX)
        if not name.strip() or name != name.strip() or ":" in name:
            raise table.error(
                f"responders[{index}]", "must be a name or group:<name>, without spaces"
            )
    return {"responders": responders, "allow_self": table.flag("allow_self", True)}


def _step_prompt(
    item: TableReader, automation: AutomationType, title: str, tool: str | None, phase: str
) -> PromptSpec | None:
    table = item.table("prompt")
    if automation in (AutomationType.AUTOMATED, AutomationType.INFORMATION_ONLY):
        if table is not None:
            raise item.error("prompt", f"{automation.value} steps do not ask for input")
        return None
    default_kind = (
        PromptKind.CONFIRM if automation is AutomationType.SEMI_AUTOMATED else PromptKind.COMPLETE
    )
    if table is None:
        question = f"Run {tool} for “{title}”?" if tool else f"Mark “{title}” done when finished."
        return PromptSpec(kind=default_kind, question=question)
    fields = prompt_fields(table)
    kind = table.choice("kind", PromptKind, PromptKind.ANSWER if fields else default_kind)
    if automation is AutomationType.SEMI_AUTOMATED and kind is not PromptKind.CONFIRM:
        raise table.error("kind", "semi_automated steps ask for confirm")
    if automation is AutomationType.MANUAL and kind is PromptKind.CONFIRM:
        raise table.error("kind", "manual steps ask for complete or answer")
    expires_after, on_expiry = expiry(table)
    prompt = PromptSpec(
        kind=kind,
        question=table.text("question"),
        choices=table.texts("choices"),
        allow_free_text=table.flag("allow_free_text"),
        choices_from_outcomes=table.flag("choices_from_outcomes"),
        description=table.text("description", ""),
        fields=fields,
        expires_after_seconds=expires_after,
        on_expiry=on_expiry,
        context_steps=table.texts("context_steps"),
        **_who_may_answer(table),
    )
    if fields and kind is not PromptKind.ANSWER:
        raise table.error("fields", "only answer prompts take fields")
    if fields and (prompt.choices or prompt.allow_free_text or prompt.choices_from_outcomes):
        raise table.error("fields", "fields replace choices, choices_from_outcomes and free text")
    if kind is not PromptKind.ANSWER and (
        prompt.choices or prompt.allow_free_text or prompt.choices_from_outcomes
    ):
        raise table.error("kind", "only answer prompts take choices or free text")
    if prompt.choices_from_outcomes and phase != "triage":
        raise table.error("choices_from_outcomes", "only triage questions can offer the outcomes")
    if kind is PromptKind.ANSWER and not (
        fields or prompt.choices or prompt.allow_free_text or prompt.choices_from_outcomes
    ):
        raise table.error(
            "choices",
            "an answer prompt needs choices, choices_from_outcomes, allow_free_text or fields",
        )
    if on_expiry is OnExpiry.DEFAULT:
        check_defaults_for_expiry(
            table, list(fields) or legacy_fields(kind.value, prompt.choices, prompt.allow_free_text)
        )
    table.finish()
    return prompt


def _capture(item: TableReader) -> Capture:
    variable = item.text("variable")
    if not IDENTIFIER.match(variable):
        raise item.error("variable", "must be an identifier (letters, digits, '_')")
    capture = Capture(variable=variable, regex=_compile(item, "regex", item.text("regex")))
    item.finish()
    return capture


def _success(item: TableReader) -> SuccessIndicator:
    table = item.table("success")
    if table is None:
        return SuccessIndicator()
    indicator = SuccessIndicator(
        exit_status=table.integer("exit_status", 0),
        output_contains=table.optional_text("output_contains"),
        output_regex=_optional_regex(table, "output_regex"),
    )
    table.finish()
    return indicator


def _optional_regex(item: TableReader, key: str) -> str | None:
    pattern = item.optional_text(key)
    return _compile(item, key, pattern) if pattern is not None else None


def _compile(item: TableReader, key: str, pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise item.error(key, f"is not a valid regular expression: {error}") from None
    return pattern


# --- tools -----------------------------------------------------------------------------------


def _tools(reader: TableReader) -> dict[str, ToolSpec]:
    return {name: _tool(name, item) for name, item in reader.named_tables("tools")}


def _tool(name: str, item: TableReader) -> ToolSpec:
    tool_type = item.text("type")
    timeout = item.seconds("timeout", DEFAULT_TOOL_TIMEOUT) or DEFAULT_TOOL_TIMEOUT
    if tool_type == "shell":
        tool: ToolSpec = _shell_tool(name, item, timeout)
    elif tool_type == "http":
        tool = _http_tool(name, item, timeout)
    elif tool_type == "sim":
        tool = _sim_tool(name, item, timeout)
    else:
        raise item.error("type", f"{tool_type!r} is not one of: shell, http, sim")
    if item.flag("idempotent"):
        tool = dataclasses.replace(tool, idempotent=True)
    item.finish()
    return tool


def _shell_tool(name: str, item: TableReader, timeout: float) -> ShellTool:
    argv = item.texts("argv")
    if not argv:
        raise item.error("argv", "must name a program")
    for index, arg in enumerate(argv):
        if PLACEHOLDER.search(arg) and not WHOLE_PLACEHOLDER.match(arg):
            raise item.error(
                f"argv[{index}]",
                "a {placeholder} must be a whole argv item, so a value is never split or joined",
            )
    if PLACEHOLDER.search(argv[0]):
        raise item.error("argv[0]", "the program must be a literal, not a variable")
    env = item.text_map("env")
    for key in env:
        if not IDENTIFIER.match(key):
            raise item.error(f"env.{key}", "must be an environment variable name")
    placeholders = {match.group(1) for arg in argv if (match := WHOLE_PLACEHOLDER.match(arg))}
    option_values = item.texts("option_values")
    for index, variable in enumerate(option_values):
        if variable not in placeholders:
            raise item.error(
                f"option_values[{index}]", f"{variable!r} is not a {{placeholder}} of argv"
            )
    return ShellTool(
        name=name,
        argv=argv,
        env=env,
        cwd=item.optional_text("cwd"),
        timeout_seconds=timeout,
        option_values=frozenset(option_values),
    )


def _http_tool(name: str, item: TableReader, timeout: float) -> HttpTool:
    method = item.text("method", "GET").upper()
    if method not in HTTP_METHODS:
        raise item.error("method", f"{method!r} is not one of: {', '.join(HTTP_METHODS)}")
    url = item.text("url")
    if not url.startswith(("http://", "https://")):
        raise item.error("url", "must start with http:// or https://")
    expected = item._get("expected_status", 200)  # int or list of ints
    statuses = expected if isinstance(expected, list) else [expected]
    if not statuses or not all(isinstance(s, int) and not isinstance(s, bool) for s in statuses):
        raise item.error("expected_status", "must be a status code or a list of them")
    return HttpTool(
        name=name,
        url=url,
        method=method,
        expected_status=tuple(statuses),
        headers=item.text_map("headers"),
        body=item.optional_text("body"),
        timeout_seconds=timeout,
    )


def _sim_tool(name: str, item: TableReader, timeout: float) -> SimTool:
    scenarios = tuple(_scenario(scenario) for scenario in item.tables("scenarios"))
    if not scenarios:
        raise item.error("scenarios", "a sim tool needs at least one scenario")
    return SimTool(
        name=name,
        scenarios=scenarios,
        latency_seconds=item.seconds("latency", 0.0) or 0.0,
        timeout_seconds=timeout,
    )


def _scenario(item: TableReader) -> SimScenario:
    when = item.table("when")
    when_input = when_pattern = None
    if when is not None:
        when_input = when.text("input")
        when_pattern = _compile(when, "matches", when.text("matches"))
        when.finish()
    weight = item.integer("weight", 1)
    if weight < 1:
        raise item.error("weight", "must be at least 1")
    scenario = SimScenario(
        lines=item.texts("lines"),
        exit_status=item.integer("exit_status", 0),
        line_delay_seconds=item.seconds("line_delay", 0.0) or 0.0,
        error=item.optional_text("error"),
        when_input=when_input,
        when_pattern=when_pattern,
        weight=weight,
    )
    item.finish()
    return scenario


def _check_placeholders(
    reader: TableReader, steps: list[StepDefinition], inputs: tuple[InputSpec, ...]
) -> None:
    """Step tool configs may only use declared inputs or variables captured by earlier steps."""
    known = {spec.name for spec in inputs} | {"run_id"}
    for step in steps:
        for key, template in step.tool_config.items():
            for name in PLACEHOLDER.findall(template):
                if name not in known:
                    raise reader.error(
                        f"step {step.key!r}.tool.config.{key}",
                        f"uses {{{name}}}, which is neither an input nor a captured variable",
                    )
        known |= {capture.variable for capture in step.captures}
        if step.prompt is not None:  # a typed answer's fields become variables (engine)
            known |= {field.name for field in step.prompt.fields}


def _check_context_steps(reader: TableReader, steps: list[StepDefinition]) -> None:
    """A prompt's `context_steps` must name steps of the same definition."""
    keys = {step.key for step in steps}
    for step in steps:
        if step.prompt is None:
            continue
        for index, key in enumerate(step.prompt.context_steps):
            if key not in keys:
                raise reader.error(
                    f"step {step.key!r}.prompt.context_steps[{index}]", f"no step has key {key!r}"
                )
