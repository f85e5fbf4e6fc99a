"""`runs watch`: follow one run until it finishes, printing each step as it moves.

Built for a terminal and for CI alike: one timestamped line per change, a question shown with
the exact command that answers it, and `--exit-status` to fail a pipeline on a failed run.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from runs_tui.cli.answers import fields_hint
from runs_tui.cli.exit_codes import ExitCode
from runs_tui.cli.output import outcome_fields, steps_in_order
from runs_tui.cli.session import Context, run_with_service
from runs_tui.errors import ClientError, NotFound, Unauthorized
from runs_tui.models.domain import RunDetail, Step, StepStatus
from runs_tui.models.status import RunStatus
from runs_tui.sanitize import inert

if TYPE_CHECKING:
    from runs_tui.service import RunsService


def progress_lines(before: RunDetail | None, after: RunDetail) -> list[str]:
    """What changed between two looks at a run, as lines for `runs watch`: the run's status,
    and each step that started, finished or began waiting (with its question)."""
    lines: list[str] = []
    if before is None or before.status is not after.status:
        lines.append(f"status: {after.status.label}")
    seen = {step.id: step for step in before.steps} if before else {}
    for step in steps_in_order(after):
        old = seen.get(step.id)
        if (old.status if old else StepStatus.PENDING) is not step.status:
            lines.append(_step_progress(after, step))
    if after.status.is_terminal and (before is None or not before.status.is_terminal):
        lines += [f"{label}: {inert(value)}" for label, value in outcome_fields(after)[1:] if value]
    return lines


def _step_progress(run: RunDetail, step: Step) -> str:
    line = f"step {step.position} {inert(step.title)}: {step.status.label}"
    if step.status is StepStatus.WAITING_FOR_INPUT and step.prompt:
        line += (
            f" — {inert(step.prompt.question)} "
            f"(answer: runs-tui runs respond {inert(run.id)} {fields_hint(step.prompt)})"
        )
    elif step.error:
        line += f" — {inert(step.error)}"
    return line


async def follow(ctx: Context, service: RunsService, run_id: str) -> RunDetail:
    """Poll the run's detail (cheap: ETag) and print what moved, until it finishes. A lost
    connection is reported and retried: a watch should outlive a backend restart."""
    previous: RunDetail | None = None
    failing = False
    while True:
        try:
            cached = await service.refresh_detail(run_id)
            failing = False
        except (NotFound, Unauthorized):
            raise
        except ClientError as error:
            if not failing:
                ctx.say(f"warning: {error.explain()}; retrying")
            failing, cached = True, None
        if cached is not None:
            stamp = datetime.now().astimezone().strftime("%H:%M:%S")
            for line in progress_lines(previous, cached.detail):
                print(f"{stamp}  {line}", file=ctx.stdout, flush=True)
            previous = cached.detail
            if previous.status.is_terminal:
                return previous
        await asyncio.sleep(ctx.args.interval)


def cmd_runs_watch(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        final = await follow(ctx, service, await service.resolve_run_id(ctx.args.run_id))
        if ctx.args.exit_status and final.status is not RunStatus.COMPLETED_SUCCESS:
            return ExitCode.NOT_SUCCEEDED
        return ExitCode.OK

    return run_with_service(ctx, work)
