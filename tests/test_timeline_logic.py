"""Timeline logic: step bars with waits, the duration breakdown, axis ticks and drawing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from runs_tui.models import (
    AutomationType,
    Event,
    EventType,
    Prompt,
    PromptKind,
    PromptResponse,
    RunDetail,
    RunKind,
    RunStatus,
    Step,
    StepPhase,
    StepStatus,
    Trigger,
)
from runs_tui.timeline import (
    BETWEEN,
    QUEUED,
    WAITING,
    SegmentKind,
    axis_ticks,
    bars,
    breakdown,
    draw_bar,
    entries,
    format_duration,
)

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _step(
    sid: str,
    pos: int,
    phase: StepPhase,
    start: float | None,
    end: float | None,
    status: StepStatus = StepStatus.SUCCEEDED,
    **kw,
) -> Step:
    return Step(
        id=sid,
        phase=phase,
        position=pos,
        title=f"Step {sid}",
        automation=AutomationType.AUTOMATED,
        status=status,
        started_at=at(start) if start is not None else None,
        finished_at=at(end) if end is not None else None,
        **kw,
    )


def waited_run(finished: float | None = 140) -> RunDetail:
    """queued 5s, triage 10s, triage step that waits 60s for input, deciding 10s,
    remediation 30s, summarizing 10s: 140s in all."""
    wait = _step(
        "s2",
        2,
        StepPhase.TRIAGE,
        15,
        90,
        prompt=Prompt(kind=PromptKind.CONFIRM, question="Go?", requested_at=at(20)),
        response=PromptResponse(value="approve", answered_by="ana", answered_at=at(80)),
    )
    return RunDetail(
        id="r1",
        kind=RunKind.FLOW,
        definition_id="d",
        name="Disk",
        trigger=Trigger(),
        status=RunStatus.COMPLETED_SUCCESS if finished else RunStatus.EXECUTING_REMEDIATION,
        created_at=T0,
        started_at=at(5),
        finished_at=at(finished) if finished else None,
        updated_at=T0,
        version=1,
        seq=1,
        steps=[
            _step("s1", 1, StepPhase.TRIAGE, 5, 15),
            wait,
            _step(
                "s3",
                3,
                StepPhase.REMEDIATION,
                100,
                130 if finished else None,
                StepStatus.SUCCEEDED if finished else StepStatus.RUNNING,
            ),
            _step("s4", 4, StepPhase.REMEDIATION, None, None, StepStatus.PENDING),
        ],
        events=[
            Event(seq=1, at=T0, type=EventType.RUN_CREATED),
            Event(seq=2, at=at(5), type=EventType.STEP_STARTED, step_id="s1"),
            Event(
                seq=3,
                at=at(15),
                type=EventType.STEP_FINISHED,
                step_id="s1",
                data={"status": "succeeded"},
            ),
            Event(seq=4, at=at(20), type=EventType.INPUT_REQUESTED, step_id="s2"),
            Event(seq=5, at=at(21), type=EventType.TOOL_OUTPUT, step_id="s2", data={"chunk": "x"}),
            Event(
                seq=6,
                at=at(80),
                type=EventType.INPUT_RECEIVED,
                step_id="s2",
                data={"answered_by": "ana", "value": "approve"},
            ),
            Event(
                seq=7,
                at=at(100),
                type=EventType.STATUS_CHANGED,
                data={"to": "executing_remediation"},
            ),
        ],
    )


def test_a_waiting_step_is_executing_then_waiting_then_executing() -> None:
    result = {b.step_id: b for b in bars(waited_run(), now=at(1000))}
    assert set(result) == {"s1", "s2", "s3"}  # s4 never started: no bar
    kinds = [(s.kind, s.duration.total_seconds()) for s in result["s2"].segments]
    assert kinds == [
        (SegmentKind.EXECUTING, 5),
        (SegmentKind.WAITING, 60),
        (SegmentKind.EXECUTING, 10),
    ]
    assert result["s2"].time_in(SegmentKind.WAITING) == timedelta(seconds=60)


def test_breakdown_parts_add_up_to_the_total() -> None:
    result = breakdown(waited_run(), now=at(1000))
    assert result.total == timedelta(seconds=140)
    seconds = {s.key: s.duration.total_seconds() for s in result.shares}
    assert seconds == {
        QUEUED: 5,
        "executing:triage": 25,
        "executing:remediation": 30,
        WAITING: 60,
        BETWEEN: 20,
    }
    assert abs(sum(s.percent for s in result.shares) - 100) < 1e-6
    assert result.ran == timedelta(seconds=135)  # the run's duration: queued time left out
    assert result.get(QUEUED).percent == 0
    assert round(result.get(WAITING).percent, 1) == round(60 / 135 * 100, 1)


def test_the_header_duration_and_the_timeline_duration_agree() -> None:
    from runs_tui.widgets.run_header import run_duration

    for finished in (True, False):
        run = waited_run() if finished else waited_run(finished=None)
        assert run_duration(run, at(120)) == format_duration(breakdown(run, now=at(120)).ran)


def test_a_run_waiting_for_its_schedule_has_only_queued_time() -> None:
    """The engine stamps `started_at` when a run leaves Pending, before it waits for its due
    time; that wait is not "between steps" and not part of the run's duration."""
    run = RunDetail(
        id="r-s",
        kind=RunKind.FLOW,
        definition_id="db",
        name="Database health check",
        status=RunStatus.SCHEDULED_FOR_EXECUTION,
        trigger=Trigger(),
        created_at=T0,
        started_at=at(0.5),
        updated_at=at(1),
        scheduled_for=at(900),
        version=3,
        seq=3,
    )
    result = breakdown(run, now=at(744))
    assert result.get(QUEUED).duration == timedelta(seconds=744)
    assert result.get(BETWEEN).duration == timedelta(0)
    assert result.ran == timedelta(0)


def test_active_run_is_measured_up_to_now() -> None:
    result = breakdown(waited_run(finished=None), now=at(120))
    assert result.total == timedelta(seconds=120)
    assert result.get("executing:remediation").duration == timedelta(seconds=20)
    running = {b.step_id: b for b in bars(waited_run(finished=None), now=at(120))}["s3"]
    assert running.end == at(120)


def test_prompt_timestamps_are_used_when_events_are_missing() -> None:
    detail = waited_run().model_copy(update={"events": []})
    segs = {b.step_id: b for b in bars(detail, now=at(1000))}["s2"].segments
    assert [s.kind for s in segs] == [
        SegmentKind.EXECUTING,
        SegmentKind.WAITING,
        SegmentKind.EXECUTING,
    ]


def test_still_waiting_step_waits_until_now() -> None:
    detail = waited_run(finished=None)
    s2 = detail.steps[1].model_copy(
        update={"finished_at": None, "response": None, "status": StepStatus.WAITING_FOR_INPUT}
    )
    detail = detail.model_copy(update={"steps": [detail.steps[0], s2], "events": []})
    segs = bars(detail, now=at(50))[1].segments
    assert segs[-1].kind is SegmentKind.WAITING and segs[-1].end == at(50)
    assert breakdown(detail, now=at(50)).get(WAITING).duration == timedelta(seconds=30)


def test_entries_are_chronological_words_without_output_chunks() -> None:
    texts = [e.text for e in entries(waited_run())]
    assert texts[0] == "Run created"
    assert "Finished “Step s1”: succeeded" in texts
    assert "ana answered “Step s2”: “approve”" in texts
    assert "Status → Executing Remediation" in texts
    assert not any(t.startswith("Output") for t in texts)
    offsets = [e.offset for e in entries(waited_run())]
    assert offsets == sorted(offsets)


def test_entries_say_who_created_and_who_cancelled() -> None:
    run = waited_run()
    created = Event(
        seq=90,
        at=run.created_at,
        type=EventType.RUN_CREATED,
        data={"trigger": "manual", "actor": "bo"},
    )
    cancelled = Event(
        seq=91,
        at=run.created_at + timedelta(hours=1),
        type=EventType.STATUS_CHANGED,
        data={"from": "executing_remediation", "to": "cancelled", "actor": "cli-oncall"},
    )
    texts = [e.text for e in entries(run.model_copy(update={"events": [created, cancelled]}))]
    assert texts == ["Run created by bo", "Status → Cancelled by cli-oncall"]


def test_format_duration_reads_at_every_scale() -> None:
    assert format_duration(timedelta(seconds=0.4)) == "0.4s"
    assert format_duration(timedelta(seconds=2)) == "2s"
    assert format_duration(timedelta(seconds=42)) == "42s"
    assert format_duration(timedelta(seconds=185)) == "3m 05s"
    assert format_duration(timedelta(hours=2, minutes=14)) == "2h 14m"
    assert format_duration(timedelta(days=3, hours=4)) == "3d 04h"


def test_axis_ticks_for_seconds_and_for_days() -> None:
    short = axis_ticks(timedelta(seconds=40), 60)
    assert short[0] == (0, "0") and short[1][1] == "10s"
    long = axis_ticks(timedelta(days=3), 60)
    assert [label for _, label in long] == ["0", "1d", "2d", "3d"]
    for ticks in (short, long):
        columns = [c for c, _ in ticks]
        assert columns == sorted(columns) and columns[-1] <= 59
        assert all(b - a >= 10 for a, b in zip(columns, columns[1:]))


def test_draw_bar_shows_waits_with_a_different_glyph_and_never_drops_short_segments() -> None:
    detail = waited_run()
    s2 = {b.step_id: b for b in bars(detail, now=at(1000))}["s2"]
    cells = draw_bar(s2, T0, timedelta(seconds=140), 140)
    assert cells[15:20] == [SegmentKind.EXECUTING] * 5
    assert cells[20:80] == [SegmentKind.WAITING] * 60
    assert cells[80:90] == [SegmentKind.EXECUTING] * 10
    assert cells[90] is None and cells[14] is None
    # a 3-day axis 20 cells wide: every segment still gets a cell
    tiny = draw_bar(s2, T0, timedelta(days=3), 20)
    assert SegmentKind.WAITING in tiny


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 500), st.floats(0, 500), st.booleans()), min_size=0, max_size=6
    ),
    st.floats(0, 50),
    st.floats(0, 2000),
)
def test_breakdown_always_sums_to_total(spans, queued, extra) -> None:
    steps = []
    for index, (a, b, waits) in enumerate(spans):
        start, end = queued + min(a, b), queued + max(a, b)
        prompt = (
            Prompt(kind=PromptKind.ANSWER, question="?", requested_at=at((start + end) / 2))
            if waits
            else None
        )
        steps.append(_step(f"s{index}", index, StepPhase.PROCEDURE, start, end, prompt=prompt))
    detail = RunDetail(
        id="r",
        kind=RunKind.GUIDE,
        definition_id="d",
        name="n",
        trigger=Trigger(),
        status=RunStatus.COMPLETED_SUCCESS,
        created_at=T0,
        started_at=at(queued),
        finished_at=at(queued + 500 + extra),
        updated_at=T0,
        version=1,
        seq=1,
        steps=steps,
    )
    result = breakdown(detail, now=at(99999))
    assert sum((s.duration for s in result.shares), timedelta(0)) == result.total
    assert all(s.duration >= timedelta(0) for s in result.shares)
