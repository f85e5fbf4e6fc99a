"""`runs-tui stats`: the health of every flow and guide, as the dashboard's health screen.

The same lines, order and words (`runs_tui.flow_health`): a quick sync first (like `runs
list`), then the figures from the cache; `--offline` answers from the cache alone. `--since`
picks the window (24h, 7d, 30d; default 7d); `--from`/`--to` a custom one. `--format json`
prints `{"window", "from", "to", "definitions": [...]}` with plain numbers (seconds, rates
from 0 to 1, null when there is nothing to measure); `--format csv` the table's figures.
"""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING

from runs_tui.cli.exit_codes import CliError, ExitCode
from runs_tui.cli.output import clip, write_table
from runs_tui.cli.session import Context, quick_sync, run_with_service
from runs_tui.exports import neutralise_cell
from runs_tui.flow_health import COLUMNS, report_json, row, to_json
from runs_tui.models.health import HealthWindow
from runs_tui.sanitize import escape_json_text, inert

if TYPE_CHECKING:
    from runs_tui.service import RunsService

NAME_WIDTH = 40
CSV_FIELDS = (
    "name",
    "kind",
    "runs",
    "succeeded",
    "failed",
    "partial",
    "cancelled",
    "no_steps",
    "success_rate",
    "failure_rate",
    "previous_failure_rate",
    "trend",
    "p50_seconds",
    "p95_seconds",
    "mttr_seconds",
    "resolutions",
    "unresolved",
    "last_outcomes",
)


def cmd_stats(ctx: Context) -> int:
    args = ctx.args
    if args.time_from is not None or args.time_to is not None:
        if args.since is not None:
            raise CliError("--since cannot be combined with --from/--to", ExitCode.USAGE)
        if args.time_from is None:
            raise CliError("--to needs --from", ExitCode.USAGE)
        if args.time_to is not None and args.time_to <= args.time_from:
            raise CliError("--from must be before --to", ExitCode.USAGE)
        window = HealthWindow.CUSTOM
    else:
        window = HealthWindow(args.since or "7d")

    async def work(service: RunsService) -> int:
        await quick_sync(ctx, service)
        report = service.health(window, args.time_from, args.time_to)
        if args.format == "json":
            text = json.dumps(report_json(report), ensure_ascii=False, indent=2)
            ctx.stdout.write(escape_json_text(text) + "\n")
        elif args.format == "csv":
            writer = csv.writer(ctx.stdout, lineterminator="\n")
            writer.writerow(CSV_FIELDS)
            for line in report.lines:
                data = to_json(line)
                writer.writerow([_csv_cell(data[field]) for field in CSV_FIELDS])
        elif not report.lines:
            ctx.say("no flow or guide in the cache")
        else:
            rows = [COLUMNS, *(_table_row(row(line)) for line in report.lines)]
            write_table(rows, ctx.stdout)
        return ExitCode.OK

    return run_with_service(ctx, work, cache_only=args.offline)


def _table_row(cells: tuple[str, ...]) -> tuple[str, ...]:
    return (clip(cells[0], NAME_WIDTH), *cells[1:])


def _csv_cell(value: object) -> str:
    """Numbers as they are; text (a title) neutralised as in the exports, so a spreadsheet
    never runs it and `cat` shows its control characters as pictures."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return neutralise_cell(inert(str(value)))
