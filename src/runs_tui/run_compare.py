"""Compare two runs: inputs, output variables, steps side by side, the result, and each step's
tool output as a unified diff, with the first point where the runs diverge.

Pure (no Textual, no I/O): the comparison screen, `runs-tui runs diff` (text and JSON) and the
tests build on `compare_runs(a, b)` and its plain dataclasses, so the three cannot disagree.

**How steps are aligned.** A step's `id` is its definition's place in its phase
(`triage-2`, `remediation-1`: the engine numbers the definition's steps per phase), so for two
runs of the same flow or guide the same id names the same step of the definition, with one
exception: two runs that took different remediations both have a `remediation-1`, which are
different steps of the definition. So the key of a step is its id *and* its title: the same
key is the same definition step; a step whose key the other run lacks is shown on its side
alone. Keys are aligned in run order (position) by longest matching runs of keys
(`difflib.SequenceMatcher`), so a step only one run has sits where it happened.

**What counts as a difference.** Status, outcome (the answer, exit status or error) and the
tool output after masking; durations are shown side by side but never count (two runs never
take the same time). Inputs and output variables by name; at run level the status, root cause,
outcome, remediation, summary and error. Masking (`DEFAULT_MASKS`, or the profile's
`compare_masks`) replaces timestamps, clock times, run ids, uuids, long hex ids and durations
with a placeholder before comparing, so only real differences show; each run's own id is
masked as `<run-id>` too. Masks apply line by line (a pattern never spans lines).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from runs_tui.models.domain import EventType, RunDetail, Step, VariableDirection


@dataclass(frozen=True)
class Mask:
    """A pattern whose matches are replaced by `placeholder` before two texts are compared."""

    pattern: str
    placeholder: str = "<masked>"

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


DEFAULT_MASKS: tuple[Mask, ...] = (
    Mask(
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?",
        "<time>",
    ),
    Mask(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b", "<clock>"),
    Mask(
        r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        "<uuid>",
    ),
    Mask(r"\b[g-zG-Z]?[0-9a-fA-F]{12,}\b", "<id>"),
    Mask(r"\b\d+(?:\.\d+)?[ ]?(?:ms|us|µs|s|sec|seconds?|min)\b", "<duration>"),
)
"""ISO 8601 timestamps, HH:MM:SS clock times, uuids, run ids and other long hex ids (12 hex
characters or more, after at most one letter, as in `h0000012a1b2c3d4e5f`), and durations
(`340ms`, `2.5 s`). Written without case-insensitive flags or lookaheads: they run over every
line of every output compared (benchmarks/bench_compare.py)."""

MASKED_RUN_ID = "<run-id>"


def masks_from_patterns(patterns: Iterable[str]) -> tuple[Mask, ...]:
    """Masks from the configuration's list of regular expressions (each as `<masked>`).
    Raises `re.error` for a pattern that does not compile."""
    masks = tuple(Mask(pattern) for pattern in patterns)
    for mask in masks:
        mask.compiled()
    return masks


class Masker:
    """Applies masks in order; each run's own id is masked first. Patterns are compiled
    MULTILINE, so `^` and `$` mean a line's start and end, as they do line by line."""

    def __init__(self, masks: Sequence[Mask] = DEFAULT_MASKS) -> None:
        self._masks = [(re.compile(m.pattern, re.MULTILINE), m.placeholder) for m in masks]

    def __call__(self, text: str, run_id: str = "") -> str:
        if run_id:
            text = text.replace(run_id, MASKED_RUN_ID)
        for pattern, placeholder in self._masks:
            text = pattern.sub(placeholder, text)
        return text

    def lines(self, lines: list[str], run_id: str = "") -> list[str]:
        """Each line masked on its own. Done on the lines joined (one regex pass instead of
        one per line, a third of the cost), and line by line when a pattern matched across
        a line end (the count of lines changed)."""
        masked = self("\n".join(lines), run_id).split("\n") if lines else []
        if len(masked) == len(lines):
            return masked
        return [self(line, run_id) for line in lines]


# --- the result --------------------------------------------------------------------------------


class Change(StrEnum):
    SAME = "same"
    CHANGED = "changed"
    ONLY_A = "only_a"
    ONLY_B = "only_b"

    @property
    def differs(self) -> bool:
        return self is not Change.SAME

    @property
    def mark(self) -> str:
        """One character for a row, readable without colour."""
        return {"same": " ", "changed": "≠", "only_a": "−", "only_b": "+"}[self.value]


def _change(a: object | None, b: object | None, same: bool) -> Change:
    if a is None:
        return Change.ONLY_B
    if b is None:
        return Change.ONLY_A
    return Change.SAME if same else Change.CHANGED


@dataclass(frozen=True)
class ValueDiff:
    """One input, output variable or result field of both runs (None: the run has none)."""

    name: str
    a: str | None
    b: str | None
    change: Change

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "a": self.a, "b": self.b, "change": self.change.value}


@dataclass(frozen=True)
class StepSide:
    """One run's side of an aligned step."""

    id: str
    title: str
    phase: str
    status: str
    duration_seconds: float | None
    outcome: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "phase": self.phase,
            "status": self.status,
            "duration_seconds": self.duration_seconds,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class StepDiff:
    """One step of the definition, aligned across both runs."""

    key: str
    a: StepSide | None
    b: StepSide | None
    change: Change
    status_differs: bool = False
    outcome_differs: bool = False
    output_diff: tuple[str, ...] = ()
    """Unified diff of the masked tool outputs (empty: the same, or neither has output)."""

    @property
    def title(self) -> str:
        side = self.a or self.b
        return side.title if side is not None else self.key

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "change": self.change.value,
            "status_differs": self.status_differs,
            "outcome_differs": self.outcome_differs,
            "output_differs": bool(self.output_diff),
            "a": self.a.to_json() if self.a else None,
            "b": self.b.to_json() if self.b else None,
            "output_diff": list(self.output_diff),
        }


class Section(StrEnum):
    INPUTS = "inputs"
    OUTPUTS = "outputs"
    STEPS = "steps"
    RESULT = "result"


@dataclass(frozen=True)
class Divergence:
    """Where the runs first part: the section, the row's index there and a sentence."""

    section: Section
    index: int
    words: str

    def to_json(self) -> dict[str, Any]:
        return {"section": self.section.value, "index": self.index, "words": self.words}


@dataclass(frozen=True)
class RunRef:
    id: str
    name: str
    definition_id: str
    status: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "definition_id": self.definition_id,
            "status": self.status,
        }


@dataclass(frozen=True)
class RunComparison:
    a: RunRef
    b: RunRef
    inputs: tuple[ValueDiff, ...]
    outputs: tuple[ValueDiff, ...]
    steps: tuple[StepDiff, ...]
    result: tuple[ValueDiff, ...]
    first_divergence: Divergence | None
    masks: tuple[Mask, ...] = field(default=DEFAULT_MASKS)

    @property
    def same(self) -> bool:
        return self.first_divergence is None

    @property
    def same_definition(self) -> bool:
        return self.a.definition_id == self.b.definition_id

    def counts(self) -> dict[str, int]:
        """How many rows differ, per section."""
        return {
            Section.INPUTS.value: sum(v.change.differs for v in self.inputs),
            Section.OUTPUTS.value: sum(v.change.differs for v in self.outputs),
            Section.STEPS.value: sum(s.change.differs for s in self.steps),
            Section.RESULT.value: sum(v.change.differs for v in self.result),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "same": self.same,
            "same_definition": self.same_definition,
            "first_divergence": self.first_divergence.to_json() if self.first_divergence else None,
            "differences": self.counts(),
            "inputs": [v.to_json() for v in self.inputs],
            "outputs": [v.to_json() for v in self.outputs],
            "steps": [s.to_json() for s in self.steps],
            "result": [v.to_json() for v in self.result],
            "masks": [{"pattern": m.pattern, "placeholder": m.placeholder} for m in self.masks],
        }


# --- comparing ---------------------------------------------------------------------------------


def compare_runs(
    a: RunDetail, b: RunDetail, masks: Sequence[Mask] = DEFAULT_MASKS
) -> RunComparison:
    """Everything that differs between `a` (the left side, usually the older run) and `b`."""
    mask = Masker(masks)
    inputs = _values(_inputs(a), _inputs(b), mask, a.id, b.id)
    outputs = _values(_outputs(a), _outputs(b), mask, a.id, b.id)
    steps = tuple(_align_steps(a, b, mask))
    result = _values(_result(a), _result(b), mask, a.id, b.id, keep_order=True)
    return RunComparison(
        a=_ref(a),
        b=_ref(b),
        inputs=inputs,
        outputs=outputs,
        steps=steps,
        result=result,
        first_divergence=_first_divergence(inputs, steps, outputs, result),
        masks=tuple(masks),
    )


def _ref(run: RunDetail) -> RunRef:
    return RunRef(run.id, run.name, run.definition_id, run.status.label)


def _inputs(run: RunDetail) -> dict[str, str]:
    values = dict(run.inputs)
    for variable in run.variables:
        if variable.direction is VariableDirection.INPUT:
            values.setdefault(variable.name, variable.value)
    return values


def _outputs(run: RunDetail) -> dict[str, str]:
    return {v.name: v.value for v in run.variables if v.direction is VariableDirection.OUTPUT}


def remediation_of(run: RunDetail) -> str | None:
    """The remediation the run took: named by the engine on the status change that readied it
    (`remediation` in the event's data); None when the run took none or the log lacks it."""
    for event in run.events:
        if event.type is EventType.STATUS_CHANGED and event.data.get("remediation"):
            return str(event.data["remediation"])
    return None


def _result(run: RunDetail) -> dict[str, str | None]:
    return {
        "status": run.status.label,
        "root cause": run.root_cause,
        "outcome": run.outcome,
        "remediation": remediation_of(run),
        "summary": run.summary,
        "error": run.error,
    }


def _values(
    a: dict[str, str] | dict[str, str | None],
    b: dict[str, str] | dict[str, str | None],
    mask: Masker,
    a_id: str,
    b_id: str,
    *,
    keep_order: bool = False,
) -> tuple[ValueDiff, ...]:
    names = list(a) + [name for name in b if name not in a]
    if not keep_order:
        names.sort()
    diffs: list[ValueDiff] = []
    for name in names:
        left, right = a.get(name), b.get(name)
        if keep_order and left is None and right is None:
            continue
        if keep_order:  # result fields exist on both sides; "none" is a value there
            same = mask(left or "", a_id) == mask(right or "", b_id)
            change = Change.SAME if same else Change.CHANGED
        else:
            same = left is not None and right is not None and mask(left, a_id) == mask(right, b_id)
            change = _change(left, right, same)
        diffs.append(ValueDiff(name, left, right, change))
    return tuple(diffs)


def step_key(step: Step) -> str:
    """The alignment key (see the module docstring): the step's id and its title."""
    return f"{step.id}:{step.title}"


def step_outcome(step: Step) -> str:
    """What the step ended with, in a few words: the answer, the exit status, the error."""
    parts: list[str] = []
    if step.response is not None:
        value = step.response.value
        parts.append(f"expired: “{value}”" if step.response.expired else f"answer “{value}”")
    if step.tool is not None and step.tool.exit_status is not None:
        parts.append(f"exit {step.tool.exit_status}")
    if step.error:
        parts.append(step.error)
    elif step.tool is not None and step.tool.error:
        parts.append(step.tool.error)
    return "; ".join(parts) or "—"


def _duration(step: Step) -> float | None:
    if step.started_at is None or step.finished_at is None:
        return None
    return max(0.0, (step.finished_at - step.started_at).total_seconds())


def _side(step: Step) -> StepSide:
    return StepSide(
        id=step.id,
        title=step.title,
        phase=step.phase.value,
        status=step.status.label,
        duration_seconds=_duration(step),
        outcome=step_outcome(step),
    )


def _output(step: Step) -> str:
    return step.tool.output if step.tool is not None else ""


def output_diff(
    a: str,
    b: str,
    a_label: str,
    b_label: str,
    context: int = 2,
    *,
    mask_a: Callable[[list[str]], list[str]] | None = None,
    mask_b: Callable[[list[str]], list[str]] | None = None,
) -> tuple[str, ...]:
    """A unified diff of two outputs, without line ends; empty when they are equal once
    masked. `mask_a` / `mask_b` mask the lines that can show in the diff (`Masker.lines`).
    Labelled as git does: `a/<step id>` is run A's, `b/<step id>` B's.

    The lines both outputs share at their ends, beyond the context, cannot be in any hunk:
    they are neither masked nor matched (the costly parts: a run that failed at the end
    differs from the good one only there), and the hunk headers get their line numbers back."""
    if a == b:
        return ()
    left, right = a.splitlines(), b.splitlines()
    head = _common_prefix(left, right)
    tail = _common_prefix(left[head:][::-1], right[head:][::-1])
    skip_head, skip_tail = max(0, head - context), max(0, tail - context)
    middle_a = left[skip_head : len(left) - skip_tail]
    middle_b = right[skip_head : len(right) - skip_tail]
    if mask_a is not None:
        middle_a = mask_a(middle_a)
    if mask_b is not None:
        middle_b = mask_b(middle_b)
    if middle_a == middle_b:
        return ()
    lines = list(difflib.unified_diff(middle_a, middle_b, a_label, b_label, n=context, lineterm=""))
    if skip_head:
        lines = [_shift_hunk(line, skip_head) if line.startswith("@@") else line for line in lines]
    return tuple(lines)


def _common_prefix(left: Sequence[str], right: Sequence[str]) -> int:
    count = 0
    for x, y in zip(left, right):
        if x != y:
            break
        count += 1
    return count


_HUNK = re.compile(r"^@@ -(\d+)((?:,\d+)?) \+(\d+)((?:,\d+)?) @@")


def _shift_hunk(line: str, offset: int) -> str:
    """`@@ -l,s +l,s @@` of a diff of slices starting `offset` lines in, as of the whole."""
    return _HUNK.sub(
        lambda m: f"@@ -{int(m[1]) + offset}{m[2]} +{int(m[3]) + offset}{m[4]} @@", line
    )


def _align_steps(a: RunDetail, b: RunDetail, mask: Masker) -> Iterable[StepDiff]:
    left = sorted(a.steps, key=lambda s: s.position)
    right = sorted(b.steps, key=lambda s: s.position)
    matcher = difflib.SequenceMatcher(
        None, [step_key(s) for s in left], [step_key(s) for s in right], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for x, y in zip(left[i1:i2], right[j1:j2], strict=True):
                yield _pair(x, y, a, b, mask)
            continue
        for x in left[i1:i2]:
            yield _lone(x, a, mask, Change.ONLY_A)
        for y in right[j1:j2]:
            yield _lone(y, b, mask, Change.ONLY_B)


def _pair(x: Step, y: Step, a: RunDetail, b: RunDetail, mask: Masker) -> StepDiff:
    side_a, side_b = _side(x), _side(y)
    status_differs = x.status is not y.status
    outcome_differs = mask(side_a.outcome, a.id) != mask(side_b.outcome, b.id)
    diff = output_diff(
        _output(x),
        _output(y),
        f"a/{x.id}",
        f"b/{y.id}",
        mask_a=lambda lines: mask.lines(lines, a.id),
        mask_b=lambda lines: mask.lines(lines, b.id),
    )
    same = not (status_differs or outcome_differs or diff)
    return StepDiff(
        key=step_key(x),
        a=side_a,
        b=side_b,
        change=Change.SAME if same else Change.CHANGED,
        status_differs=status_differs,
        outcome_differs=outcome_differs,
        output_diff=diff,
    )


def _lone(step: Step, run: RunDetail, mask: Masker, change: Change) -> StepDiff:
    side = _side(step)
    output = _output(step)
    label = f"{'a' if change is Change.ONLY_A else 'b'}/{step.id}"
    masked = {
        "mask_a" if change is Change.ONLY_A else "mask_b": lambda lines: mask.lines(lines, run.id)
    }
    diff = (
        output_diff("", output, "/dev/null", label, **masked)
        if change is Change.ONLY_B
        else output_diff(output, "", label, "/dev/null", **masked)
    )
    return StepDiff(
        key=step_key(step),
        a=side if change is Change.ONLY_A else None,
        b=side if change is Change.ONLY_B else None,
        change=change,
        status_differs=True,
        outcome_differs=True,
        output_diff=diff,
    )


def _first_divergence(
    inputs: Sequence[ValueDiff],
    steps: Sequence[StepDiff],
    outputs: Sequence[ValueDiff],
    result: Sequence[ValueDiff],
) -> Divergence | None:
    """In the order a run happens: what it was given, then its steps, what it set, how it
    ended. The first step that differs is where two runs of one flow part ways."""
    for index, value in enumerate(inputs):
        if value.change.differs:
            return Divergence(Section.INPUTS, index, f"input {value.name} differs")
    for index, step in enumerate(steps):
        if step.change.differs:
            return Divergence(Section.STEPS, index, _step_words(step))
    for index, value in enumerate(outputs):
        if value.change.differs:
            return Divergence(Section.OUTPUTS, index, f"output variable {value.name} differs")
    for index, value in enumerate(result):
        if value.change.differs:
            return Divergence(Section.RESULT, index, f"the {value.name} differs")
    return None


def _step_words(step: StepDiff) -> str:
    title = f"step “{step.title}”"
    if step.change is Change.ONLY_A:
        return f"{title} ran only in A"
    if step.change is Change.ONLY_B:
        return f"{title} ran only in B"
    what = [
        word
        for word, differs in (
            ("status", step.status_differs),
            ("outcome", step.outcome_differs),
            ("output", bool(step.output_diff)),
        )
        if differs
    ]
    return (
        f"{title}: {' and '.join(what)} differ" if len(what) > 1 else f"{title}: {what[0]} differs"
    )


def is_finished(run: RunDetail) -> bool:
    """A comparison of a run still moving is a snapshot: callers say so."""
    return run.status.is_terminal


__all__ = [
    "DEFAULT_MASKS",
    "Change",
    "Divergence",
    "Mask",
    "Masker",
    "RunComparison",
    "RunRef",
    "Section",
    "StepDiff",
    "StepSide",
    "ValueDiff",
    "compare_runs",
    "configured_masks",
    "masks_from_patterns",
    "output_diff",
    "remediation_of",
    "step_key",
    "step_outcome",
]


def configured_masks(extra: Iterable[str] = (), *, defaults: bool = True) -> tuple[Mask, ...]:
    """The masks a profile asks for: the built-in ones (unless `defaults` is off), then the
    profile's `compare_masks` (checked to compile when the config file was read)."""
    return (DEFAULT_MASKS if defaults else ()) + masks_from_patterns(extra)
