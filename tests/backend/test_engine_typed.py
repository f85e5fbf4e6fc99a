"""The engine's typed answers and deadlines, under FakeClock.

An answer is checked against the prompt's fields before anything is recorded; a deadline that
passes changes the run (fail, take the defaults, skip) with its own `input_expired` event; and
an answer racing the deadline, on one engine or two sharing a database, gives exactly one
outcome.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from runs_tui.backend.engine import Conflict, Engine, InvalidRequest
from runs_tui.backend.expiry import ExpiryTimers
from runs_tui.exports import write_run_json
from runs_tui.models.domain import EventType, PromptResponse, RunDetail, StepStatus
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.prompt_fields import FieldType, OnExpiry
from runs_tui.models.status import RunStatus

try:
    from engine_harness import Harness, assert_legal, waiting_step
except ImportError:  # tests/backend became a package
    from .engine_harness import Harness, assert_legal, waiting_step  # type: ignore[no-redef]

TYPED = Path(__file__).parent / "typed_definitions"
DEADLINE = 600.0  # the expire-* guides' expires_after


def _waiting(run: RunDetail) -> bool:
    return run.status.is_waiting


async def _started(h: Harness, guide: str) -> RunDetail:
    await h.engine.start()
    run_id = await h.start(RunKind.GUIDE, guide)
    return await h.advance_until(run_id, _waiting, fake_seconds=60)


def _events(run: RunDetail, kind: EventType) -> list[dict[str, object]]:
    return [event.data for event in run.events if event.type is kind]


async def test_the_served_prompt_carries_fields_description_deadline_and_context(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "failover")
    step = run.waiting_step()
    assert step is not None and step.prompt is not None
    prompt = step.prompt
    assert prompt.question == "Fail over db-main?"
    assert prompt.description == "Lag is in the output of the first step."
    assert [field.name for field in prompt.fields] == [
        "ticket",
        "replicas",
        "areas",
        "page",
        "notes",
    ]
    assert prompt.fields[1].type is FieldType.INTEGER
    assert prompt.requested_at is not None
    assert prompt.expires_at == prompt.requested_at + timedelta(minutes=30)
    assert prompt.on_expiry is OnExpiry.FAIL
    assert prompt.context_steps == ["procedure-1"]
    requested = _events(run, EventType.INPUT_REQUESTED)[-1]
    assert requested["expires_at"] == prompt.expires_at.isoformat()
    assert requested["on_expiry"] == "fail"
    await h.engine.stop()


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"ticket": "CHG-1", "replicas": 2}, "ticket", "must match the pattern"),
        ({"ticket": "INC-1", "replicas": 9}, "replicas", "at most 5"),
        ({"ticket": "INC-1", "replicas": "two"}, "replicas", "whole number"),
        ({"ticket": "INC-1"}, "replicas", "required"),
        ({"ticket": "INC-1", "replicas": 2, "areas": ["mars"]}, "areas", "not a choice"),
        ({"ticket": "INC-1", "replicas": 2, "page": "maybe"}, "page", "yes or no"),
        ({"ticket": "INC-1", "replicas": 2, "colour": "red"}, "colour", "no such field"),
    ],
)
async def test_an_invalid_answer_names_the_field_and_records_nothing(
    tmp_path: Path, values: dict[str, object], field: str, reason: str
) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "failover")
    step_id = waiting_step(run)
    with pytest.raises(InvalidRequest) as refused:
        await h.engine.respond(run.id, step_id, PromptResponse(value=""), values=values)
    assert refused.value.details["field"] == field
    assert reason in str(refused.value.details["reason"])
    after = h.run(run.id)
    assert after.version == run.version and after.waiting_step() is not None
    await h.engine.stop()


async def test_a_typed_answer_is_recorded_and_its_fields_become_variables(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "failover")
    values = {"ticket": "INC-42", "replicas": "3", "areas": ["us", "eu"], "notes": "a\nb"}
    await h.engine.respond(
        run.id, waiting_step(run), PromptResponse(value="", answered_by="ann"), values=values
    )
    done = await h.until_finished(run.id)
    assert done.status is RunStatus.COMPLETED_SUCCESS
    response = done.steps[1].response
    assert response is not None
    assert response.values == {
        "ticket": "INC-42",
        "replicas": 3,
        "areas": ["eu", "us"],  # the definition's order
        "page": False,  # the default
        "notes": "a\nb",
    }
    assert response.value == "ticket=INC-42, replicas=3, areas=eu+us, page=no, notes=a\nb"
    variables = {v.name: v.value for v in done.variables}
    assert variables["ticket"] == "INC-42" and variables["replicas"] == "3"
    assert variables["areas"] == "eu,us" and variables["page"] == "false"
    assert done.steps[2].tool is not None
    assert done.steps[2].tool.input["ticket"] == "INC-42"  # a later tool read the answer
    received = _events(done, EventType.INPUT_RECEIVED)[-1]
    assert received["values"] == response.values and received["expired"] is False
    assert_legal(done)
    await h.engine.stop()


async def test_todays_one_value_answers_keep_working(tmp_path: Path) -> None:
    """`value` alone answers a one-field prompt, case and spaces forgiven as before."""
    h = Harness(tmp_path, Path(__file__).parent / "api_definitions")
    await h.engine.start()
    run_id = await h.start(RunKind.GUIDE, "checklist", host="db-1")
    run = await h.advance_until(run_id, _waiting, fake_seconds=60)
    with pytest.raises(InvalidRequest) as refused:
        await h.answer(run_id, "green")
    assert refused.value.details == {"field": "value", "reason": "must be one of: red, blue"}
    answered = await h.answer(run_id, "  BLUE ")
    assert answered.steps[0].response is not None
    assert answered.steps[0].response.value == "blue"
    assert answered.steps[0].response.values == {"value": "blue"}
    del run
    await h.engine.stop()


async def test_on_expiry_fail_fails_the_step_and_the_run(tmp_path: Path) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "expire-fail")
    await h.clock.advance(DEADLINE - 1)
    assert h.run(run.id).waiting_step() is not None  # not a second early
    done = await h.until_finished(run.id, fake_seconds=60)
    step = done.steps[0]
    assert step.status is StepStatus.FAILED and step.error == "no answer before the deadline"
    assert step.response is None
    assert done.steps[1].status is StepStatus.SKIPPED
    assert done.status is RunStatus.COMPLETED_FAILURE
    expired = _events(done, EventType.INPUT_EXPIRED)
    assert expired == [
        {
            "prompt_id": run.steps[0].prompt.prompt_id,  # type: ignore[union-attr]
            "on_expiry": "fail",
            "deadline": run.steps[0].prompt.expires_at.isoformat(),  # type: ignore[union-attr]
        }
    ]
    assert _events(done, EventType.INPUT_RECEIVED) == []  # an expiry is not an answer
    assert_legal(done)
    await h.engine.stop()


async def test_on_expiry_default_takes_the_defaults_as_the_system(tmp_path: Path) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "expire-default")
    await h.clock.advance(DEADLINE)
    after = await h.advance_until(
        run.id, lambda r: r.steps[0].status.is_finished and r.status.is_waiting, fake_seconds=60
    )
    step = after.steps[0]
    assert step.status is StepStatus.SUCCEEDED and step.response is not None
    assert step.response.answered_by == "system" and step.response.expired is True
    assert step.response.values == {"go": True}
    assert [e.type for e in after.events if e.step_id == step.id][-5:] == [
        EventType.INPUT_EXPIRED,
        EventType.AUDIT,  # the expiry, by the system (the audit log has it too)
        EventType.INPUT_RECEIVED,  # by the system, marked expired
        EventType.VARIABLE_SET,  # go=true, as an answer would set it
        EventType.STEP_FINISHED,
    ]
    assert _events(after, EventType.INPUT_RECEIVED)[-1]["expired"] is True
    exported = io.StringIO()
    write_run_json(after, exported)  # the export is the record: expiry and values are in it
    document = json.loads(exported.getvalue())["run"]
    assert document["steps"][0]["response"]["values"] == {"go": True}
    assert document["steps"][0]["response"]["expired"] is True
    assert "input_expired" in [event["type"] for event in document["events"]]
    assert after.waiting_step() is not None and after.waiting_step().id == "procedure-2"  # type: ignore[union-attr]
    assert_legal(after)
    await h.engine.stop()


async def test_on_expiry_skip_skips_the_step_and_the_run_goes_on(tmp_path: Path) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "expire-skip")
    await h.clock.advance(DEADLINE)
    after = await h.advance_until(
        run.id, lambda r: r.steps[0].status.is_finished and r.status.is_waiting, fake_seconds=60
    )
    assert after.steps[0].status is StepStatus.SKIPPED
    assert after.steps[0].error == "skipped: no answer before the deadline"
    assert _events(after, EventType.INPUT_EXPIRED)[0]["on_expiry"] == "skip"
    await h.answer(run.id, "done")
    done = await h.until_finished(run.id)
    assert done.status is RunStatus.COMPLETED_SUCCESS
    assert_legal(done)
    await h.engine.stop()


async def test_an_answer_before_the_deadline_disarms_it(tmp_path: Path) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "expire-fail")
    await h.engine.respond(run.id, "procedure-1", PromptResponse(value=""), values={"go": False})
    await h.clock.advance(DEADLINE * 3)
    after = h.run(run.id)
    assert _events(after, EventType.INPUT_EXPIRED) == []
    assert after.steps[0].status is StepStatus.SUCCEEDED
    await h.engine.stop()


@pytest.mark.parametrize("answer_first", [True, False])
async def test_an_answer_racing_the_deadline_exactly_one_wins(
    tmp_path: Path, answer_first: bool
) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "expire-fail")
    await h.clock.advance(DEADLINE - 0.5)
    prompt_id = run.steps[0].prompt.prompt_id  # type: ignore[union-attr]

    async def answer() -> object:
        try:
            return await h.engine.respond(
                run.id,
                "procedure-1",
                PromptResponse(value="", answered_by="ann"),
                prompt_id,
                values={"go": True},
            )
        except Conflict as lost:
            return lost

    async def deadline() -> None:
        await h.clock.advance(1)

    racers = [answer(), deadline()] if answer_first else [deadline(), answer()]
    outcome = (await asyncio.gather(*racers))[0 if answer_first else 1]
    for _ in range(50):
        await asyncio.sleep(0)
    after = h.run(run.id)
    answered = _events(after, EventType.INPUT_RECEIVED)
    expired = _events(after, EventType.INPUT_EXPIRED)
    assert len(answered) + len(expired) == 1, (answered, expired)
    if isinstance(outcome, Conflict):
        assert expired and outcome.current["expired"] is True
        assert after.steps[0].status is StepStatus.FAILED
    else:
        assert answered and answered[0]["answered_by"] == "ann"
        assert after.steps[0].status is StepStatus.SUCCEEDED
    assert_legal(after)
    await h.engine.stop()


async def test_two_engines_on_one_database_expire_a_prompt_once(tmp_path: Path) -> None:
    """Every engine that sees the deadline arms it; the compare-and-set lets one apply it."""
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "expire-default")
    other = Engine(h.store, h.bus, h.clock, TYPED, pace_seconds=0.5, replica_id="other")
    await other.start()  # arms the waiting run's deadline it finds in the database
    await h.clock.advance(DEADLINE)
    after = await h.advance_until(run.id, lambda r: r.steps[0].status.is_finished, 60)
    for _ in range(50):
        await asyncio.sleep(0)
    after = h.run(run.id)
    assert len(_events(after, EventType.INPUT_EXPIRED)) == 1
    assert len(_events(after, EventType.INPUT_RECEIVED)) == 1  # the system's, once
    assert_legal(after)
    await other.stop()
    await h.engine.stop()


async def test_a_deadline_passed_while_no_backend_ran_fires_at_start(tmp_path: Path) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "expire-skip")
    await h.engine.stop()
    await h.clock.advance(DEADLINE * 2)  # nobody is running
    assert _events(h.run(run.id), EventType.INPUT_EXPIRED) == []
    engine = h.restart_engine(TYPED)
    await engine.start()
    after = await h.advance_until(run.id, lambda r: r.steps[0].status.is_finished, 10)
    assert after.steps[0].status is StepStatus.SKIPPED
    assert len(_events(after, EventType.INPUT_EXPIRED)) == 1
    await engine.stop()


async def test_cancel_disarms_the_deadline(tmp_path: Path) -> None:
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "expire-fail")
    await h.engine.cancel(run.id, "ann")
    await h.clock.advance(DEADLINE * 2)
    after = h.run(run.id)
    assert after.status is RunStatus.CANCELLED
    assert _events(after, EventType.INPUT_EXPIRED) == []
    await h.engine.stop()


async def test_a_timer_woken_before_its_deadline_arms_itself_again(tmp_path: Path) -> None:
    """A clock may wake a sleeper early (a wall clock stepped back): the engine then re-arms
    from inside the timer, which must start a new one, not keep the one that is ending."""
    h = Harness(tmp_path, TYPED)
    run = await _started(h, "expire-fail")
    await h.engine.stop()

    class EarlyClock:
        def now(self) -> datetime:
            return h.clock.now()

        async def sleep(self, seconds: float) -> None:
            await asyncio.sleep(0)  # wakes at once, whatever the deadline

    fired: list[str] = []

    async def fire(run_id: str, step_id: str, prompt_id: str) -> None:
        fired.append(prompt_id)
        if len(fired) < 3:
            assert timers.arm(run)

    timers = ExpiryTimers(EarlyClock(), fire)
    assert timers.arm(run) and timers.arm(run)  # the same asking: one timer
    for _ in range(50):
        await asyncio.sleep(0)
    assert len(fired) == 3 and not timers.armed(run.id)
    await timers.close()
