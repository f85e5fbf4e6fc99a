"""The `runs-tui` command line: the dashboard, and `gh run`-style commands for scripts.

stdout carries data only (tables, JSON, CSV, ids); every diagnostic goes to stderr, so
`runs-tui runs list --format json | jq` never sees a warning. Exit codes are part of the
interface (see `ExitCode` and the README's exit codes): scripts branch on "not found" vs "unreachable".
Backend text printed in tables passes through `sanitize.inert`, so a run name cannot drive the
operator's terminal. The token is never accepted as an argument and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from runs_tui import __version__, config, exports
from runs_tui.config import ConfigError, MissingToken, Profile
from runs_tui.errors import ClientError, Conflict, Invalid, NotFound, Refused, ServerError, Unauthorized
from runs_tui.exports import ExportFormat
from runs_tui.models.domain import RunDetail, RunSummary, Step, StepStatus
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus, parse_status_filter
from runs_tui.sanitize import inert

if TYPE_CHECKING:
    from runs_tui.service import RunsService


class ExitCode(IntEnum):
    OK = 0
    NOT_SUCCEEDED = 1  # watch --exit-status: the run did not end Completed Success; or declined
    USAGE = 2  # bad arguments, bad configuration
    NOT_FOUND = 3
    CONFLICT = 4  # the backend refused the action in the run's current state
    UNREACHABLE = 5
    UNAUTHORIZED = 6
    INVALID = 7  # the backend rejected a value (e.g. an answer the prompt does not allow)
    BACKEND_ERROR = 8
    INTERRUPTED = 130


class CliError(Exception):
    """A failure the CLI explains in one line and turns into an exit code."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


def exit_code_for(error: ClientError) -> ExitCode:
    for kind, code in (
        (Unauthorized, ExitCode.UNAUTHORIZED),
        (NotFound, ExitCode.NOT_FOUND),
        (Conflict, ExitCode.CONFLICT),
        (Refused, ExitCode.USAGE),  # our own refusal of the configuration
        (Invalid, ExitCode.INVALID),
        (ServerError, ExitCode.BACKEND_ERROR),
    ):
        if isinstance(error, kind):
            return code
    return ExitCode.UNREACHABLE


# --- the session: one profile's cache, client, syncer and service ----------------------------


@dataclass
class Context:
    args: argparse.Namespace
    config: config.Config
    env: dict[str, str]

    @property
    def stdout(self) -> TextIO:
        return sys.stdout

    @property
    def stderr(self) -> TextIO:
        return sys.stderr

    def say(self, message: str) -> None:
        print(message, file=self.stderr)

    def profile(self) -> Profile:
        return config.resolve_profile(self.config, self.args.profile, self.env)


@contextlib.contextmanager
def backend_origin(profile: Profile, env: dict[str, str]) -> Iterator[Profile]:
    """The profile with a reachable URL: the embedded backend is started for the block."""
    if not profile.is_embedded:
        yield profile
        return
    from runs_tui.embedded import embedded_backend

    with embedded_backend(env) as backend:
        yield replace(profile, url=backend.url, token=backend.token)


def build_service(profile: Profile, env: dict[str, str], actor: str) -> RunsService:
    """Cache + client + syncer + service for a profile whose URL is known. Nothing here awaits,
    so the dashboard can build it before its own event loop starts."""
    from runs_tui.cache import Cache, CacheTooNew
    from runs_tui.client import RunsClient
    from runs_tui.service import RunsService

    assert profile.url is not None
    client = RunsClient(
        profile.url,
        profile.token,
        verify=profile.tls.verify,
        ca_path=str(profile.tls.ca_bundle) if profile.tls.ca_bundle else None,
        allow_insecure_http=profile.tls.allow_insecure_http,
    )
    try:
        cache = Cache.open(cache_file(profile, env))
    except CacheTooNew as error:
        raise CliError(str(error), ExitCode.USAGE) from error
    return RunsService(
        cache,
        client,
        profile_label=profile.name,
        backend_label="embedded demo backend" if profile.is_embedded else profile.url,
        refresh_interval=profile.refresh_interval,
        actor=actor,
    )


@contextlib.asynccontextmanager
async def open_service(profile: Profile, env: dict[str, str], actor: str) -> AsyncIterator[RunsService]:
    service = build_service(profile, env, actor)
    try:
        yield service
    finally:
        await service.aclose()
        service.cache.close()


def cache_file(profile: Profile, env: dict[str, str]) -> Path:
    """One cache file per backend under the user cache dir (RUNS_TUI_CACHE_DIR in tests)."""
    from runs_tui.cache import cache_path_for

    directory = config.cache_dir(env)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return cache_path_for(profile.cache_name, directory)


def actor_name(env: dict[str, str]) -> str:
    """Who answers and cancels: recorded by the backend as `answered_by`."""
    with contextlib.suppress(Exception):
        return env.get("RUNS_TUI_ACTOR") or getpass.getuser()
    return "cli"


def run_with_service(ctx: Context, work: Callable[[RunsService], Any]) -> int:
    """Start what the profile needs (the embedded backend, a client), run `work`, tear down."""
    profile = ctx.profile()
    with backend_origin(profile, ctx.env) as reachable:

        async def session() -> int:
            async with open_service(reachable, ctx.env, actor_name(ctx.env)) as service:
                return int(await work(service))

        return asyncio.run(session())


async def quick_sync(ctx: Context, service: RunsService) -> None:
    """Bring the cache up to date before answering from it; on failure answer anyway, say so."""
    if ctx.args.offline:
        return
    try:
        await service.sync_now()
    except ClientError as error:
        status = service.sync_status()
        last = status.last_synced.isoformat(timespec="seconds") if status.last_synced else "never"
        ctx.say(f"warning: could not sync ({error.explain()}); answering from the cache (last synced: {last})")


# --- filters ---------------------------------------------------------------------------------


def iso_time(text: str) -> datetime:
    """An ISO 8601 date or time; a time without zone is local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2026-03-01 or 2026-03-01T14:30)"
        ) from None
    return (moment if moment.tzinfo else moment.astimezone()).astimezone(UTC)


def status_set(text: str) -> frozenset[RunStatus]:
    try:
        return parse_status_filter(text)
    except ValueError:
        groups = "all, active, waiting, completed, failed, cancelled"
        raise argparse.ArgumentTypeError(f"{text!r} is neither a status group ({groups}) nor a status") from None


def filter_from_args(args: argparse.Namespace, base: RunFilter) -> RunFilter:
    """The profile's default filter with every option given on the command line applied."""
    run_filter = base
    if args.status:
        run_filter = replace(run_filter, statuses=frozenset().union(*args.status))
    if args.type:
        run_filter = replace(run_filter, kind=None if args.type == "all" else RunKind(args.type))
    if args.name is not None:
        run_filter = replace(run_filter, name=args.name)
    if args.since and (args.time_from or args.time_to):
        raise CliError("--since cannot be combined with --from/--to", ExitCode.USAGE)
    if args.since:
        run_filter = replace(run_filter, time=TimeRange(TimePreset(args.since)))
    if args.time_from or args.time_to:
        if args.time_from and args.time_to and args.time_from > args.time_to:
            raise CliError("--from must be before --to", ExitCode.USAGE)
        run_filter = replace(run_filter, time=TimeRange(TimePreset.CUSTOM, args.time_from, args.time_to))
    return run_filter


# --- output ----------------------------------------------------------------------------------

TABLE_COLUMNS = ("NAME", "STATUS", "STARTED", "DURATION", "TRIGGER", "ID")
NAME_WIDTH = 48


def format_duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def run_duration(run: RunSummary, now: datetime) -> str:
    if run.started_at is None:
        return "-"
    end = run.finished_at or (None if run.status.is_terminal else now)
    return format_duration((end - run.started_at).total_seconds()) if end else "-"


def local_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table_row(run: RunSummary, now: datetime) -> tuple[str, ...]:
    trigger = run.trigger.kind.value + (f": {run.trigger.actor}" if run.trigger.actor else "")
    return (
        clip(inert(run.name), NAME_WIDTH),
        run.status.label,
        local_time(run.created_at),
        run_duration(run, now),
        clip(inert(trigger), 32),
        inert(run.id),
    )


def write_table(rows: Sequence[tuple[str, ...]], stream: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        stream.write("  ".join(cells).rstrip() + "\n")


def write_detail_text(detail: RunDetail, now: datetime, stream: TextIO) -> None:
    """`runs show`: the run as an operator reads it (the JSON form is for programs)."""
    lines = [
        f"{inert(detail.name)}  [{detail.status.label}]",
        f"  id:        {inert(detail.id)}",
        f"  type:      {detail.kind.value} ({inert(detail.definition_id)})",
        f"  trigger:   {detail.trigger.kind.value}" + (f" by {inert(detail.trigger.actor)}" if detail.trigger.actor else ""),
        f"  created:   {local_time(detail.created_at)}",
        f"  started:   {local_time(detail.started_at)}",
        f"  finished:  {local_time(detail.finished_at)}",
        f"  duration:  {run_duration(detail, now)}",
    ]
    lines += [f"  {label}: {inert(value)}" for label, value in _outcome_fields(detail) if value]
    lines += [f"  input {inert(key)} = {inert(value)}" for key, value in sorted(detail.inputs.items())]
    if detail.steps:
        lines.append("steps:")
        lines += [_step_line(step) for step in sorted(detail.steps, key=lambda s: (s.position, s.id))]
    if detail.variables:
        lines.append("variables:")
        lines += [
            f"  {v.direction.value:<6} {inert(v.name)} = {inert(v.value)}"
            for v in sorted(detail.variables, key=lambda v: (v.direction.value, v.name))
        ]
    stream.write("\n".join(lines) + "\n")


def _outcome_fields(detail: RunDetail) -> list[tuple[str, str | None]]:
    return [
        ("current step", detail.current_step), ("root cause", detail.root_cause),
        ("outcome", detail.outcome), ("summary", detail.summary), ("error", detail.error),
    ]


def _step_line(step: Step) -> str:
    line = f"  {step.position:>2}. [{step.status.label}] {inert(step.title)} ({step.phase.value}, {step.automation.value})"
    if step.status is StepStatus.WAITING_FOR_INPUT and step.prompt:
        line += f"\n      waiting for input: {inert(step.prompt.question)}"
        allowed = step.prompt.allowed_values()
        if allowed:
            line += f" [{' | '.join(inert(v) for v in allowed)}]"
    if step.error:
        line += f"\n      error: {inert(step.error)}"
    return line


# --- commands: configuration -----------------------------------------------------------------


def cmd_config_path(ctx: Context) -> int:
    print(ctx.config.path, file=ctx.stdout)
    return ExitCode.OK


def cmd_config_show(ctx: Context) -> int:
    profile = ctx.profile()
    where = "embedded demo backend" if profile.is_embedded else inert(profile.url)
    overrides = [name for name in (config.PROFILE_ENV, config.URL_ENV, config.TOKEN_ENV) if ctx.env.get(name)]
    header = [
        f"# file: {ctx.config.path}",
        f"# active profile: {profile.name} ({where})",
        f"# token: {'set' if profile.token else 'not set'}" + (" (shown masked)" if profile.token else ""),
    ]
    if overrides:
        header.append(f"# overridden by the environment: {', '.join(overrides)}")
    print("\n".join(header), file=ctx.stdout)
    body = config.render_toml(config.masked_document(ctx.config))
    if body:
        print(body, end="", file=ctx.stdout)
    return ExitCode.OK


def cmd_config_set(ctx: Context) -> int:
    document = config.set_value(ctx.config.document, ctx.args.key, ctx.args.value, ctx.config.path)
    config.save_document(ctx.config.path, document)
    ctx.say(f"set {ctx.args.key} in {ctx.config.path}")
    return ExitCode.OK


def read_token(prompt: str) -> str:
    """Never from argv (it would sit in shell history and `ps`): a hidden prompt on a terminal,
    else the first line of stdin (`pass show runs | runs-tui login`)."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt).strip()
    return sys.stdin.readline().strip()


def cmd_login(ctx: Context) -> int:
    name = ctx.args.profile or ctx.env.get(config.PROFILE_ENV) or ctx.config.default_profile or "default"
    if name == config.EMBEDDED_PROFILE:
        raise CliError("the embedded backend needs no login", ExitCode.USAGE)
    existing = ctx.config.profiles.get(name)
    url = ctx.args.url or (existing.url if existing else None)
    if not url:
        raise CliError(f"profile {name!r} is new: pass --url", ExitCode.USAGE)
    token = read_token(f"Token for {name} ({url}): ")
    if not token:
        raise CliError("no token given", ExitCode.USAGE)
    document = config.store_token(ctx.config, name, token, ctx.args.url)
    if not ctx.args.no_verify:
        stored = config.parse_document(document, ctx.config.path).profiles[name]
        asyncio.run(verify_token(replace(stored, token=token)))
    config.save_document(ctx.config.path, document)
    ctx.say(f"logged in: profile {name!r} ({url}); token stored in {ctx.config.path} (mode 0600)")
    return ExitCode.OK


async def verify_token(profile: Profile) -> None:
    """One authenticated call, so a typo is caught now rather than at 3 a.m."""
    from runs_tui.client import RunsClient

    assert profile.url is not None
    async with RunsClient(
        profile.url,
        profile.token,
        verify=profile.tls.verify,
        ca_path=str(profile.tls.ca_bundle) if profile.tls.ca_bundle else None,
        allow_insecure_http=profile.tls.allow_insecure_http,
    ) as client:
        await client.changes(None, limit=1)


# --- commands: runs --------------------------------------------------------------------------


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
        run_filter = filter_from_args(ctx.args, ctx.profile().default_filter or RunFilter())
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

    return run_with_service(ctx, work)


async def fetch_detail(ctx: Context, service: RunsService, run_id: str) -> RunDetail:
    """Fresh detail when the backend answers, else the cached copy with a warning."""
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

    return run_with_service(ctx, work)


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

    return run_with_service(ctx, work)


def cmd_runs_export_list(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        run_filter = filter_from_args(ctx.args, ctx.profile().default_filter or RunFilter())
        await quick_sync(ctx, service)
        fmt = ExportFormat(ctx.args.format)
        if ctx.args.output is None:
            exports.write_list(service.cache.iter_runs(run_filter, service.now()), run_filter, fmt, ctx.stdout)
        else:
            written = exports.export_list(service.cache, run_filter, service.now(), fmt, ctx.args.output)
            ctx.say(f"wrote {written}")
        return ExitCode.OK

    return run_with_service(ctx, work)


def waiting_step(detail: RunDetail) -> Step:
    waiting = [step for step in detail.steps if step.status is StepStatus.WAITING_FOR_INPUT]
    if not waiting:
        raise CliError(
            f"run {detail.id} is not waiting for input (status: {detail.status.label})", ExitCode.CONFLICT
        )
    return next((s for s in waiting if s.id == detail.current_step_id), waiting[0])


def cmd_runs_respond(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        step_id = ctx.args.step
        if step_id is None:
            step_id = waiting_step(await fetch_detail(ctx, service, ctx.args.run_id)).id
        detail = await service.respond(ctx.args.run_id, step_id, ctx.args.value, ctx.args.note)
        print(f"{inert(detail.id)}\t{detail.status.label}", file=ctx.stdout)
        return ExitCode.OK

    return run_with_service(ctx, work)


def confirm(ctx: Context, question: str) -> bool:
    """--yes, or a 'y' typed at a terminal; never a guess from a pipe."""
    if ctx.args.yes:
        return True
    if not sys.stdin.isatty():
        raise CliError("refusing without --yes: stdin is not a terminal to confirm on", ExitCode.USAGE)
    print(f"{question} [y/N] ", end="", file=ctx.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def cmd_runs_cancel(ctx: Context) -> int:
    if not confirm(ctx, f"Cancel run {inert(ctx.args.run_id)}?"):
        ctx.say("not cancelled")
        return ExitCode.NOT_SUCCEEDED

    async def work(service: RunsService) -> int:
        summary = await service.cancel(ctx.args.run_id)
        print(f"{inert(summary.id)}\t{summary.status.label}", file=ctx.stdout)
        return ExitCode.OK

    return run_with_service(ctx, work)


def cmd_runs_delete(ctx: Context) -> int:
    ids = list(dict.fromkeys(ctx.args.run_ids))
    if not confirm(ctx, f"Delete {len(ids)} run(s)? Deleted runs cannot be recovered."):
        ctx.say("nothing deleted")
        return ExitCode.NOT_SUCCEEDED

    async def work(service: RunsService) -> int:
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
        summary = await service.rerun(ctx.args.run_id)
        print(inert(summary.id), file=ctx.stdout)
        ctx.say(f"started {inert(summary.name)} ({summary.status.label})")
        return ExitCode.OK

    return run_with_service(ctx, work)


def progress_lines(before: RunDetail | None, after: RunDetail) -> list[str]:
    """What changed between two looks at a run, as lines for `runs watch`: the run's status,
    and each step that started, finished or began waiting (with its question)."""
    lines: list[str] = []
    if before is None or before.status is not after.status:
        lines.append(f"status: {after.status.label}")
    seen = {step.id: step for step in before.steps} if before else {}
    for step in sorted(after.steps, key=lambda s: (s.position, s.id)):
        old = seen.get(step.id)
        if (old.status if old else StepStatus.PENDING) is not step.status:
            lines.append(_step_progress(after, step))
    if after.status.is_terminal and (before is None or not before.status.is_terminal):
        lines += [f"{label}: {inert(value)}" for label, value in _outcome_fields(after)[1:] if value]
    return lines


def _step_progress(run: RunDetail, step: Step) -> str:
    line = f"step {step.position} {inert(step.title)}: {step.status.label}"
    if step.status is StepStatus.WAITING_FOR_INPUT and step.prompt:
        allowed = step.prompt.allowed_values()
        values = "|".join(inert(v) for v in allowed) if allowed else "TEXT"
        line += (
            f" — {inert(step.prompt.question)} "
            f"(answer: runs-tui runs respond {inert(run.id)} --value {values})"
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
        final = await follow(ctx, service, ctx.args.run_id)
        if ctx.args.exit_status and final.status is not RunStatus.COMPLETED_SUCCESS:
            return ExitCode.NOT_SUCCEEDED
        return ExitCode.OK

    return run_with_service(ctx, work)


# --- the parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", default=argparse.SUPPRESS, help="profile from the config file")
    parser = argparse.ArgumentParser(
        prog="runs-tui",
        description="Dashboard and command line for incident-runbook runs.",
        epilog="Exit codes: 0 ok, 1 run did not succeed, 2 usage/config, 3 not found, 4 conflict, "
        "5 unreachable, 6 unauthorized, 7 invalid, 8 backend error.",
    )
    parser.add_argument("--version", action="version", version=f"runs-tui {__version__}")
    parser.add_argument("--profile", default=None, help="profile from the config file")
    parser.set_defaults(handler=cmd_dashboard)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sync = commands.add_parser("sync", parents=[common], help="bring the local cache up to date")
    sync.set_defaults(handler=cmd_sync)
    _add_runs_commands(commands, common)
    _add_config_commands(commands, common)
    login = commands.add_parser("login", parents=[common], help="store a token for a profile")
    login.add_argument("--url", help="backend URL (required for a new profile)")
    login.add_argument("--no-verify", action="store_true", help="store without checking the token")
    login.set_defaults(handler=cmd_login)
    # Its options belong to the backend (`add_backend_arguments`); `parse_args` hands them over.
    backend = commands.add_parser("backend", add_help=False, help="run the reference backend")
    backend.set_defaults(handler=cmd_backend)
    return parser


def _filter_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--status", action="append", type=status_set, metavar="STATUS",
                         help="group (active, waiting, completed, failed, cancelled, all) or status; repeatable")
    options.add_argument("--type", choices=("flow", "guide", "all"), help="flow or guide runs")
    options.add_argument("--since", choices=("24h", "7d", "30d", "all"), help="runs created in the last ...")
    options.add_argument("--from", dest="time_from", type=iso_time, metavar="TIME", help="ISO date/time")
    options.add_argument("--to", dest="time_to", type=iso_time, metavar="TIME", help="ISO date/time")
    options.add_argument("--name", help="flow or guide name contains TEXT")
    options.add_argument("--offline", action="store_true", help="answer from the cache without syncing")
    return options


def _add_runs_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    runs = commands.add_parser("runs", help="list, inspect and act on runs")
    sub = runs.add_subparsers(dest="runs_command", metavar="COMMAND", required=True)
    filters = _filter_options()
    offline = argparse.ArgumentParser(add_help=False)
    offline.add_argument("--offline", action="store_true", help="use the cached copy without contacting the backend")
    confirm_opt = argparse.ArgumentParser(add_help=False)
    confirm_opt.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    listing = sub.add_parser("list", parents=[common, filters], help="list runs (cache after a quick sync)")
    listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
    listing.add_argument("--limit", type=positive_int, default=50)
    listing.set_defaults(handler=cmd_runs_list)

    show = sub.add_parser("show", parents=[common, offline], help="one run's detail")
    show.add_argument("run_id", metavar="ID")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(handler=cmd_runs_show)

    export = sub.add_parser("export", parents=[common, offline], help="export one run (stdout without -o)")
    export.add_argument("run_id", metavar="ID")
    export.add_argument("--format", choices=("json", "csv"), required=True)
    export.add_argument("-o", "--output", type=Path, help="file, or directory for run-<id>.<format>")
    export.set_defaults(handler=cmd_runs_export)

    export_list = sub.add_parser("export-list", parents=[common, filters], help="export every matching run")
    export_list.add_argument("--format", choices=("json", "csv"), required=True)
    export_list.add_argument("-o", "--output", type=Path, help="file, or directory for runs.<format>")
    export_list.set_defaults(handler=cmd_runs_export_list)

    respond = sub.add_parser("respond", parents=[common, offline], help="answer a run waiting for input")
    respond.add_argument("run_id", metavar="ID")
    respond.add_argument("--step", help="step id (default: the waiting step)")
    respond.add_argument("--value", required=True, help="approve/reject, done/failed, or the answer")
    respond.add_argument("--note", default="", help="a note recorded with the answer")
    respond.set_defaults(handler=cmd_runs_respond)

    cancel = sub.add_parser("cancel", parents=[common, confirm_opt], help="cancel a run in progress")
    cancel.add_argument("run_id", metavar="ID")
    cancel.set_defaults(handler=cmd_runs_cancel)

    delete = sub.add_parser("delete", parents=[common, confirm_opt], help="delete finished runs")
    delete.add_argument("run_ids", nargs="+", metavar="ID")
    delete.set_defaults(handler=cmd_runs_delete)

    rerun = sub.add_parser("rerun", parents=[common], help="start a new run of the same flow or guide")
    rerun.add_argument("run_id", metavar="ID")
    rerun.set_defaults(handler=cmd_runs_rerun)

    watch = sub.add_parser("watch", parents=[common], help="follow a run until it finishes")
    watch.add_argument("run_id", metavar="ID")
    watch.add_argument("--exit-status", action="store_true",
                       help="exit 1 unless the run ends Completed Success")
    watch.add_argument("--interval", type=positive_float, default=1.0, help="seconds between checks")
    watch.set_defaults(handler=cmd_runs_watch, offline=False)


def _add_config_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    conf = commands.add_parser("config", help="the configuration file")
    sub = conf.add_subparsers(dest="config_command", metavar="COMMAND", required=True)
    sub.add_parser("path", parents=[common], help="print the config file's path").set_defaults(handler=cmd_config_path)
    sub.add_parser("show", parents=[common], help="print the config, tokens masked").set_defaults(handler=cmd_config_show)
    setter = sub.add_parser(
        "set", parents=[common], help="set a value",
        epilog="keys: " + ", ".join(config.settable_keys()),
    )
    setter.add_argument("key", metavar="KEY", help="e.g. profiles.prod.url, theme")
    setter.add_argument("value", metavar="VALUE")
    setter.set_defaults(handler=cmd_config_set)


def positive_int(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text!r}")
    return value


# --- the dashboard and the backend -----------------------------------------------------------


def cmd_dashboard(ctx: Context) -> int:
    """The dashboard owns the service's client from here (it closes it when it quits)."""
    from runs_tui.app import run_dashboard

    profile = ctx.profile()
    with backend_origin(profile, ctx.env) as reachable:
        service = build_service(reachable, ctx.env, actor_name(ctx.env))
        try:
            return int(run_dashboard(service, config=ctx.config, profile=reachable))
        finally:
            service.cache.close()


def cmd_backend(ctx: Context) -> int:
    from runs_tui.backend.server import add_backend_arguments, run_backend_command

    parser = argparse.ArgumentParser(prog="runs-tui backend", description="Run the reference runs backend.")
    add_backend_arguments(parser)
    return int(run_backend_command(parser.parse_args(ctx.args.backend_args)) or 0)


# --- entry point -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Like `parse_args`, except that `backend` passes every option on to the backend's own
    parser instead of rejecting it."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if args.handler is cmd_backend:
        args.backend_args = extras
    elif extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    env = dict(os.environ)
    try:
        loaded = config.load_config(config.config_path(env), env)
        for warning in loaded.warnings:
            print(warning, file=sys.stderr)
        return int(args.handler(Context(args, loaded, env)))
    except MissingToken as error:
        return _fail(str(error), ExitCode.UNAUTHORIZED)
    except ConfigError as error:
        return _fail(str(error), ExitCode.USAGE)
    except CliError as error:
        return _fail(str(error), error.code)
    except ClientError as error:
        return _fail(error.explain(), exit_code_for(error))
    except exports.DetailNotCached as error:
        return _fail(f"run {error} has no cached detail", ExitCode.NOT_FOUND)
    except KeyboardInterrupt:
        return _fail("interrupted", ExitCode.INTERRUPTED)


def _fail(message: str, code: ExitCode) -> int:
    print(f"runs-tui: {inert(message)}", file=sys.stderr)
    return int(code)
