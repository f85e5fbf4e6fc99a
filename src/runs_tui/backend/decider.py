"""Deciding remediation: which outcome triage revealed, hence root causes and remediation.

The engine only knows the `Decider` protocol, so a smarter decider (a model, a service) could
replace the rules without touching the lifecycle. `RulesDecider` is deterministic: an answer
that names an outcome (a question offering the outcomes) wins; otherwise the first outcome
whose conditions all hold; an outcome without conditions is the default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from runs_tui.backend.definitions.schema import Condition, FlowDefinition, Outcome
from runs_tui.models.domain import StepStatus


@dataclass(frozen=True)
class TriageResult:
    """What one triage step produced, keyed by its definition key in `Decider.decide`."""

    status: StepStatus
    exit_status: int | None = None
    output: str = ""
    answer: str | None = None


@dataclass(frozen=True)
class Decision:
    outcome: str
    root_causes: tuple[str, ...]
    remediation: str | None
    reason: str


class Decider(Protocol):
    def decide(self, flow: FlowDefinition, results: Mapping[str, TriageResult]) -> Decision | None:
        """None: no outcome applies (nothing to remediate)."""
        ...


class RulesDecider:
    def decide(self, flow: FlowDefinition, results: Mapping[str, TriageResult]) -> Decision | None:
        chosen = _chosen_by_answer(flow, results)
        if chosen is not None:
            return _decision(chosen, f"the operator chose “{chosen.name}”")
        for outcome in flow.outcomes:
            if all(condition_holds(condition, results) for condition in outcome.when):
                reason = "default outcome" if not outcome.when else _describe(outcome.when)
                return _decision(outcome, reason)
        return None


def condition_holds(condition: Condition, results: Mapping[str, TriageResult]) -> bool:
    result = results.get(condition.step)
    if result is None:
        return False
    checks = (
        condition.status is None or result.status is condition.status,
        condition.exit_status is None or result.exit_status == condition.exit_status,
        condition.output_contains is None or condition.output_contains in result.output,
        condition.output_regex is None
        or re.search(condition.output_regex, result.output) is not None,
        condition.answer is None
        or (result.answer or "").strip().lower() == condition.answer.strip().lower(),
    )
    return all(checks)


def _chosen_by_answer(flow: FlowDefinition, results: Mapping[str, TriageResult]) -> Outcome | None:
    for step in flow.triage:
        result = results.get(step.key)
        if step.prompt and step.prompt.choices_from_outcomes and result and result.answer:
            outcome = flow.outcome(result.answer)
            if outcome is not None:
                return outcome
    return None


def _decision(outcome: Outcome, reason: str) -> Decision:
    return Decision(
        outcome=outcome.name,
        root_causes=outcome.root_causes,
        remediation=outcome.remediation,
        reason=reason,
    )


def _describe(conditions: tuple[Condition, ...]) -> str:
    parts: list[str] = []
    for condition in conditions:
        tests = [
            f"status {condition.status.value}" if condition.status else "",
            f"exit status {condition.exit_status}" if condition.exit_status is not None else "",
            f"output contains “{condition.output_contains}”" if condition.output_contains else "",
            f"output matches /{condition.output_regex}/" if condition.output_regex else "",
            f"answer “{condition.answer}”" if condition.answer else "",
        ]
        parts.append(f"{condition.step}: " + ", ".join(test for test in tests if test))
    return "; ".join(parts)
