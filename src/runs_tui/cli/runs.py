"""The reading commands: `sync`, `runs list`, `runs show`, `runs export`, `runs export-list`.

Listings answer from the local cache after a quick sync (and still answer, with a warning,
when the backend is away); one run's detail is fetched fresh when the backend answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runs_tui import exports
from runs_tui.cli.exit_codes import CliError, ExitCode
from runs_tui.cli.filters import requested_filter
from runs_tui.cli.output import TABLE_COLUMNS, table_row, write_detail_text, write_table
from runs_tui.cli.session import Context, quick_sync, run_with_service
from runs_tui.errors import ClientError, NotFound
from runs_tui.exports import ExportFormat
from runs_tui.models.domain import RunDetail

if TYPE_CHECKING:
    from runs_tui.service import RunsService


def cmd_sync(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        result = await service.sync_now()
        kind = "full resync" if result.full_resync else "incremental"
        print(
            f"synced {service.profile_label}: {len(result.changed)} changed, "
            f"{len(result.deleted)} deleted ({kind}, cursor {result.cursor})",
            file=ctx.stdout,
        )
        return ExitCode.OK

    return run_with_service(ctx, work)


def cmd_runs_list(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        run_filter = requested_filter(ctx)
        await quick_sync(ctx, service)
        now = service.now()
        runs = service.cache.window(run_filter, now, limit=ctx.args.limit)
        if ctx.args.format == "table":
            if not runs:
                ctx.say(f"no runs match: {run_filter.describe()}")
                return ExitCode.OK
            write_table([TABLE_COLUMNS, *(table_row(run, now) for run in runs)], ctx.stdout)
        else:
            exports.write_list(runs, run_filter, ExportFormat(ctx.args.format), ctx.stdout)
        return ExitCode.OK

    return run_with_service(ctx, work, cache_only=ctx.args.offline)


async def resolve(ctx: Context, service: RunsService, text: str) -> str:
    """The full run id for an id or unique prefix typed on the command line (`--offline`: from
    the cache alone)."""
    return await service.resolve_run_id(text, ask_backend=not getattr(ctx.args, "offline", False))


async def fetch_detail(ctx: Context, service: RunsService, text: str) -> RunDetail:
    """Fresh detail when the backend answers, else the cached copy with a warning. `text` is
    an id or a unique id prefix."""
    run_id = await resolve(ctx, service, text)
    if not ctx.args.offline:
        try:
            cached = await service.refresh_detail(run_id)
        except NotFound:
            raise
        except ClientError as error:
            cached = service.cache.get_detail(run_id)
            if cached is None:
                raise
            ctx.say(f"warning: {error.explain()}; showing the cached copy from {cached.fetched_at}")
    else:
        cached = service.cache.get_detail(run_id)
    if cached is None:
        raise CliError(f"run {run_id!r} is not in the cache", ExitCode.NOT_FOUND)
    return cached.detail


def cmd_runs_show(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        detail = await fetch_detail(ctx, service, ctx.args.run_id)
        if ctx.args.format == "json":
            exports.write_run_json(detail, ctx.stdout)
        else:
            write_detail_text(detail, service.now(), ctx.stdout)
        return ExitCode.OK

    return run_with_service(ctx, work, cache_only=ctx.args.offline)


def cmd_runs_export(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        detail = await fetch_detail(ctx, service, ctx.args.run_id)
        fmt = ExportFormat(ctx.args.format)
        if ctx.args.output is None:
            exports.write_run(detail, fmt, ctx.stdout)
        else:
            written = exports.export_run(service.cache, detail.id, fmt, ctx.args.output)
            ctx.say(f"wrote {written}")
        return ExitCode.OK

    return run_with_service(ctx, work, cache_only=ctx.args.offline)


def cmd_runs_export_list(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        run_filter = requested_filter(ctx)
        await quick_sync(ctx, service)
        fmt = ExportFormat(ctx.args.format)
        if ctx.args.output is None:
            exports.write_list(
                service.cache.iter_runs(run_filter, service.now()), run_filter, fmt, ctx.stdout
            )
        else:
            written = exports.export_list(
                service.cache, run_filter, service.now(), fmt, ctx.args.output
            )
            ctx.say(f"wrote {written}")
        return ExitCode.OK

    return run_with_service(ctx, work, cache_only=ctx.args.offline)
