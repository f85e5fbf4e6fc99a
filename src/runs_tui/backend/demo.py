"""Demo mode: a history of finished runs, and live traffic that keeps runs moving.

History is bulk data, so it is built cheaply: one template run per (definition, ending) is made
once from the loaded definitions and pre-serialised (`history.RowTemplate`), then each seeded
run is spliced from its template's JSON with its own id, times and trigger, and goes to the
store as a raw row (`RunStore.seed_rows`). Runs are generated in creation order, so seq order
follows creation time and the time indexes grow at their end. For very large seeds (benchmarks)
the per-run event log is left out, because the events table would otherwise dominate the insert
time; the runs, steps and outputs stay.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from runs_tui.backend.bulk import SeedRow
from runs_tui.backend.clock import Clock
from runs_tui.backend.definitions import (
    Definition,
    DefinitionSet,
    FlowDefinition,
    SimTool,
    StepDefinition,
)
from runs_tui.backend.definitions.schema import ToolSpec
from runs_tui.backend.engine import Engine, EngineError
from runs_tui.backend.history import T0 as _T0
from runs_tui.backend.history import IsoTimes, RowTemplate
from runs_tui.backend.outposts.templates import render_lenient
from runs_tui.backend.store import RunStore
from runs_tui.models.domain import (
    AutomationType,
    Event,
    EventType,
    Prompt,
    PromptKind,
    PromptResponse,
    RunDetail,
    StartRunRequest,
    Step,
    StepPhase,
    StepStatus,
    ToolInvocation,
    Trigger,
    TriggerKind,
    Variable,
    VariableDirection,
)
from runs_tui.models.prompt_fields import (
    FieldType,
    InvalidAnswer,
    OnExpiry,
    PromptField,
    answer_text,
    check_answer,
    check_value,
    defaults_of,
)
from runs_tui.models.responders import SYSTEM
from runs_tui.models.status import RunStatus

log = logging.getLogger(__name__)

HISTORY_DAYS = 30
EVENTS_UP_TO = 100_000  # seeds larger than this carry no per-run event log
USERS = ("alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com")
CHATS = ("chat:#incidents", "chat:#ops", "chat:#db-oncall")
INTEGRATIONS = ("pagerduty", "datadog", "opsgenie")
SAMPLE_INPUTS: dict[str, tuple[str, ...]] = {
    "host": (
        "web-prod-01",
        "web-prod-02",
        "db-prod-01",
        "db-prod-02",
        "db-replica-01",
        "edge-lb-03",
    ),
    "service": ("checkout-api", "orders-api", "search", "legacy-billing", "payments"),
    "engineer": USERS,
    "domain": ("shop.example.com", "api.example.com"),
    "mount": ("/var", "/data", "/"),
}
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Who starts a run by hand: half people, a quarter chats, a quarter integrations.
_HAND_TRIGGERS = [
    *(Trigger(kind=TriggerKind.MANUAL, actor=actor) for actor in USERS),
    *(Trigger(kind=TriggerKind.CHAT, actor=actor) for actor in CHATS),
    *(Trigger(kind=TriggerKind.EXTERNAL, actor=actor) for actor in INTEGRATIONS),
]
_HAND_WEIGHTS = (
    [0.5 / len(USERS)] * len(USERS)
    + [0.25 / len(CHATS)] * len(CHATS)
    + [0.25 / len(INTEGRATIONS)] * len(INTEGRATIONS)
)
_ENDINGS: dict[RunStatus, float] = {
    RunStatus.COMPLETED_SUCCESS: 70,
    RunStatus.COMPLETED_FAILURE: 12,
    RunStatus.COMPLETED_PARTIAL: 9,
    RunStatus.CANCELLED: 7,
    RunStatus.NO_STEPS: 2,
}


@dataclass(frozen=True)
class _Template:
    run: RunDetail
    weight: float


def seed_history(
    store: RunStore, clock: Clock, count: int = 2000, definitions: DefinitionSet | None = None
) -> int:
    """Inserts `count` finished runs spread over the last 30 days; returns how many."""
    if definitions is None:
        from runs_tui.backend.definitions import load_definitions

        definitions = load_definitions()
    templates = [t for d in definitions.all() for t in _templates(d, definitions.tools)]
    if not templates or count <= 0:
        return 0
    return store.seed_rows(history_rows(templates, clock.now(), count))


def history_rows(templates: list[_Template], now: datetime, count: int) -> Iterator[SeedRow]:
    """`count` runs drawn from `templates` by weight, in creation order, each finished by `now`
    and created within the last `HISTORY_DAYS` days."""
    rng = random.Random(20260101)
    rows = [(RowTemplate.of(t.run), t.run.trigger.kind is TriggerKind.SCHEDULE) for t in templates]
    picks = rng.choices(rows, weights=[t.weight for t in templates], k=count)
    by_hand = rng.choices(
        [t.model_dump_json() for t in _HAND_TRIGGERS], weights=_HAND_WEIGHTS, k=count
    )
    scheduled_json = Trigger(kind=TriggerKind.SCHEDULE, actor="schedule").model_dump_json()
    start_s = (
        -(-(now - _UNIX_EPOCH) // timedelta(seconds=1)) - HISTORY_DAYS * 86_400
    )  # whole seconds, rounded up
    room_s = (
        HISTORY_DAYS * 86_400 - max(row.duration_us for row, _ in rows) // 1_000_000 - 1
    )  # all end by now
    fractions = sorted(rng.random() for _ in range(count))
    times = IsoTimes()
    with_events = count <= EVENTS_UP_TO
    for index, (row, scheduled) in enumerate(picks):
        created_us = (start_s + int(fractions[index] * room_s)) * 1_000_000
        trigger = scheduled_json if scheduled else by_hand[index]
        yield row.row(
            f"h{index:07d}{rng.getrandbits(40):010x}", created_us, trigger, times, with_events
        )


def _trigger(rng: random.Random) -> Trigger:
    return rng.choices(_HAND_TRIGGERS, weights=_HAND_WEIGHTS)[0]


# --- templates -------------------------------------------------------------------------------


def _templates(definition: Definition, shared_tools: dict[str, ToolSpec]) -> list[_Template]:
    inputs = sample_inputs(definition, random.Random(definition.id))
    tools = {**shared_tools, **definition.tools}
    builder = _TemplateBuilder(definition, inputs, tools)
    runs: list[tuple[RunDetail, float]] = []
    missing = any(step.tool and step.tool not in tools for step in definition.all_steps())
    if missing:
        runs.append((builder.failed_identifying(), 1.0))
    elif not any(
        step.automation is not AutomationType.INFORMATION_ONLY for step in definition.all_steps()
    ):
        runs.append((builder.no_steps(), _ENDINGS[RunStatus.NO_STEPS]))
    else:
        for ending in (
            RunStatus.COMPLETED_SUCCESS,
            RunStatus.COMPLETED_FAILURE,
            RunStatus.COMPLETED_PARTIAL,
            RunStatus.CANCELLED,
        ):
            runs.extend((run, _ENDINGS[ending] / 2) for run in builder.endings(ending))
    templates = [_Template(run, weight) for run, weight in runs]
    if definition.schedule_interval_seconds:
        templates += [
            _Template(
                r.run.model_copy(
                    update={"trigger": Trigger(kind=TriggerKind.SCHEDULE, actor="schedule")}
                ),
                r.weight,
            )
            for r in templates
        ]
    return templates


def sample_inputs(definition: Definition, rng: random.Random) -> dict[str, str]:
    """Plausible input values: a sample for well-known names, else the default."""
    values: dict[str, str] = {}
    for spec in definition.inputs:
        samples = SAMPLE_INPUTS.get(spec.name)
        value = rng.choice(samples) if samples else (spec.default or "")
        if spec.pattern is not None and samples:
            fitting = [s for s in samples if re.fullmatch(spec.pattern, s)]
            value = rng.choice(fitting) if fitting else (spec.default or "")
        if value:
            values[spec.name] = value
    return values


class _TemplateBuilder:
    """Builds finished runs of one definition at time _T0, with legal status chains."""

    def __init__(
        self, definition: Definition, inputs: dict[str, str], tools: dict[str, ToolSpec]
    ) -> None:
        self.definition = definition
        self.inputs = inputs
        self.tools = tools

    def _run(
        self,
        status: RunStatus,
        steps: list[Step],
        chain: list[RunStatus],
        end: float,
        remediation: str | None = None,
        **fields: object,
    ) -> RunDetail:
        """`remediation`: the one the decision chose, named on the status change to Ready for
        remediation as the engine names it (what a comparison of two runs shows)."""
        finished = _T0 + timedelta(seconds=end)
        events = [Event(seq=0, at=_T0, type=EventType.RUN_CREATED, data={"trigger": "manual"})]
        expired = [_expired_event(s) for s in steps if s.response and s.response.expired]
        for previous, target in zip([RunStatus.PENDING, *chain], chain):
            if target.is_terminal or target is RunStatus.SUMMARIZING:
                events += expired  # after the steps ran, before the run ends
                expired = []
            data: dict[str, object] = {"from": previous.value, "to": target.value}
            if target is RunStatus.READY_FOR_REMEDIATION and remediation:
                data["remediation"] = remediation
            events.append(
                Event(
                    seq=0,
                    at=finished if target.is_terminal else _T0,
                    type=EventType.STATUS_CHANGED,
                    data=data,
                )
            )
        return RunDetail(
            id="template",
            kind=self.definition.kind,
            definition_id=self.definition.id,
            name=self.definition.title,
            status=status,
            trigger=Trigger(kind=TriggerKind.MANUAL, actor=USERS[0]),
            created_at=_T0,
            started_at=_T0 + timedelta(seconds=1),
            finished_at=finished,
            updated_at=finished,
            inputs=self.inputs,
            version=len(chain) + len(steps) * 2 + 1,
            seq=0,
            steps=steps,
            variables=[
                Variable(name=k, value=v, direction=VariableDirection.INPUT, updated_at=_T0)
                for k, v in self.inputs.items()
            ],
            events=events,
            **fields,
        )

    def failed_identifying(self) -> RunDetail:
        missing = sorted(
            {s.tool for s in self.definition.all_steps() if s.tool and s.tool not in self.tools}
        )
        error = f"tool {', '.join(missing)} not available on outpost local"
        return self._run(
            RunStatus.COMPLETED_FAILURE,
            [],
            [RunStatus.IDENTIFYING_TOOLS, RunStatus.COMPLETED_FAILURE],
            2,
            error=error,
            summary=f"The run could not start: {error}.",
        )

    def no_steps(self) -> RunDetail:
        return self._run(
            RunStatus.NO_STEPS,
            [],
            [RunStatus.IDENTIFYING_TOOLS, RunStatus.NO_STEPS],
            2,
            summary="Nothing to execute: the definition has no executable steps.",
        )

    def endings(self, ending: RunStatus) -> list[RunDetail]:
        if isinstance(self.definition, FlowDefinition):
            return self._flow_endings(self.definition, ending)
        return self._guide_endings(ending)

    def _guide_endings(self, ending: RunStatus) -> list[RunDetail]:
        defs = list(self.definition.all_steps())
        chain = [
            RunStatus.IDENTIFYING_TOOLS,
            RunStatus.READY_FOR_EXECUTION,
            RunStatus.EXECUTING_REMEDIATION,
        ]
        fail_at = (
            len(defs) - 1
            if ending in (RunStatus.COMPLETED_FAILURE, RunStatus.COMPLETED_PARTIAL)
            else None
        )
        if ending is RunStatus.COMPLETED_PARTIAL and not any(
            d.tool is None and d.prompt for d in defs[:-1]
        ):
            return []
        cancel_at = len(defs) // 2 if ending is RunStatus.CANCELLED else None
        steps, clock = self._steps(
            StepPhase.PROCEDURE, defs, 2.0, fail_at=fail_at, cancel_at=cancel_at
        )
        chain += (
            [RunStatus.CANCELLED]
            if ending is RunStatus.CANCELLED
            else [RunStatus.SUMMARIZING, ending]
        )
        error = next(
            (f"step “{s.title}” failed: {s.error}" for s in steps if s.status is StepStatus.FAILED),
            None,
        )
        return [
            self._run(
                ending, steps, chain, clock + 1, error=error, summary=f"Result: {ending.label}."
            )
        ]

    def _flow_endings(self, flow: FlowDefinition, ending: RunStatus) -> list[RunDetail]:
        start = [
            RunStatus.IDENTIFYING_TOOLS,
            RunStatus.READY_FOR_EXECUTION,
            RunStatus.EXECUTING_TRIAGE,
        ]
        if ending is RunStatus.COMPLETED_FAILURE:
            triage, clock = self._steps(StepPhase.TRIAGE, list(flow.triage), 2.0, fail_at=0)
            chain = [*start, RunStatus.DECIDING_REMEDIATION, RunStatus.SUMMARIZING, ending]
            error = f"triage step “{triage[0].title}” failed: {triage[0].error}"
            return [
                self._run(
                    ending,
                    triage,
                    chain,
                    clock + 2,
                    error=error,
                    summary=(
                        "Triage failed; no remediation was attempted. Result: Completed Failure."
                    ),
                )
            ]
        if ending is RunStatus.CANCELLED:
            triage, clock = self._steps(
                StepPhase.TRIAGE, list(flow.triage), 2.0, cancel_at=len(flow.triage) - 1
            )
            return [
                self._run(
                    ending,
                    triage,
                    [*start, RunStatus.CANCELLED],
                    clock + 1,
                    error="cancelled by operator",
                    summary="Cancelled during triage.",
                )
            ]
        runs: list[RunDetail] = []
        for outcome in flow.outcomes:
            remediation = flow.remediations.get(outcome.remediation or "")
            rem_defs = list(remediation.steps) if remediation else []
            if ending is RunStatus.COMPLETED_PARTIAL and len(rem_defs) < 2:
                continue
            triage, clock = self._steps(StepPhase.TRIAGE, list(flow.triage), 2.0)
            fail_at = len(rem_defs) - 1 if ending is RunStatus.COMPLETED_PARTIAL else None
            rem, clock = self._steps(
                StepPhase.REMEDIATION, rem_defs, clock + 1, fail_at=fail_at, first=len(triage) + 1
            )
            chain = [*start, RunStatus.DECIDING_REMEDIATION]
            chain += (
                [RunStatus.READY_FOR_REMEDIATION, RunStatus.EXECUTING_REMEDIATION] if rem else []
            )
            chain += [RunStatus.SUMMARIZING, ending]
            summary = f"Outcome: {outcome.name}. Result: {ending.label}."
            runs.append(
                self._run(
                    ending,
                    triage + rem,
                    chain,
                    clock + 1,
                    remediation=remediation.id if remediation and rem else None,
                    outcome=outcome.name,
                    root_cause=", ".join(outcome.root_causes) or None,
                    summary=summary,
                )
            )
        return runs

    def _steps(
        self,
        phase: StepPhase,
        defs: list[StepDefinition],
        at: float,
        *,
        fail_at: int | None = None,
        cancel_at: int | None = None,
        first: int = 1,
    ) -> tuple[list[Step], float]:
        steps: list[Step] = []
        for index, step_def in enumerate(defs):
            if cancel_at is not None and index > cancel_at:
                status = StepStatus.CANCELLED
            elif cancel_at is not None and index == cancel_at:
                status = StepStatus.CANCELLED
            elif fail_at is not None and index > fail_at and phase is not StepPhase.REMEDIATION:
                status = StepStatus.SKIPPED
            else:
                status = StepStatus.FAILED if index == fail_at else StepStatus.SUCCEEDED
            started = (
                None
                if status is StepStatus.SKIPPED or (cancel_at is not None and index > cancel_at)
                else at
            )
            length = self._length(step_def) if started is not None else 0.0
            steps.append(
                self._step(phase, index + 1, first + index, step_def, status, started, length)
            )
            at += length
        return steps, at

    def _length(self, step_def: StepDefinition) -> float:
        tool = self.tools.get(step_def.tool or "")
        wait = 95.0 if step_def.prompt else 0.0
        if _expires_to_defaults(step_def):
            wait = (step_def.prompt.expires_after_seconds or 0.0) + 1.0  # type: ignore[union-attr]
        if isinstance(tool, SimTool):
            scenario = tool.scenarios[0]
            return (
                wait
                + tool.latency_seconds
                + scenario.line_delay_seconds * max(0, len(scenario.lines) - 1)
                + 0.2
            )
        return wait + (1.5 if tool else 0.5)

    def _step(
        self,
        phase: StepPhase,
        index: int,
        position: int,
        step_def: StepDefinition,
        status: StepStatus,
        started: float | None,
        length: float,
    ) -> Step:
        begin = _T0 + timedelta(seconds=started) if started is not None else None
        end = (
            begin + timedelta(seconds=length) if begin is not None and status.is_finished else None
        )
        tool = self.tools.get(step_def.tool or "")
        failed = status is StepStatus.FAILED
        invocation = None
        if (
            tool is not None
            and begin is not None
            and not (step_def.prompt and status is StepStatus.CANCELLED)
        ):
            output = self._output(tool)
            invocation = ToolInvocation(
                tool=tool.name,
                tool_type=tool.type,
                input=dict(step_def.tool_config),
                output=output + ("error: exit status 1\n" if failed else ""),
                exit_status=1 if failed else 0,
            )
        prompt = response = None
        if step_def.prompt and begin is not None:
            spec = step_def.prompt
            choices = list(spec.choices)
            deadline = (
                begin + timedelta(seconds=spec.expires_after_seconds)
                if spec.expires_after_seconds
                else None
            )
            prompt = Prompt(
                kind=spec.kind,
                question=render_lenient(spec.question, self.inputs),
                description=render_lenient(spec.description, self.inputs),
                choices=choices,
                allow_free_text=spec.allow_free_text,
                fields=list(spec.fields),
                requested_at=begin,
                expires_at=deadline,
                on_expiry=spec.on_expiry if deadline else None,
            )
            if status.is_finished and status is not StepStatus.CANCELLED and spec.fields:
                response = _typed_response(
                    prompt,
                    deadline if _expires_to_defaults(step_def) else None,
                    USERS[position % len(USERS)],
                    begin,
                )
            elif status.is_finished and status is not StepStatus.CANCELLED:
                value = {
                    PromptKind.CONFIRM: "approve",
                    PromptKind.COMPLETE: "failed" if failed else "done",
                }.get(prompt.kind, choices[0] if choices else "Looks normal")
                response = PromptResponse(
                    value=value,
                    answered_by=USERS[position % len(USERS)],
                    answered_at=begin + timedelta(seconds=90),
                )
        return Step(
            id=f"{phase.value}-{index}",
            phase=phase,
            position=position,
            title=step_def.title,
            description=step_def.description,
            automation=step_def.automation,
            status=status,
            started_at=begin,
            finished_at=end,
            tool=invocation,
            prompt=prompt,
            response=response,
            error=("exit status 1 (expected 0)" if failed else None),
        )

    def _output(self, tool: ToolSpec) -> str:
        if isinstance(tool, SimTool):
            return "".join(
                render_lenient(line, self.inputs) + "\n" for line in tool.scenarios[0].lines
            )
        return f"{tool.name}: ok\n"


def _expires_to_defaults(step_def: StepDefinition) -> bool:
    """History shows the prompts whose deadline takes the defaults as expired: nobody answered
    in time, the system did (the demo's "already expired" runs)."""
    prompt = step_def.prompt
    return prompt is not None and prompt.on_expiry is OnExpiry.DEFAULT


def _typed_response(
    prompt: Prompt, expired_at: datetime | None, person: str, begin: datetime
) -> PromptResponse:
    """A plausible answer of a typed prompt: the defaults by the system at the deadline when it
    expires to them, else a person's answer of sample values."""
    if expired_at is not None:
        values = defaults_of(prompt.fields)
        return PromptResponse(
            value=answer_text(values),
            values=values,
            answered_by=SYSTEM,
            answered_at=expired_at,
            expired=True,
        )
    values = {}
    for field in prompt.fields:
        sample = _sample_value(field)
        try:
            values[field.name] = check_value(field, sample)
        except InvalidAnswer:
            continue
    values = check_answer(prompt.fields, values)
    return PromptResponse(
        value=answer_text(values),
        values=values,
        answered_by=person,
        answered_at=begin + timedelta(seconds=90),
    )


def _sample_value(field: PromptField) -> object:
    if field.default is not None:
        return field.default
    if field.type in (FieldType.CHOICE, FieldType.CHOICES):
        return field.choices[0] if field.type is FieldType.CHOICE else field.choices[:1]
    if field.type in (FieldType.INTEGER, FieldType.NUMBER):
        return field.minimum if field.minimum is not None else 1
    if field.type is FieldType.BOOLEAN:
        return False
    if field.pattern is None:
        return "Checked, nothing unusual."
    for candidate in ("INC-1042", "CHG-1042"):
        if re.fullmatch(field.pattern, candidate):
            return candidate
    return ""


def _expired_event(step: Step) -> Event:
    assert step.prompt is not None and step.response is not None
    deadline = step.prompt.expires_at or step.response.answered_at
    return Event(
        seq=0,
        at=step.response.answered_at or _T0,
        type=EventType.INPUT_EXPIRED,
        step_id=step.id,
        data={
            "prompt_id": None,
            "on_expiry": OnExpiry.DEFAULT.value,
            "deadline": deadline.isoformat() if deadline else None,
        },
    )


# --- live traffic ----------------------------------------------------------------------------


class DemoTraffic:
    """Keeps starting live runs every `interval` seconds (fewer when many are already active).

    It answers nothing: runs that wait for input wait for an operator."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        interval: float = 6.0,
        max_active: int = 12,
        seed: int | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._interval = interval
        self._max_active = max_active
        self._rng = random.Random(seed)

    async def run(self) -> None:
        while True:
            try:
                if self._engine.active_run_count() < self._max_active:
                    await self.start_one()
            except (TimeoutError, EngineError) as error:
                log.warning("demo traffic: %s", error)
            await self._clock.sleep(self._interval * (0.5 + self._rng.random()))

    async def start_one(self) -> str:
        """Starts one run of a random definition with plausible inputs and trigger."""
        definitions = self._engine.loaded_definitions.all()
        weights = [
            0.3 if d.id.endswith("-draft") or "certificate" in d.id else 1.0 for d in definitions
        ]
        definition = self._rng.choices(definitions, weights=weights)[0]
        request = StartRunRequest(
            inputs=sample_inputs(definition, self._rng), trigger=_trigger(self._rng)
        )
        summary = await self._engine.start_run(definition.kind, definition.id, request)
        return summary.id


__all__ = ["DemoTraffic", "seed_history", "sample_inputs"]
