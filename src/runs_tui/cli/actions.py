"""The commands that change a run: `runs respond`, `runs cancel`, `runs delete`, `runs rerun`.

Destructive ones ask first, and only at a terminal: a script must say `--yes`, so a pipe can
never confirm by accident. stdout gets the affected run ids; the rest goes to stderr.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from runs_tui.cli.answers import Answer, answer_from_args
from runs_tui.cli.exit_codes import CliError, ExitCode
from runs_tui.cli.runs import fetch_detail, resolve
from runs_tui.cli.session import Context, run_with_service
from runs_tui.models.domain import RunDetail, StepStatus
from runs_tui.models.status import RunStatus
from runs_tui.sanitize import inert

if TYPE_CHECKING:
    from runs_tui.service import RunsService


def answer_target(detail: RunDetail, step_id: str | None) -> tuple[str, str | None]:
    """(step id, prompt id) to answer, from the detail just fetched: the named step, else the
    one the run waits on (`RunDetail.waiting_step`, the dashboard's rule). The prompt id binds
    the answer to what was fetched, so a step answered meanwhile is a 409, never a blind hit."""
    if step_id is not None:
        named = next((s for s in detail.steps if s.id == step_id), None)
        prompt = named.prompt if named and named.status is StepStatus.WAITING_FOR_INPUT else None
        return step_id, prompt.prompt_id if prompt else None
    step = detail.waiting_step()
    if step is None or step.prompt is None:
        raise CliError(
            f"run {detail.id} is not waiting for input (status: {detail.status.label})",
            ExitCode.CONFLICT,
        )
    return step.id, step.prompt.prompt_id


def print_run_status(ctx: Context, run_id: str, status: RunStatus) -> None:
    """`<id><TAB><status>` on stdout: what a script reads after an action."""
    print(f"{inert(run_id)}\t{status.label}", file=ctx.stdout)


def cmd_runs_respond(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        run_id = await resolve(ctx, service, ctx.args.run_id)
        fetched = await fetch_detail(ctx, service, run_id)
        step_id, prompt_id = answer_target(fetched, ctx.args.step)
        await refuse_if_forbidden(service, fetched, step_id)
        value, values = _answer(fetched, step_id, ctx)
        detail = await service.respond(
            run_id, step_id, value, ctx.args.note, prompt_id=prompt_id, values=values
        )
        print_run_status(ctx, detail.id, detail.status)
        return ExitCode.OK

    return run_with_service(ctx, work)


def _answer(detail: RunDetail, step_id: str, ctx: Context) -> Answer:
    """The options' answer, checked against the step's prompt as just fetched. A step that
    does not wait (or a cache without its prompt) is left to the backend to refuse."""
    step = next((s for s in detail.steps if s.id == step_id), None)
    args = ctx.args
    if step is None or step.prompt is None or step.status is not StepStatus.WAITING_FOR_INPUT:
        return args.value or "", None
    return answer_from_args(step.prompt, value=args.value, fields=args.field, json_source=args.json)


async def refuse_if_forbidden(service: RunsService, detail: RunDetail, step_id: str) -> None:
    """Exit `FORBIDDEN` before sending when the prompt's rules refuse this token's identity
    (`GET /me`), in the backend's own words; unknown identity: send, the backend decides."""
    step = next((s for s in detail.steps if s.id == step_id), None)
    if step is None or step.prompt is None:
        return
    await service.fetch_identity()
    refusal = service.answer_refusal(detail, step)
    if refusal is not None:
        raise CliError(f"you may not answer: {refusal}", ExitCode.FORBIDDEN)


def confirm(ctx: Context, question: str) -> bool:
    """--yes, or a 'y' typed at a terminal; never a guess from a pipe."""
    if ctx.args.yes:
        return True
    if not sys.stdin.isatty():
        raise CliError(
            "refusing without --yes: stdin is not a terminal to confirm on", ExitCode.USAGE
        )
    print(f"{question} [y/N] ", end="", file=ctx.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def cmd_runs_cancel(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        run_id = await resolve(ctx, service, ctx.args.run_id)
        if not confirm(ctx, f"Cancel run {inert(run_id)}?"):
            ctx.say("not cancelled")
            return ExitCode.NOT_SUCCEEDED
        summary = await service.cancel(run_id)
        print_run_status(ctx, summary.id, summary.status)
        return ExitCode.OK

    return run_with_service(ctx, work)


def cmd_runs_delete(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        ids = list(dict.fromkeys([await resolve(ctx, service, text) for text in ctx.args.run_ids]))
        runs = "1 run" if len(ids) == 1 else f"{len(ids)} runs"
        if not confirm(ctx, f"Delete {runs}? Deleted runs cannot be recovered."):
            ctx.say("nothing deleted")
            return ExitCode.NOT_SUCCEEDED
        deleted, refused = await service.delete(ids)
        for run_id in deleted:
            print(f"{inert(run_id)}\tdeleted", file=ctx.stdout)
        for refusal in refused:
            ctx.say(f"not deleted: {inert(refusal.run_id or '?')}: {inert(refusal.message)}")
        if not refused:
            return ExitCode.OK
        codes = {"not_found": ExitCode.NOT_FOUND, "conflict": ExitCode.CONFLICT}
        return max(codes.get(r.code.value, ExitCode.BACKEND_ERROR) for r in refused)

    return run_with_service(ctx, work)


def cmd_runs_rerun(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        summary = await service.rerun(await resolve(ctx, service, ctx.args.run_id))
        print(inert(summary.id), file=ctx.stdout)
        ctx.say(f"started {inert(summary.name)} ({summary.status.label})")
        return ExitCode.OK

    return run_with_service(ctx, work)
