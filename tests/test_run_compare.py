"""`run_compare`: step alignment, masking, value diffs and the first divergence (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from runs_tui.backend import demo
from runs_tui.backend.definitions import load_definitions
from runs_tui.models.domain import (
    AutomationType,
    PromptResponse,
    RunDetail,
    Step,
    StepPhase,
    StepStatus,
    ToolInvocation,
    Trigger,
    Variable,
    VariableDirection,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus
from runs_tui.run_compare import (
    Change,
    Mask,
    Masker,
    Section,
    compare_runs,
    masks_from_patterns,
    output_diff,
    remediation_of,
    step_key,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def step(
    index: int,
    title: str,
    status: StepStatus = StepStatus.SUCCEEDED,
    output: str = "",
    *,
    phase: StepPhase = StepPhase.TRIAGE,
    position: int | None = None,
    seconds: float = 2.0,
    answer: str | None = None,
) -> Step:
    return Step(
        id=f"{phase.value}-{index}",
        phase=phase,
        position=position or index,
        title=title,
        automation=AutomationType.AUTOMATED,
        status=status,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=seconds),
        tool=ToolInvocation(tool="t", tool_type="shell", output=output, exit_status=0),
        response=PromptResponse(value=answer) if answer else None,
    )


def run(run_id: str, steps: list[Step], **fields: object) -> RunDetail:
    values: dict[str, object] = {
        "id": run_id,
        "kind": RunKind.FLOW,
        "definition_id": "disk",
        "name": "Disk pressure",
        "status": RunStatus.COMPLETED_SUCCESS,
        "trigger": Trigger(actor="ann"),
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
        "seq": 1,
        "inputs": {"host": "db-1"},
        "steps": steps,
    }
    values.update(fields)
    return RunDetail.model_validate(values)


# --- properties ---------------------------------------------------------------------------------

_titles = st.sampled_from(["Check disk", "Clean logs", "Restart", "Ask the DBA", "Watch"])
_lines = st.lists(st.text(alphabet="abcxyz 0123456789:-", max_size=20), max_size=4)


@st.composite
def runs(draw: st.DrawFn) -> RunDetail:
    count = draw(st.integers(0, 5))
    steps = [
        step(
            index + 1,
            draw(_titles),
            draw(st.sampled_from(list(StepStatus))),
            "\n".join(draw(_lines)),
            seconds=draw(st.floats(0, 500)),
        )
        for index in range(count)
    ]
    inputs = draw(
        st.dictionaries(st.sampled_from(["host", "mount", "service"]), st.text(max_size=8))
    )
    outcome = draw(st.sampled_from([None, "Logs full", "Cache full"]))
    return run(draw(st.sampled_from(["run-a", "run-b"])), steps, inputs=inputs, outcome=outcome)


@given(runs())
def test_a_run_compared_with_itself_has_no_difference(detail: RunDetail) -> None:
    comparison = compare_runs(detail, detail)
    assert comparison.same
    assert comparison.first_divergence is None
    assert all(not s.change.differs and not s.output_diff for s in comparison.steps)
    assert len(comparison.steps) == len(detail.steps)


@given(runs(), runs())
def test_swapping_the_sides_swaps_only_a_and_only_b(a: RunDetail, b: RunDetail) -> None:
    forward, backward = compare_runs(a, b), compare_runs(b, a)
    assert forward.same == backward.same
    swap = {Change.ONLY_A: Change.ONLY_B, Change.ONLY_B: Change.ONLY_A}
    assert sorted(swap.get(s.change, s.change) for s in forward.steps) == sorted(
        s.change for s in backward.steps
    )


@given(runs(), runs())
def test_every_step_of_both_runs_is_shown_once(a: RunDetail, b: RunDetail) -> None:
    comparison = compare_runs(a, b)
    left = [s.a.id for s in comparison.steps if s.a is not None]
    right = [s.b.id for s in comparison.steps if s.b is not None]
    assert left == [s.id for s in a.steps]
    assert right == [s.id for s in b.steps]


@given(st.datetimes(timezones=st.just(UTC)), st.datetimes(timezones=st.just(UTC)))
def test_timestamps_alone_never_make_a_difference(x: datetime, y: datetime) -> None:
    a = run("run-a", [step(1, "Check", output=f"started {x.isoformat()} at {x:%H:%M:%S}")])
    b = run("run-b", [step(1, "Check", output=f"started {y.isoformat()} at {y:%H:%M:%S}")])
    assert compare_runs(a, b).same


# --- examples -----------------------------------------------------------------------------------


def test_run_ids_uuids_and_durations_are_masked() -> None:
    a = run(
        "h00000123a1b2c3d4e5",
        [
            step(
                1,
                "Check",
                output="run h00000123a1b2c3d4e5 took 340ms\n"
                "req 0f8fad5b-d9cb-469f-a165-70867728950e",
            )
        ],
    )
    b = run(
        "9b2c1f0e8d7a6b5c4d3e2f1a0b9c8d7e",
        [
            step(
                1,
                "Check",
                output="run 9b2c1f0e8d7a6b5c4d3e2f1a0b9c8d7e took 2.5 s\n"
                "req 7c9e6679-7425-40de-944b-e07fc1f90ae7",
            )
        ],
    )
    assert compare_runs(a, b).same


def test_a_real_output_difference_is_a_unified_diff() -> None:
    a = run("run-a", [step(1, "Check", output="disk 40%\nok\n")])
    b = run("run-b", [step(1, "Check", output="disk 96%\nok\n")])
    comparison = compare_runs(a, b)
    (only,) = comparison.steps
    assert only.change is Change.CHANGED and not only.status_differs
    assert only.output_diff[:2] == ("--- a/triage-1", "+++ b/triage-1")
    assert "-disk 40%" in only.output_diff and "+disk 96%" in only.output_diff
    assert comparison.first_divergence is not None
    assert comparison.first_divergence.words == "step “Check”: output differs"


def test_durations_are_shown_but_never_differ() -> None:
    a = run("run-a", [step(1, "Check", seconds=1)])
    b = run("run-b", [step(1, "Check", seconds=300)])
    comparison = compare_runs(a, b)
    assert comparison.same
    assert comparison.steps[0].a.duration_seconds == 1  # type: ignore[union-attr]
    assert comparison.steps[0].b.duration_seconds == 300  # type: ignore[union-attr]


def test_steps_with_the_same_id_but_another_title_are_different_steps() -> None:
    """Two remediations both have a `remediation-1`: aligned by id and title, they are not
    paired, each is shown on its side alone, after the shared triage."""
    rem = StepPhase.REMEDIATION
    a = run("run-a", [step(1, "Check"), step(1, "Fail over", phase=rem, position=2)])
    b = run(
        "run-b",
        [
            step(1, "Check"),
            step(1, "Restart", phase=rem, position=2),
            step(2, "Watch", phase=rem, position=3),
        ],
    )
    comparison = compare_runs(a, b)
    assert [(s.change, s.title) for s in comparison.steps] == [
        (Change.SAME, "Check"),
        (Change.ONLY_A, "Fail over"),
        (Change.ONLY_B, "Restart"),
        (Change.ONLY_B, "Watch"),
    ]
    assert comparison.first_divergence is not None
    assert comparison.first_divergence.section is Section.STEPS
    assert comparison.first_divergence.index == 1
    assert step_key(a.steps[1]) == "remediation-1:Fail over"


def test_inputs_come_first_in_the_divergence_then_steps_then_outputs_then_result() -> None:
    base = [step(1, "Check", answer="yes")]
    other = [step(1, "Check", answer="no")]
    out = [Variable(name="usage", value="96%", direction=VariableDirection.OUTPUT)]
    a = run("run-a", base, variables=out, outcome="Logs")
    assert (
        compare_runs(
            a, run("run-b", base, inputs={"host": "db-2"}, variables=out)
        ).first_divergence.section
        is Section.INPUTS
    )  # type: ignore[union-attr]
    assert (
        compare_runs(a, run("run-b", other, variables=out, outcome="Logs")).first_divergence.words
        == "step “Check”: outcome differs"
    )  # type: ignore[union-attr]
    assert (
        compare_runs(a, run("run-b", base, outcome="Logs")).first_divergence.section
        is Section.OUTPUTS
    )  # type: ignore[union-attr]
    divergence = compare_runs(
        a, run("run-b", base, variables=out, outcome="Cache")
    ).first_divergence
    assert divergence is not None and divergence.words == "the outcome differs"


def test_configured_masks_replace_the_defaults() -> None:
    masks = masks_from_patterns([r"build-\d+"])
    assert Masker(masks)("build-17 at 12:00:01") == "<masked> at 12:00:01"
    assert Masker((Mask(r"\d+", "N"),))("a 1 b 22") == "a N b N"


def test_masks_work_line_by_line() -> None:
    """`^` is a line's start, and a pattern that would swallow a line end is applied to each
    line on its own, so the lines of a diff stay the lines of the output."""
    assert Masker((Mask(r"^x"),)).lines(["x1", "x2"]) == ["<masked>1", "<masked>2"]
    assert Masker((Mask(r"a\s+b"),)).lines(["a", "b a b"]) == ["a", "b <masked>"]
    assert Masker().lines([]) == []


def test_json_has_every_section() -> None:
    a = run("run-a", [step(1, "Check", output="x")])
    b = run("run-b", [step(1, "Check", output="y")])
    document = compare_runs(a, b).to_json()
    assert document["same"] is False
    assert document["differences"] == {"inputs": 0, "outputs": 0, "steps": 1, "result": 0}
    assert document["steps"][0]["output_diff"][0] == "--- a/triage-1"
    assert document["first_divergence"] == {
        "section": "steps",
        "index": 0,
        "words": "step “Check”: output differs",
    }


def test_the_demo_history_has_two_runs_of_a_flow_that_took_different_remediations() -> None:
    """The seed's templates: one successful run per outcome of a flow, each naming the
    remediation it took, as the engine does."""
    definitions = load_definitions()
    flow = next(d for d in definitions.all() if d.id == "api-latency")
    succeeded = [
        t.run
        for t in demo._templates(flow, definitions.tools)
        if t.run.status is RunStatus.COMPLETED_SUCCESS
    ]
    remediations = {remediation_of(r) for r in succeeded}
    assert remediations == {"failover-dependency", "restart-pods"}
    comparison = compare_runs(succeeded[0], succeeded[1])
    result = {v.name: v for v in comparison.result}
    assert result["remediation"].change is Change.CHANGED
    assert result["status"].change is Change.SAME
    assert comparison.first_divergence is not None
    assert comparison.first_divergence.words.endswith("ran only in A")


_text_lines = st.lists(st.sampled_from(["a", "b", "c", "d", ""]), max_size=40)


def _patched(old: list[str], diff: tuple[str, ...]) -> list[str]:
    """`old` with a unified diff applied (its hunk headers trusted for where)."""
    import re

    out: list[str] = []
    at = 0  # lines of `old` consumed
    for line in diff[2:]:
        if line.startswith("@@"):
            start = int(re.match(r"@@ -(\d+)(?:,(\d+))?", line)[1])  # type: ignore[index]
            length = re.match(r"@@ -\d+(?:,(\d+))?", line)[1]  # type: ignore[index]
            begin = start if length == "0" else start - 1
            out += old[at:begin]
            at = begin
        elif line.startswith(" "):
            assert old[at] == line[1:]
            out.append(line[1:])
            at += 1
        elif line.startswith("-"):
            assert old[at] == line[1:]
            at += 1
        else:
            out.append(line[1:])
    return out + old[at:]


@given(_text_lines, _text_lines, st.integers(0, 3), st.integers(0, 60))
def test_output_diff_turns_a_into_b_with_the_right_line_numbers(
    left: list[str], right: list[str], context: int, shared: int
) -> None:
    """Leaving the common ends out of the matching keeps the diff exact: applied to A's
    lines, with its hunk headers' line numbers, it gives B's; and it is difflib's own when
    nothing is shared."""
    import difflib

    common = [f"same {n}" for n in range(shared)]
    a = "\n".join(common + left + common)
    b = "\n".join(common + right + common)
    diff = output_diff(a, b, "a/x", "b/x", context)
    if a == b:
        assert diff == ()
        return
    assert diff[:2] == ("--- a/x", "+++ b/x")
    assert _patched(a.splitlines(), diff) == b.splitlines()
    if shared == 0 and left[:1] != right[:1] and left[-1:] != right[-1:]:
        expected = difflib.unified_diff(
            a.splitlines(), b.splitlines(), "a/x", "b/x", n=context, lineterm=""
        )
        assert diff == tuple(expected)
