"""Engine lifecycle over the shipped demo set: every status, legal paths, routing, prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from runs_tui.backend.engine import Conflict, DefinitionNotFound, InvalidRequest, StepNotFound
from runs_tui.models.domain import (
    EventType,
    PromptResponse,
    StartRunRequest,
    StepStatus,
    Trigger,
    TriggerKind,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

try:
    from engine_harness import Harness, assert_legal, waiting_step
except ImportError:  # tests/backend became a package
    from .engine_harness import Harness, assert_legal, waiting_step  # type: ignore[no-redef]

FLOW, GUIDE = RunKind.FLOW, RunKind.GUIDE


@pytest.fixture
async def harness(tmp_path: Path) -> Harness:
    h = Harness(tmp_path)
    yield h
    await h.engine.stop()


async def test_every_status_is_reached_by_the_demo_set(harness: Harness) -> None:
    h = harness
    seen: set[RunStatus] = set()
    # disk pressure → core dumps: answer in triage, remediation with a failing step → Partial
    disk = await h.start(FLOW, "disk-pressure", host="web-prod-01")
    await h.until_status(disk, RunStatus.WAITING_FOR_USER_INPUT_TRIAGE)
    await h.answer(disk, "Core dumps piling up")
    # database → connections exhausted: confirm in remediation → Success
    db = await h.start(FLOW, "database-health-check", host="db-prod-02")
    await h.until_status(db, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    await h.answer(db, "approve")
    # network to an edge host: the trace times out → triage failed → Failure
    net = await h.start(FLOW, "network-diagnostics", host="edge-lb-03")
    draft = await h.start(FLOW, "cache-warmup-draft")
    cert = await h.start(FLOW, "certificate-expiry")
    guide = await h.start(GUIDE, "on-call-handover", engineer="bob@example.com")
    await h.until_status(guide, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    cancelled = await h.engine.cancel(guide, actor="carol@example.com")
    assert cancelled.status is RunStatus.CANCELLED
    await h.engine.start()  # the schedule loop: database-health-check every 15 minutes
    runs = [disk, db, net, draft, cert]
    for run_id in runs:
        await h.until_finished(run_id)
    scheduled = h.store.list_runs(statuses=frozenset({RunStatus.SCHEDULED_FOR_EXECUTION})).runs
    assert [r.definition_id for r in scheduled] == ["database-health-check"]
    assert scheduled[0].trigger.kind is TriggerKind.SCHEDULE
    for run_id in [*runs, guide, scheduled[0].id]:
        seen.update(assert_legal(h.run(run_id)))
    assert seen == set(RunStatus)
    assert h.run(disk).status is RunStatus.COMPLETED_PARTIAL
    assert h.run(db).status is RunStatus.COMPLETED_SUCCESS
    assert h.run(net).status is RunStatus.COMPLETED_FAILURE and "timed out" in (
        h.run(net).error or ""
    )
    assert h.run(draft).status is RunStatus.NO_STEPS
    assert h.run(cert).status is RunStatus.COMPLETED_FAILURE and "cert_manager_renew" in (
        h.run(cert).error or ""
    )


async def test_missing_tool_fails_while_identifying_tools(harness: Harness) -> None:
    run = await harness.until_finished(await harness.start(FLOW, "certificate-expiry"))
    assert assert_legal(run) == [
        RunStatus.PENDING,
        RunStatus.IDENTIFYING_TOOLS,
        RunStatus.COMPLETED_FAILURE,
    ]
    assert all(step.status is StepStatus.PENDING and step.tool is None for step in run.steps)


async def test_triage_output_routes_to_different_root_causes(harness: Harness) -> None:
    h = harness
    checkout = await h.start(FLOW, "api-latency", service="checkout-api")
    search = await h.start(FLOW, "api-latency", service="search")
    for run_id in (checkout, search):
        await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_TRIAGE)
        await h.answer(run_id, "done")  # complete prompt in triage
        await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_TRIAGE)
        await h.answer(run_id, "approve")  # confirm prompt in triage: the profile tool runs
    await h.until_status(checkout, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    await h.answer(checkout, "approve")
    await h.until_status(search, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    await h.answer(search, "failed")  # manual complete marked failed in remediation
    dep, gc = await h.until_finished(checkout), await h.until_finished(search)
    assert (dep.outcome, dep.root_cause, dep.status) == (
        "Dependency slow",
        "Slow downstream dependency",
        RunStatus.COMPLETED_SUCCESS,
    )
    assert (gc.outcome, gc.root_cause) == ("GC pressure", "Garbage collection pressure")
    assert gc.status is RunStatus.COMPLETED_PARTIAL
    failed = [s for s in gc.steps if s.status is StepStatus.FAILED]
    assert len(failed) == 1 and "marked failed by alice@example.com" in (failed[0].error or "")
    profile = next(s for s in dep.steps if s.title == "Capture a CPU profile")
    assert profile.status is StepStatus.SUCCEEDED and "pprof" in profile.tool.output
    assert (
        profile.response.value == "approve" and profile.response.answered_by == "alice@example.com"
    )


async def test_answer_prompt_in_remediation_and_captured_variables(harness: Harness) -> None:
    h = harness
    run_id = await h.start(FLOW, "disk-pressure", host="web-prod-02", mount="/data")
    run = await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_TRIAGE)
    assert {v.name: v.value for v in run.variables}["used_percent"] == "96"
    assert run.steps[1].prompt.question == "/data on web-prod-02 is 96% full. What is filling it?"
    await h.answer(run_id, "legitimate growth")  # case-insensitive, stored canonical
    run = await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    with pytest.raises(InvalidRequest):
        await h.answer(run_id, "+1 TiB")
    await h.answer(run_id, "+100 GiB")
    await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    await h.answer(run_id, "done")
    run = await h.until_finished(run_id)
    assert run.status is RunStatus.COMPLETED_SUCCESS and run.outcome == "Legitimate growth"
    assert run.steps[1].response.value == "Legitimate growth"
    types = {e.type for e in run.events}
    assert {
        EventType.RUN_CREATED,
        EventType.STEP_STARTED,
        EventType.STEP_FINISHED,
        EventType.TOOL_OUTPUT,
        EventType.INPUT_REQUESTED,
        EventType.INPUT_RECEIVED,
        EventType.VARIABLE_SET,
    } <= types


async def test_semi_automated_reject_skips_the_tool(harness: Harness) -> None:
    h = harness
    run_id = await h.start(GUIDE, "rotate-credentials", service="orders-api")
    await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    await h.answer(run_id, "reject")
    run = await h.until_finished(run_id)
    vault = run.steps[1]
    assert vault.status is StepStatus.SKIPPED and vault.tool is None
    assert run.status in (RunStatus.COMPLETED_SUCCESS, RunStatus.COMPLETED_FAILURE)


async def test_tool_failure_in_a_guide_fails_the_run(harness: Harness) -> None:
    h = harness
    run_id = await h.start(GUIDE, "rotate-credentials", service="legacy-billing")
    await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    await h.answer(run_id, "approve")
    run = await h.until_finished(run_id)
    assert run.status is RunStatus.COMPLETED_FAILURE
    assert run.steps[2].tool.exit_status == 1 and "rollout timed out" in run.steps[2].error


async def test_guide_information_only_and_manual_steps(harness: Harness) -> None:
    h = harness
    run_id = await h.start(GUIDE, "on-call-handover", engineer="dave@example.com")
    run = await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    assert (
        run.steps[0].status is StepStatus.SUCCEEDED
        and run.steps[0].automation.value == "information_only"
    )
    await h.answer(run_id, "done")
    await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    await h.answer(run_id, "approve")
    run = await h.until_finished(run_id)
    assert run.status is RunStatus.COMPLETED_SUCCESS
    assert "ok: true, channel: #ops" in run.steps[3].tool.output
    assert run.steps[3].tool.outpost == "local" and run.steps[3].tool.input == {"channel": "#ops"}


async def test_respond_semantics(harness: Harness) -> None:
    h = harness
    run_id = await h.start(FLOW, "disk-pressure", host="web-prod-01")
    await h.until_status(run_id, RunStatus.EXECUTING_TRIAGE)
    with pytest.raises(Conflict) as early:
        await h.engine.respond(run_id, "triage-2", PromptResponse(value="Logs not rotated"))
    assert early.value.current["status"] == RunStatus.EXECUTING_TRIAGE.value
    await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_TRIAGE)
    with pytest.raises(InvalidRequest):
        await h.engine.respond(run_id, "triage-2", PromptResponse(value="aliens"))
    with pytest.raises(StepNotFound):
        await h.engine.respond(run_id, "triage-9", PromptResponse(value="x"))
    detail = await h.engine.respond(
        run_id, "triage-2", PromptResponse(value="Logs not rotated", answered_by="bob@example.com")
    )
    assert detail.steps[1].response.answered_by == "bob@example.com"
    with pytest.raises(Conflict) as late:
        await h.engine.respond(run_id, "triage-2", PromptResponse(value="Logs not rotated"))
    assert late.value.current["answered_by"] == "bob@example.com"
    assert late.value.current["answered_at"] == h.clock.now().isoformat()
    await h.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    with pytest.raises(InvalidRequest):
        await h.answer(run_id, "yes")  # confirm takes approve / reject
    with pytest.raises(Exception) as missing:
        await h.engine.respond("no-such-run", "triage-1", PromptResponse(value="done"))
    assert type(missing.value).__name__ == "RunNotFound"


async def test_start_run_validation(harness: Harness) -> None:
    engine = harness.engine
    with pytest.raises(DefinitionNotFound):
        await engine.start_run(FLOW, "nope", StartRunRequest())
    with pytest.raises(InvalidRequest, match="missing required input 'host'"):
        await engine.start_run(FLOW, "disk-pressure", StartRunRequest())
    with pytest.raises(InvalidRequest, match="does not match"):
        await engine.start_run(
            FLOW, "disk-pressure", StartRunRequest(inputs={"host": "web prod; rm -rf /"})
        )
    with pytest.raises(InvalidRequest, match="unknown input"):
        await engine.start_run(
            FLOW, "disk-pressure", StartRunRequest(inputs={"host": "a", "colour": "red"})
        )
    summary = await engine.start_run(
        FLOW,
        "disk-pressure",
        StartRunRequest(
            inputs={"host": "web-prod-01"},
            trigger=Trigger(kind=TriggerKind.CHAT, actor="chat:#incidents"),
        ),
    )
    assert summary.inputs == {"host": "web-prod-01", "mount": "/var"}
    assert summary.trigger.kind is TriggerKind.CHAT and summary.status is RunStatus.PENDING
    kinds = {d.id: d for d in engine.definitions(FLOW)}
    assert kinds["database-health-check"].schedule_interval_seconds == 900
    assert len(kinds) >= 5 and len(engine.definitions(GUIDE)) >= 3


async def test_cancel_from_every_non_terminal_state(harness: Harness) -> None:
    """Each non-terminal status, reached for real, then cancelled."""
    h = harness
    net = (FLOW, "network-diagnostics", {"host": "edge-lb-03"})  # automated triage that times out
    chosen = {
        RunStatus.PENDING: net,
        RunStatus.IDENTIFYING_TOOLS: net,
        RunStatus.READY_FOR_EXECUTION: net,
        RunStatus.EXECUTING_TRIAGE: net,
        RunStatus.DECIDING_REMEDIATION: net,
        RunStatus.SUMMARIZING: net,
        RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: (FLOW, "disk-pressure", {"host": "web-prod-01"}),
        RunStatus.READY_FOR_REMEDIATION: (FLOW, "database-health-check", {"host": "db-prod-02"}),
        RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: (
            FLOW,
            "database-health-check",
            {"host": "db-prod-02"},
        ),
        RunStatus.EXECUTING_REMEDIATION: (GUIDE, "on-call-handover", {"engineer": "a@example.com"}),
    }
    assert set(chosen) | {RunStatus.SCHEDULED_FOR_EXECUTION} == {
        s for s in RunStatus if not s.is_terminal
    }
    for target, (kind, definition, inputs) in chosen.items():
        run_id = await h.start(kind, definition, **inputs)
        if (
            target is RunStatus.EXECUTING_REMEDIATION
        ):  # the guide's tool step runs after two answers
            for answer in ("done", "approve"):
                await h.advance_until(run_id, lambda r: r.status.is_waiting, step=0.05)
                await h.answer(run_id, answer)
        run = await h.advance_until(
            run_id, lambda r, t=target: r.status is t, fake_seconds=60, step=0.05
        )
        if target is RunStatus.EXECUTING_REMEDIATION:
            assert any(step.status is StepStatus.RUNNING for step in run.steps)
        assert run.status is target
        summary = await h.engine.cancel(run_id, actor="alice@example.com")
        assert summary.status is RunStatus.CANCELLED, target
        run = h.run(run_id)
        path = assert_legal(run)
        assert path[-2:] == [target, RunStatus.CANCELLED]
        assert not any(
            s.status in (StepStatus.PENDING, StepStatus.RUNNING, StepStatus.WAITING_FOR_INPUT)
            for s in run.steps
        )
        again = await h.engine.cancel(run_id)
        assert again.status is RunStatus.CANCELLED and again.version == summary.version  # no-op
        await h.clock.advance(30)
        assert h.run(run_id).status is RunStatus.CANCELLED  # nothing moved it afterwards


async def test_cancel_a_scheduled_run_and_conflict_on_finished(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    await h.engine.start()
    try:
        scheduled = await _first_scheduled(h)
        assert scheduled.scheduled_for == h.clock.now().replace(microsecond=0) + (
            scheduled.scheduled_for - h.clock.now().replace(microsecond=0)
        )
        summary = await h.engine.cancel(scheduled.id)
        assert summary.status is RunStatus.CANCELLED
        finished = await h.until_finished(await h.start(FLOW, "cache-warmup-draft"))
        with pytest.raises(Conflict) as refused:
            await h.engine.cancel(finished.id)
        assert refused.value.current["status"] == RunStatus.NO_STEPS.value
    finally:
        await h.engine.stop()


async def _first_scheduled(h: Harness):  # test helper
    for _ in range(40):
        runs = h.store.list_runs(statuses=frozenset({RunStatus.SCHEDULED_FOR_EXECUTION})).runs
        if runs:
            return runs[0]
        await h.clock.advance(0.25)
    raise AssertionError("no scheduled run appeared")


async def _answer_until_finished(h: Harness, run_id: str) -> None:
    """Scheduled runs take whichever route their triage output picks; some routes wait for a
    person, who here approves or takes the first choice, so the run can finish either way."""
    for _ in range(10):
        run = await h.advance_until(run_id, lambda r: r.status.is_terminal or r.status.is_waiting)
        if run.status.is_terminal:
            return
        step = next(s for s in run.steps if s.id == waiting_step(run))
        assert step.prompt is not None
        allowed = step.prompt.allowed_values() or ("done",)
        await h.engine.respond(run_id, step.id, PromptResponse(value=allowed[0]))
    raise AssertionError("the run kept waiting")


async def test_scheduled_runs_wait_until_due_then_the_next_is_scheduled(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    await h.engine.start()
    try:
        first = await _first_scheduled(h)
        assert (first.scheduled_for - first.created_at).total_seconds() == 900
        await h.clock.advance(600)
        assert h.run(first.id).status is RunStatus.SCHEDULED_FOR_EXECUTION
        run = await h.advance_until(
            first.id,
            lambda r: r.status not in (RunStatus.SCHEDULED_FOR_EXECUTION,),
            fake_seconds=400,
        )
        assert run.started_at >= first.scheduled_for
        await _answer_until_finished(h, first.id)
        upcoming = [
            r
            for r in h.store.list_runs(statuses=frozenset({RunStatus.SCHEDULED_FOR_EXECUTION})).runs
        ]
        assert len(upcoming) == 1 and upcoming[0].id != first.id
        assert upcoming[0].scheduled_for == first.scheduled_for + (
            first.scheduled_for - first.created_at
        )
        assert upcoming[0].trigger.actor == "schedule"
    finally:
        await h.engine.stop()


async def test_restart_resumes_waiting_runs_and_fails_interrupted_tools(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    waiting = await h.start(FLOW, "disk-pressure", host="web-prod-01")
    await h.until_status(waiting, RunStatus.WAITING_FOR_USER_INPUT_TRIAGE)
    running = await h.start(FLOW, "database-health-check", host="db-prod-01")
    await h.advance_until(running, lambda r: r.steps[0].status is StepStatus.RUNNING, step=0.05)
    await h.engine.stop()
    engine = h.restart_engine()
    await engine.start()
    try:
        run = await h.until_finished(running)
        assert run.steps[0].status is StepStatus.FAILED and "interrupted" in run.steps[0].error
        assert (
            run.status is RunStatus.COMPLETED_SUCCESS or run.status is RunStatus.COMPLETED_FAILURE
        )
        assert_legal(run)
        await engine.respond(
            waiting, waiting_step(h.run(waiting)), PromptResponse(value="Logs not rotated")
        )
        run = await h.until_status(waiting, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
        assert run.outcome == "Logs not rotated"
    finally:
        await engine.stop()


async def test_restart_re_runs_a_step_whose_tool_is_idempotent(tmp_path: Path) -> None:
    """The rule of docs/deployment.md: an interrupted idempotent tool runs again, and says so."""
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "look.toml").write_text(
        'kind = "guide"\nid = "look"\ntitle = "Look"\n'
        '[tools.peek]\ntype = "sim"\nlatency = "30s"\nidempotent = true\n'
        '[[tools.peek.scenarios]]\nlines = ["seen"]\n'
        '[[steps]]\ntitle = "Peek"\nautomation = "automated"\ntool = "peek"\n'
    )
    h = Harness(tmp_path, folder)
    run_id = await h.start(GUIDE, "look")
    await h.advance_until(run_id, lambda r: r.steps[0].status is StepStatus.RUNNING, step=0.05)
    await h.engine.stop()
    engine = h.restart_engine(folder)
    await engine.start()
    try:
        run = await h.until_finished(run_id)
        assert (
            run.status is RunStatus.COMPLETED_SUCCESS
            and run.steps[0].status is StepStatus.SUCCEEDED
        )
        reruns = [e for e in run.events if e.type is EventType.STEP_STARTED and e.data.get("rerun")]
        assert len(reruns) == 1 and "idempotent" in reruns[0].data["reason"]
        assert "re-running" in run.steps[0].tool.output and "seen" in run.steps[0].tool.output
        assert_legal(run)
    finally:
        await engine.stop()
