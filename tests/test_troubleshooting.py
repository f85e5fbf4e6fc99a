"""The troubleshooting hint: facts from a failed run and the seed's table of causes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runs_tui.models import (
    AutomationType,
    RunDetail,
    RunKind,
    RunStatus,
    Step,
    StepPhase,
    StepStatus,
    ToolInvocation,
    Trigger,
    Variable,
    VariableDirection,
)
from runs_tui.troubleshooting import FailureCause, diagnose, failing_step, troubleshoot

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _detail(status: RunStatus, steps: list[Step], error: str | None = None) -> RunDetail:
    return RunDetail(
        id="r1",
        kind=RunKind.FLOW,
        definition_id="d",
        name="Disk check",
        status=status,
        trigger=Trigger(),
        created_at=T0,
        updated_at=T0,
        version=1,
        seq=1,
        steps=steps,
        error=error,
        variables=[Variable(name="host", value="web-01", direction=VariableDirection.INPUT)],
    )


def _step(
    sid: str, status: StepStatus, error: str | None = None, tool: ToolInvocation | None = None
) -> Step:
    return Step(
        id=sid,
        phase=StepPhase.TRIAGE,
        position=int(sid[1:]),
        title=f"Step {sid}",
        automation=AutomationType.AUTOMATED,
        status=status,
        error=error,
        tool=tool,
    )


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        ("tool 'df' timed out after 30s", FailureCause.TOOL_TIMEOUT),
        ("context deadline exceeded", FailureCause.TOOL_TIMEOUT),
        ("Timeout waiting for response", FailureCause.TOOL_TIMEOUT),
        ("invalid input: host must match ^[a-z0-9-]+$", FailureCause.INVALID_INPUT),
        ("missing required input 'host'", FailureCause.INVALID_INPUT),
        ("HTTP 422 Unprocessable", FailureCause.INVALID_INPUT),
        ("connection refused by 10.0.0.4:22", FailureCause.NETWORK_ISSUE),
        ("outpost eu-west is offline", FailureCause.NETWORK_ISSUE),
        ("could not resolve host db.internal", FailureCause.NETWORK_ISSUE),
        ("HTTP 503 from upstream", FailureCause.NETWORK_ISSUE),
        ("Permission denied (publickey)", FailureCause.MISSING_PERMISSIONS),
        ("HTTP 403 Forbidden", FailureCause.MISSING_PERMISSIONS),
        ("invalid credentials for user ops", FailureCause.MISSING_PERMISSIONS),
    ],
)
def test_error_text_maps_to_the_seed_cause(error: str, cause: FailureCause) -> None:
    diagnosis = diagnose(error)
    assert diagnosis is not None and diagnosis.cause is cause
    assert diagnosis.resolution == cause.resolution


def test_resolutions_are_the_seed_words() -> None:
    assert FailureCause.TOOL_TIMEOUT.resolution == "Check tool availability, increase timeout"
    assert FailureCause.NETWORK_ISSUE.resolution == "Check outpost connectivity"
    assert FailureCause.MISSING_PERMISSIONS.resolution == "Verify user has required access"
    assert FailureCause.INVALID_INPUT.resolution == "Verify input variable values"
    assert FailureCause.TOOL_ERROR.resolution == "Check tool logs, verify permissions"


def test_failed_tool_without_known_words_is_a_tool_error() -> None:
    tool = ToolInvocation(tool="df", tool_type="shell", exit_status=2, output="boom")
    diagnosis = diagnose("step failed", tool)
    assert diagnosis is not None and diagnosis.cause is FailureCause.TOOL_ERROR
    assert "exit status 2" in diagnosis.evidence


def test_exit_status_124_is_a_timeout_and_126_permissions() -> None:
    assert (
        diagnose(None, ToolInvocation(tool="x", tool_type="shell", exit_status=124)).cause
        is FailureCause.TOOL_TIMEOUT
    )
    assert (
        diagnose(None, ToolInvocation(tool="x", tool_type="shell", exit_status=126)).cause
        is FailureCause.MISSING_PERMISSIONS
    )


def test_nothing_to_go_on_gives_no_hint() -> None:
    assert diagnose("something odd happened") is None
    assert diagnose(None, ToolInvocation(tool="x", tool_type="shell", exit_status=0)) is None


def test_evidence_quotes_the_matched_words() -> None:
    diagnosis = diagnose("ssh: connect to host web-01 port 22: Connection refused")
    assert diagnosis is not None and "Connection refused" in diagnosis.evidence


def test_troubleshoot_gathers_failing_step_error_output_and_variables() -> None:
    tool = ToolInvocation(
        tool="psql",
        tool_type="shell",
        output="FATAL: permission denied for db",
        exit_status=1,
        error="permission denied for database ops",
    )
    detail = _detail(
        RunStatus.COMPLETED_FAILURE,
        [
            _step("s1", StepStatus.SUCCEEDED),
            _step("s2", StepStatus.FAILED, tool=tool),
            _step("s3", StepStatus.SKIPPED),
        ],
    )
    facts = troubleshoot(detail)
    assert facts is not None
    assert facts.step is not None and facts.step.id == "s2"
    assert facts.error == "permission denied for database ops"
    assert facts.output == "FATAL: permission denied for db"
    assert [v.name for v in facts.variables] == ["host"]
    assert facts.diagnosis is not None and facts.diagnosis.cause is FailureCause.MISSING_PERMISSIONS


def test_troubleshoot_falls_back_to_the_run_error_when_no_step_failed() -> None:
    detail = _detail(
        RunStatus.COMPLETED_FAILURE,
        [_step("s1", StepStatus.PENDING)],
        error="tool 'nmap' not available on outpost local",
    )
    facts = troubleshoot(detail)
    assert facts is not None and facts.step is None
    assert facts.error.startswith("tool 'nmap'")


def test_partial_is_troubleshot_success_is_not() -> None:
    steps = [_step("s1", StepStatus.FAILED, error="timed out")]
    assert troubleshoot(_detail(RunStatus.COMPLETED_PARTIAL, steps)) is not None
    assert troubleshoot(_detail(RunStatus.COMPLETED_SUCCESS, steps)) is None
    assert troubleshoot(_detail(RunStatus.CANCELLED, steps)) is None


def test_failing_step_prefers_a_failed_step_over_an_earlier_error() -> None:
    detail = _detail(
        RunStatus.COMPLETED_PARTIAL,
        [
            _step("s1", StepStatus.SUCCEEDED, error="warning only"),
            _step("s2", StepStatus.FAILED, error="boom"),
        ],
    )
    assert failing_step(detail).id == "s2"
