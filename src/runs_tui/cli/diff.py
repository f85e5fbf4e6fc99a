"""`runs-tui runs diff A B [--format text|json]`: compare two runs, exit 0 when they match and
1 when they differ, like `diff` (errors keep the CLI's own codes: 3 not found, 5 unreachable,
9 ambiguous id prefix, ...).

The comparison is `run_compare.compare_runs`, the dashboard's own, so a script and an operator
see the same differences; the masks are the profile's (`compare_masks`). Each run's detail is
fetched fresh, else (`--offline`, or a backend that is away) the cached copy with a warning on
stderr, as `runs show` does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from runs_tui.cli.exit_codes import ExitCode
from runs_tui.cli.runs import fetch_detail
from runs_tui.cli.session import Context, run_with_service
from runs_tui.formatting import format_duration_unspaced
from runs_tui.run_compare import (
    Change,
    RunComparison,
    StepSide,
    ValueDiff,
    compare_runs,
    configured_masks,
)
from runs_tui.sanitize import escape_json_text, inert

if TYPE_CHECKING:
    from runs_tui.service import RunsService


def cmd_runs_diff(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        a = await fetch_detail(ctx, service, ctx.args.run_a)
        b = await fetch_detail(ctx, service, ctx.args.run_b)
        profile = ctx.profile()
        masks = configured_masks(profile.compare_masks, defaults=profile.compare_default_masks)
        comparison = compare_runs(a, b, masks)
        if not comparison.same_definition:
            ctx.say(
                f"warning: the runs are of different definitions "
                f"({inert(a.definition_id)}, {inert(b.definition_id)})"
            )
        if ctx.args.format == "json":
            text = json.dumps(comparison.to_json(), indent=2, ensure_ascii=False)
            ctx.stdout.write(escape_json_text(text) + "\n")  # `cat`-safe, lossless
        else:
            write_comparison_text(comparison, ctx.stdout)
        return ExitCode.OK if comparison.same else ExitCode.NOT_SUCCEEDED

    return run_with_service(ctx, work, cache_only=ctx.args.offline)


def write_comparison_text(comparison: RunComparison, out: TextIO) -> None:
    """For people: the two runs, where they part, then each section's differing rows (every
    step, marked), then the output diffs. `≠` changed, `−` only in A, `+` only in B."""
    a, b = comparison.a, comparison.b
    out.write(f"A  {inert(a.id)}  {inert(a.name)}  {a.status}\n")
    out.write(f"B  {inert(b.id)}  {inert(b.name)}  {b.status}\n")
    divergence = comparison.first_divergence
    if divergence is None:
        out.write("no differences\n")
        return
    out.write(f"first divergence: {inert(divergence.words)}\n")
    for title, values in (
        ("result", comparison.result),
        ("inputs", comparison.inputs),
        ("output variables", comparison.outputs),
    ):
        differing = [v for v in values if v.change.differs]
        if differing:
            out.write(f"\n{title}:\n")
            for value in differing:
                out.write(_value_line(value))
    out.write("\nsteps:\n")
    for step in comparison.steps:
        out.write(
            f"{step.change.mark} {inert(step.title)}\n"
            f"    A: {_side_words(step.a)}\n    B: {_side_words(step.b)}\n"
        )
    diffs = [step for step in comparison.steps if step.output_diff]
    for step in diffs:
        out.write(f"\noutput of {inert(step.title)}:\n")
        for line in step.output_diff:
            out.write(inert(line) + "\n")


def _value_line(value: ValueDiff) -> str:
    left = "(none)" if value.a is None else inert(value.a)
    right = "(none)" if value.b is None else inert(value.b)
    mark = Change.CHANGED.mark if value.change.differs else " "
    return f"{mark} {inert(value.name)}: {left}  →  {right}\n"


def _side_words(side: StepSide | None) -> str:
    if side is None:
        return "(not run)"
    duration = (
        format_duration_unspaced(side.duration_seconds)
        if side.duration_seconds is not None
        else "-"
    )
    return f"{side.status}, {duration}, {inert(side.outcome)}"
