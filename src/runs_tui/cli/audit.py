"""Who did what, from the command line: `runs-tui audit` (the backend's audit log, `GET /audit`)
and `runs-tui whoami` (who the backend takes this profile's token for, `GET /me`).

The audit is read straight from the backend, not the cache: its point is the record that
outlives the runs (a deleted run's deletion), which the cache no longer holds.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from runs_tui.cli.exit_codes import ExitCode
from runs_tui.cli.output import clip, local_time, write_table
from runs_tui.cli.session import Context, run_with_service
from runs_tui.models.domain import AuditEntry
from runs_tui.sanitize import inert

if TYPE_CHECKING:
    from runs_tui.service import RunsService

AUDIT_COLUMNS = ("SEQ", "TIME", "ACTION", "ACTOR", "CLIENT", "RUN", "STEP", "RUN ID")
PAGE = 1000


def cmd_audit(ctx: Context) -> int:
    """Entries after `--since`, oldest first, at most `--limit` (every page followed)."""

    async def work(service: RunsService) -> int:
        entries: list[AuditEntry] = []
        cursor = ctx.args.since
        while len(entries) < ctx.args.limit:
            page = await service.audit(cursor, min(PAGE, ctx.args.limit - len(entries)))
            entries += page.entries
            cursor = page.next_cursor
            if not page.has_more:
                break
        if ctx.args.format == "json":
            document = {
                "entries": [entry.model_dump(mode="json") for entry in entries],
                "next_cursor": cursor,
            }
            ctx.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        elif entries:
            write_table([AUDIT_COLUMNS, *(audit_row(entry) for entry in entries)], ctx.stdout)
        else:
            ctx.say(f"no audit entries after {ctx.args.since}")
        return ExitCode.OK

    return run_with_service(ctx, work)


def audit_row(entry: AuditEntry) -> tuple[str, ...]:
    """One table row; backend text made inert (a run name cannot drive the terminal)."""
    return (
        str(entry.seq),
        local_time(entry.at),
        entry.action.value,
        clip(inert(entry.actor), 32),
        clip(inert(entry.client), 12),
        clip(inert(entry.run_name), 40) or "-",
        clip(inert(entry.step_id or "-"), 24),
        inert(entry.run_id or "-"),
    )


def cmd_whoami(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        me = await service.client_me()
        groups = ", ".join(inert(group) for group in me.groups) or "no groups"
        print(f"{inert(me.name)}\t{groups}", file=ctx.stdout)
        return ExitCode.OK

    return run_with_service(ctx, work)
