"""The filter options of `runs list` and `runs export-list`, and the `RunFilter` they mean.

The options start from the profile's default filter, so a profile can narrow what every
listing shows and the command line can still widen or change any part of it.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, datetime

from runs_tui.cli.exit_codes import CliError, ExitCode
from runs_tui.cli.session import Context
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus, parse_status_filter


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
    """A status group or a single status, named in the error so a typo is easy to fix."""
    try:
        return parse_status_filter(text)
    except ValueError:
        groups = "all, active, waiting, completed, failed, cancelled"
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a status group ({groups}) nor a status"
        ) from None


def filter_options() -> argparse.ArgumentParser:
    """The options shared by every command that lists runs (an argparse parent parser)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--status",
        action="append",
        type=status_set,
        metavar="STATUS",
        help="group (active, waiting, completed, failed, cancelled, all) or status; repeatable",
    )
    options.add_argument("--type", choices=("flow", "guide", "all"), help="flow or guide runs")
    options.add_argument(
        "--since", choices=("24h", "7d", "30d", "all"), help="runs created in the last ..."
    )
    options.add_argument(
        "--from", dest="time_from", type=iso_time, metavar="TIME", help="ISO date/time"
    )
    options.add_argument(
        "--to", dest="time_to", type=iso_time, metavar="TIME", help="ISO date/time"
    )
    options.add_argument("--name", help="flow or guide name contains TEXT")
    options.add_argument(
        "--offline", action="store_true", help="answer from the cache without syncing"
    )
    return options


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
        run_filter = replace(
            run_filter, time=TimeRange(TimePreset.CUSTOM, args.time_from, args.time_to)
        )
    return run_filter


def requested_filter(ctx: Context) -> RunFilter:
    """The filter a listing command was asked for, on top of the active profile's default."""
    return filter_from_args(ctx.args, ctx.profile().default_filter or RunFilter())
