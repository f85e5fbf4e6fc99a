"""The command line's shape: every command, its options, and the handler it runs.

Kept in one place so the whole interface reads top to bottom; the handlers live in the
modules named after what they do.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runs_tui import __version__, config
from runs_tui.cli.actions import cmd_runs_cancel, cmd_runs_delete, cmd_runs_rerun, cmd_runs_respond
from runs_tui.cli.audit import cmd_audit, cmd_whoami
from runs_tui.cli.config_commands import (
    cmd_config_keys,
    cmd_config_path,
    cmd_config_set,
    cmd_config_show,
)
from runs_tui.cli.dashboard import cmd_backend, cmd_dashboard
from runs_tui.cli.diff import cmd_runs_diff
from runs_tui.cli.filters import filter_options, iso_time
from runs_tui.cli.inbox import cmd_inbox
from runs_tui.cli.login import cmd_login
from runs_tui.cli.runs import (
    cmd_runs_export,
    cmd_runs_export_list,
    cmd_runs_list,
    cmd_runs_show,
    cmd_sync,
)
from runs_tui.cli.stats import cmd_stats
from runs_tui.cli.watch import cmd_runs_watch

ID_HELP = "run id, or a unique prefix of at least 4 characters (like git)"


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", default=argparse.SUPPRESS, help="profile from the config file")
    parser = argparse.ArgumentParser(
        prog="runs-tui",
        description="Dashboard and command line for incident-runbook runs.",
        epilog="Exit codes: 0 ok, 1 run did not succeed, 2 usage/config, 3 not found, 4 conflict, "
        "5 unreachable, 6 unauthorized, 7 invalid, 8 backend error, 9 ambiguous id prefix, "
        "10 forbidden (you may not answer that prompt), "
        "130 interrupted, "
        "141 stdout closed by its reader (| head).",
    )
    parser.add_argument("--version", action="version", version=f"runs-tui {__version__}")
    parser.add_argument("--profile", default=None, help="profile from the config file")
    parser.set_defaults(handler=cmd_dashboard)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sync = commands.add_parser("sync", parents=[common], help="bring the local cache up to date")
    sync.set_defaults(handler=cmd_sync)
    _add_runs_commands(commands, common)
    inbox = commands.add_parser(
        "inbox", parents=[common], help="every step waiting for a person, soonest deadline first"
    )
    inbox.add_argument("--format", choices=("table", "json"), default="table")
    inbox.add_argument(
        "--offline", action="store_true", help="answer from the cache without syncing"
    )
    inbox.set_defaults(handler=cmd_inbox)
    stats = commands.add_parser(
        "stats", parents=[common], help="the health of every flow and guide (as the dashboard's H)"
    )
    stats.add_argument("--since", choices=("24h", "7d", "30d"), help="the window (default 7d)")
    stats.add_argument("--from", dest="time_from", type=iso_time, metavar="TIME")
    stats.add_argument("--to", dest="time_to", type=iso_time, metavar="TIME")
    stats.add_argument("--format", choices=("table", "json", "csv"), default="table")
    stats.add_argument("--offline", action="store_true", help="answer from the cache alone")
    stats.set_defaults(handler=cmd_stats)
    _add_config_commands(commands, common)
    _add_audit_commands(commands, common)
    login = commands.add_parser("login", parents=[common], help="store a token for a profile")
    login.add_argument("--url", help="backend URL (required for a new profile)")
    login.add_argument("--no-verify", action="store_true", help="store without checking the token")
    login.set_defaults(handler=cmd_login)
    # Its options belong to the backend (`add_backend_arguments`); `parse_args` hands them over.
    backend = commands.add_parser("backend", add_help=False, help="run the reference backend")
    backend.set_defaults(handler=cmd_backend)
    return parser


def _add_audit_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    audit = commands.add_parser(
        "audit", parents=[common], help="who did what: the backend's audit log, oldest first"
    )
    audit.add_argument(
        "--since", type=non_negative_int, default=0, metavar="SEQ", help="entries after SEQ"
    )
    audit.add_argument("--limit", type=positive_int, default=100, help="at most this many")
    audit.add_argument("--format", choices=("table", "json"), default="table")
    audit.set_defaults(handler=cmd_audit)
    whoami = commands.add_parser(
        "whoami", parents=[common], help="who the backend takes this profile's token for"
    )
    whoami.set_defaults(handler=cmd_whoami)


def _add_runs_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    runs = commands.add_parser("runs", help="list, inspect and act on runs")
    sub = runs.add_subparsers(dest="runs_command", metavar="COMMAND", required=True)
    filters = filter_options()
    offline = argparse.ArgumentParser(add_help=False)
    offline.add_argument(
        "--offline", action="store_true", help="use the cached copy without contacting the backend"
    )
    confirm_opt = argparse.ArgumentParser(add_help=False)
    confirm_opt.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    listing = sub.add_parser(
        "list", parents=[common, filters], help="list runs (cache after a quick sync)"
    )
    listing.add_argument("--format", choices=("table", "json", "csv"), default="table")
    listing.add_argument("--limit", type=positive_int, default=50)
    listing.set_defaults(handler=cmd_runs_list)

    show = sub.add_parser("show", parents=[common, offline], help="one run's detail")
    show.add_argument("run_id", metavar="ID", help=ID_HELP)
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(handler=cmd_runs_show)

    diff = sub.add_parser(
        "diff",
        parents=[common, offline],
        help="compare two runs (exit 0 same, 1 different)",
        epilog="Timestamps, clock times, run ids, uuids, hex ids and durations are masked "
        "before comparing (the profile's compare_masks add to them).",
    )
    diff.add_argument("run_a", metavar="A", help=ID_HELP)
    diff.add_argument("run_b", metavar="B", help=ID_HELP)
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(handler=cmd_runs_diff)

    export = sub.add_parser(
        "export", parents=[common, offline], help="export one run (stdout without -o)"
    )
    export.add_argument("run_id", metavar="ID", help=ID_HELP)
    export.add_argument("--format", choices=("json", "csv"), required=True)
    export.add_argument(
        "-o", "--output", type=Path, help="file, or directory for run-<id>.<format>"
    )
    export.set_defaults(handler=cmd_runs_export)

    export_list = sub.add_parser(
        "export-list", parents=[common, filters], help="export every matching run"
    )
    export_list.add_argument("--format", choices=("json", "csv"), required=True)
    export_list.add_argument(
        "-o", "--output", type=Path, help="file, or directory for runs.<format>"
    )
    export_list.set_defaults(handler=cmd_runs_export_list)

    respond = sub.add_parser(
        "respond", parents=[common, offline], help="answer a run waiting for input"
    )
    respond.add_argument("run_id", metavar="ID", help=ID_HELP)
    respond.add_argument("--step", help="step id (default: the waiting step)")
    answer = respond.add_mutually_exclusive_group(required=True)
    answer.add_argument(
        "--value", help="approve/reject, done/failed, or the answer of a one-field prompt"
    )
    answer.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one field of a typed prompt (repeat for each; yes/no for booleans, a,b for "
        "several choices); checked before sending: an invalid value exits 7 naming the field",
    )
    answer.add_argument(
        "--json",
        metavar="FILE",
        help="the typed answer as a JSON object of field names to values ('-': stdin)",
    )
    respond.add_argument("--note", default="", help="a note recorded with the answer")
    respond.set_defaults(handler=cmd_runs_respond)

    cancel = sub.add_parser(
        "cancel", parents=[common, confirm_opt], help="cancel a run in progress"
    )
    cancel.add_argument("run_id", metavar="ID", help=ID_HELP)
    cancel.set_defaults(handler=cmd_runs_cancel)

    delete = sub.add_parser("delete", parents=[common, confirm_opt], help="delete finished runs")
    delete.add_argument("run_ids", nargs="+", metavar="ID", help=ID_HELP)
    delete.set_defaults(handler=cmd_runs_delete)

    rerun = sub.add_parser(
        "rerun", parents=[common], help="start a new run of the same flow or guide"
    )
    rerun.add_argument("run_id", metavar="ID", help=ID_HELP)
    rerun.set_defaults(handler=cmd_runs_rerun)

    watch = sub.add_parser("watch", parents=[common], help="follow a run until it finishes")
    watch.add_argument("run_id", metavar="ID", help=ID_HELP)
    watch.add_argument(
        "--exit-status", action="store_true", help="exit 1 unless the run ends Completed Success"
    )
    watch.add_argument(
        "--interval", type=positive_float, default=1.0, help="seconds between checks"
    )
    watch.set_defaults(handler=cmd_runs_watch, offline=False)


def _add_config_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    conf = commands.add_parser("config", help="the configuration file")
    sub = conf.add_subparsers(dest="config_command", metavar="COMMAND", required=True)
    sub.add_parser("path", parents=[common], help="print the config file's path").set_defaults(
        handler=cmd_config_path
    )
    sub.add_parser("show", parents=[common], help="print the config, tokens masked").set_defaults(
        handler=cmd_config_show
    )
    setter = sub.add_parser(
        "set",
        parents=[common],
        help="set a value",
        epilog="keys: " + ", ".join(config.settable_keys()),
    )
    setter.add_argument("key", metavar="KEY", help="e.g. profiles.prod.url, theme")
    setter.add_argument("value", metavar="VALUE")
    setter.set_defaults(handler=cmd_config_set)
    keys = sub.add_parser(
        "keys",
        parents=[common],
        help="list the dashboard's keys and the ids [keymap] rebinds",
        epilog='rebind with: runs-tui config set keymap.runs.filter f5 (keys: "f5", "j,down")',
    )
    keys.add_argument("--format", choices=("table", "json"), default="table")
    keys.set_defaults(handler=cmd_config_keys)


def positive_int(text: str) -> int:
    """`--limit`: a whole number above zero, the bad text quoted in the error."""
    value = int(text) if text.isdigit() else 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """`--since`: a whole number, zero or more."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}")
    return int(text)


def positive_float(text: str) -> float:
    """`--interval`: seconds above zero (NaN and negative values refused)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text!r}")
    return value


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
