"""`runs-tui inbox`: every step waiting for a person, across runs, in the order to answer them.

The same items, order and words as the dashboard's inbox (`runs_tui.inbox`): a quick sync
first (like `runs list`), then the waiting runs' details fetched where the cache lacks them;
`--offline` answers from the cache alone. What could not be fetched is said on stderr, and the
command still exits 0 with what it knows.

`--format json` prints `{"items": [...], "problems": [...]}`; each item has run_id, run_name,
step_id, step_title, question (null: not fetched), prompt_id, requested_at, expires_at (ISO
8601 or null), waited_seconds, expires_in_seconds (negative once past, null without a
deadline), may_answer, refusal (why not, or null) and fetched.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from runs_tui.cli.exit_codes import ExitCode
from runs_tui.cli.output import clip, write_table
from runs_tui.cli.session import Context, quick_sync, run_with_service
from runs_tui.sanitize import escape_json_text, inert

if TYPE_CHECKING:
    from datetime import datetime

    from runs_tui.inbox import Inbox, InboxItem
    from runs_tui.service import RunsService

INBOX_COLUMNS = ("RUN", "STEP", "QUESTION", "WAITED", "TIME LEFT", "MAY ANSWER", "ID")
QUESTION_WIDTH = 60
NAME_WIDTH = 32
STEP_WIDTH = 28


def cmd_inbox(ctx: Context) -> int:
    async def work(service: RunsService) -> int:
        await quick_sync(ctx, service)
        if not ctx.args.offline:
            await service.fetch_identity()  # so `may_answer` says what the backend would
        inbox = service.inbox() if ctx.args.offline else await service.refresh_inbox()
        for problem in inbox.problems:
            ctx.say(f"warning: {problem}")
        now = service.now()
        if ctx.args.format == "json":
            write_inbox_json(inbox, now, ctx)
        elif not inbox.items:
            ctx.say("nothing waits for input")
        else:
            rows = [INBOX_COLUMNS, *(inbox_row(item, now) for item in inbox.items)]
            write_table(rows, ctx.stdout)
        return ExitCode.OK

    return run_with_service(ctx, work, cache_only=ctx.args.offline)


def inbox_row(item: InboxItem, now: datetime) -> tuple[str, ...]:
    question = "(not fetched)" if item.question is None else item.question
    may = "yes" if item.may_answer else f"no: {item.refusal}"
    return (
        clip(inert(item.run_name), NAME_WIDTH),
        clip(inert(item.step_title), STEP_WIDTH),
        clip(inert(question), QUESTION_WIDTH),
        item.waited_words(now),
        item.time_left_words(now),
        inert(may),
        inert(item.run_id),
    )


def write_inbox_json(inbox: Inbox, now: datetime, ctx: Context) -> None:
    document = {
        "items": [item.to_json(now) for item in inbox.items],
        "problems": list(inbox.problems),
    }
    ctx.stdout.write(escape_json_text(json.dumps(document, ensure_ascii=False, indent=2)) + "\n")
