"""Why did this run fail? Facts about a failed run, and a likely cause with its resolution.

The seed's "Troubleshooting Failed Runs" section asks the operator to review the failing step,
its error message, the raw tool output and the variable values, and lists five common causes
with a resolution each. This module gathers those facts from a `RunDetail` and matches the error
text (and the tool's exit status) against the table. The match is a *hint*: the dashboard always
shows it beside the raw facts, never instead of them, because a keyword heuristic can be wrong.

Pure logic, no Textual, no I/O: the detail screen and the CLI can both use it, and it is tested
without a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from runs_tui.models.domain import RunDetail, Step, StepStatus, ToolInvocation, Variable
from runs_tui.models.status import RunStatus


class FailureCause(StrEnum):
    """The seed's "Common Failure Causes", in its order."""

    TOOL_TIMEOUT = "tool_timeout"
    INVALID_INPUT = "invalid_input"
    TOOL_ERROR = "tool_error"
    NETWORK_ISSUE = "network_issue"
    MISSING_PERMISSIONS = "missing_permissions"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def resolution(self) -> str:
        return _RESOLUTIONS[self]


_LABELS = {
    FailureCause.TOOL_TIMEOUT: "Tool timeout",
    FailureCause.INVALID_INPUT: "Invalid input",
    FailureCause.TOOL_ERROR: "Tool error",
    FailureCause.NETWORK_ISSUE: "Network issue",
    FailureCause.MISSING_PERMISSIONS: "Missing permissions",
}

# The seed's resolutions, word for word, so the dashboard says what the platform's guide says.
_RESOLUTIONS = {
    FailureCause.TOOL_TIMEOUT: "Check tool availability, increase timeout",
    FailureCause.INVALID_INPUT: "Verify input variable values",
    FailureCause.TOOL_ERROR: "Check tool logs, verify permissions",
    FailureCause.NETWORK_ISSUE: "Check outpost connectivity",
    FailureCause.MISSING_PERMISSIONS: "Verify user has required access",
}

# Checked in this order: the more specific causes first, "tool error" is the fallback for a
# failed tool. Permissions come before invalid input so "invalid credentials" is not read as a
# bad variable, and before network so "403 Forbidden" from an HTTP tool is not a network issue.
_PATTERNS: tuple[tuple[FailureCause, re.Pattern[str]], ...] = (
    (
        FailureCause.TOOL_TIMEOUT,
        re.compile(r"time[d\s-]*out|timeout|deadline exceeded|took too long", re.I),
    ),
    (
        FailureCause.MISSING_PERMISSIONS,
        re.compile(
            r"permission denied|forbidden|unauthori[sz]ed|not authori[sz]ed|access denied|"
            r"insufficient (?:privileges|permissions)|\beacces\b|\beperm\b|\b40[13]\b|"
            r"invalid credentials|authentication failed|not permitted",
            re.I,
        ),
    ),
    (
        FailureCause.NETWORK_ISSUE,
        re.compile(
            r"connection (?:refused|reset|aborted|closed)|unreachable|no route to host|"
            r"could not (?:resolve|connect)|name or service not known|name resolution|"
            r"\bdns\b|network|outpost .*(?:offline|down|not connected|unavailable)|"
            r"econnrefused|econnreset|ehostunreach|tls handshake|\b50[234]\b",
            re.I,
        ),
    ),
    (
        FailureCause.INVALID_INPUT,
        re.compile(
            r"invalid (?:input|value|argument|variable|parameter)|missing (?:required )?"
            r"(?:input|variable|argument|parameter)|validation|does not match|must match|"
            r"not a valid|bad request|\b422\b|\b400\b|required input",
            re.I,
        ),
    ),
)

# Conventional exit statuses that say something on their own.
_EXIT_CAUSES = {124: FailureCause.TOOL_TIMEOUT, 126: FailureCause.MISSING_PERMISSIONS}


@dataclass(frozen=True)
class Diagnosis:
    """A likely cause, its resolution, and the piece of evidence that suggested it."""

    cause: FailureCause
    evidence: str

    @property
    def label(self) -> str:
        return self.cause.label

    @property
    def resolution(self) -> str:
        return self.cause.resolution


@dataclass(frozen=True)
class Troubleshooting:
    """The facts the seed asks an operator to review, and the hint drawn from them."""

    step: Step | None
    error: str
    output: str
    output_truncated: bool
    variables: tuple[Variable, ...]
    diagnosis: Diagnosis | None


TROUBLESHOOT_STATUSES = frozenset({RunStatus.COMPLETED_FAILURE, RunStatus.COMPLETED_PARTIAL})


def diagnose(error: str | None, tool: ToolInvocation | None = None) -> Diagnosis | None:
    """Match an error (and the tool that produced it) against the seed's table.

    The error text is searched first, then the tool's own error; then the exit status; a failed
    tool with no better match is a "tool error". None when nothing points anywhere, so the
    screen can say "no likely cause found" instead of guessing."""
    texts = [t for t in (error, tool.error if tool else None) if t]
    for text in texts:
        for cause, pattern in _PATTERNS:
            match = pattern.search(text)
            if match:
                return Diagnosis(cause, _evidence(text, match))
    if tool is not None and tool.exit_status in _EXIT_CAUSES:
        return Diagnosis(_EXIT_CAUSES[tool.exit_status], f"exit status {tool.exit_status}")
    if tool is not None and (tool.error or (tool.exit_status not in (None, 0))):
        evidence = f"exit status {tool.exit_status}" if tool.exit_status else "the tool failed"
        return Diagnosis(FailureCause.TOOL_ERROR, evidence)
    return None


def _evidence(text: str, match: re.Match[str]) -> str:
    """The matched words with a little context, so the hint can say *why* it thinks so."""
    start = max(0, match.start() - 20)
    end = min(len(text), match.end() + 20)
    snippet = text[start:end].replace("\n", " ")
    return ("…" if start else "") + snippet + ("…" if end < len(text) else "")


def failing_step(detail: RunDetail) -> Step | None:
    """The step the operator should look at first: the first failed one, else the first with
    an error recorded, else None (a run can fail outside any step, e.g. a missing tool)."""
    for step in detail.steps:
        if step.status is StepStatus.FAILED:
            return step
    for step in detail.steps:
        if step.error or (step.tool is not None and step.tool.error):
            return step
    return None


def troubleshoot(detail: RunDetail) -> Troubleshooting | None:
    """The troubleshooting facts of a failed or partial run; None for any other status."""
    if detail.status not in TROUBLESHOOT_STATUSES:
        return None
    step = failing_step(detail)
    tool = step.tool if step else None
    error = (step.error if step and step.error else None) or (tool.error if tool else None)
    error = error or detail.error or ""
    return Troubleshooting(
        step=step,
        error=error,
        output=tool.output if tool else "",
        output_truncated=bool(tool and tool.output_truncated),
        variables=tuple(detail.variables),
        diagnosis=diagnose(error, tool),
    )
