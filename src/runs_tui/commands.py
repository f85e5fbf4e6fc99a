"""The command palette: the app's commands (offered through `App.get_system_commands`, next to
Textual's own), and the "Go to run…" provider over the cache.

Named "area: action" (Posting's habit) so typing "filter" lists every filter at once. Run names
are untrusted: hits show them as `rich.text.Text` (never markup) and help texts carry no data.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider

from runs_tui import run_ids
from runs_tui.errors import ClientError
from runs_tui.models.domain import RunSummary
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.models.status import StatusGroup
from runs_tui.sanitize import inert
from runs_tui.widgets.group_bar import GROUP_ORDER
from runs_tui.widgets.status_badge import status_text

if TYPE_CHECKING:
    from runs_tui.app import RunsApp

_GROUP_WORDS = {
    StatusGroup.ALL: "all runs",
    StatusGroup.ACTIVE: "active runs",
    StatusGroup.WAITING: "runs waiting for input",
    StatusGroup.COMPLETED: "completed runs",
    StatusGroup.FAILED: "failed runs",
    StatusGroup.CANCELLED: "cancelled runs",
}


def app_commands(app: RunsApp) -> list[SystemCommand]:
    """Every palette command of the dashboard, for `RunsApp.get_system_commands`."""
    commands = [
        SystemCommand(
            f"Filter: {_GROUP_WORDS[group]}",
            f"Show {_GROUP_WORDS[group]} (key {number})",
            partial(app.show_group, group),
        )
        for number, group in enumerate(GROUP_ORDER, 1)
    ]
    commands.append(
        SystemCommand(
            "Filter: unresolved failures",
            "Failed or partial runs that no later success of the same flow or guide followed "
            f"(key {len(GROUP_ORDER) + 1})",
            app.show_unresolved,
        )
    )
    commands += [
        SystemCommand(
            "Filter: edit…", "Status, type, time range and name (key f)", app.action_edit_filter
        ),
        SystemCommand(
            "Export list…", "Write the filtered list to JSON or CSV (key e)", app.action_export_list
        ),
        SystemCommand(
            "Sync now", "Pull the latest changes from the backend (key r)", app.action_sync_now
        ),
        SystemCommand(
            "Go to run…", "Find a cached run by name or id and open it", app.action_go_to_run
        ),
        SystemCommand(
            "Compare runs",
            "The two marked runs side by side, or the current run with the previous run of "
            "its flow or guide (key =)",
            app.action_compare,
        ),
        SystemCommand(
            "Inbox", "Every step waiting for a person, answered in place (key i)", app.action_inbox
        ),
        SystemCommand(
            "Health of flows and guides",
            "Success rate, durations, MTTR and unresolved failures, getting worse first (key H)",
            app.action_health,
        ),
        SystemCommand(
            "Action log",
            "What you did this session, with the equivalent command lines (key L)",
            app.action_action_log,
        ),
        SystemCommand(
            "Theme…",
            "Change the colours; the choice is saved in the config (key t)",
            app.action_change_theme,
        ),
        SystemCommand("Help: keys", "Every key of the current screen (key ?)", app.action_help),
        SystemCommand("Quit", "Leave runs-tui (key q)", app.action_quit),
    ]
    return commands


class GoToRunProvider(Provider):
    """Runs whose id starts with the query (a prefix of 4+ characters, like git) or whose name
    contains it, newest first. When the cache knows no such run, one hit asks the backend (a
    run someone else started since the last sync), through the same resolution as the CLI."""

    LIMIT = 20

    def _find(self, query: str) -> list[RunSummary]:
        app = cast("RunsApp", self.app)
        cache, now = app.service.cache, app.service.now()
        query = query.strip()
        found: list[RunSummary] = []
        if query:
            found = cache.runs_with_id_prefix(query, run_ids.CANDIDATES_SHOWN + 1)
            if len(query) < run_ids.MIN_PREFIX:
                found = [run for run in found if run.id == query]
        everything = RunFilter(time=TimeRange(TimePreset.ALL), name=query)
        by_id = {run.id for run in found}
        found += [
            run for run in cache.window(everything, now, limit=self.LIMIT) if run.id not in by_id
        ]
        return found

    def _hit_text(self, run: RunSummary) -> Text:
        return Text.assemble(
            status_text(run.status, short=True),
            "  ",
            Text(inert(run.name)),
            Text(f"  {inert(run.id)}", style="dim"),
        )

    async def discover(self) -> Hits:
        app = cast("RunsApp", self.app)
        for run in self._find(""):
            yield DiscoveryHit(
                self._hit_text(run), partial(app.open_run, run.id), text=inert(run.name)
            )

    async def search(self, query: str) -> Hits:
        app = cast("RunsApp", self.app)
        found = self._find(query)
        for rank, run in enumerate(found):
            yield Hit(
                1.0 - rank / 100,
                self._hit_text(run),
                partial(app.open_run, run.id),
                text=inert(run.name),
            )
        text = query.strip()
        if not found and len(text) >= run_ids.MIN_PREFIX and app.service.client is not None:
            label = f"Look up run id {inert(text)!r} on the backend"
            yield Hit(
                0.5,
                Text(label),
                partial(look_up_run, app, text),
                text=label,
                help="Not in the local cache: sync, then open the run whose id starts with it",
            )


def look_up_run(app: RunsApp, text: str) -> None:
    """Resolve `text` as the CLI does (cache, then a sync) on a worker, then open the run or
    say why not: not found, or ambiguous with its candidates."""

    async def look_up() -> None:
        try:
            run_id = await app.service.resolve_run_id(text)
        except run_ids.RunIdError as error:
            app.notify(inert(str(error)), title="Go to run", severity="warning", markup=False)
            return
        except ClientError as error:
            app.notify(inert(error.explain()), title="Go to run", severity="error", markup=False)
            return
        if app.service.cache.get_run(run_id) is None:  # the backend could not be asked
            app.notify(
                f"Run {inert(text)!r} is not in the local cache and the backend is unreachable.",
                title="Go to run",
                severity="error",
                markup=False,
            )
            return
        app.open_run(run_id)

    app.run_worker(look_up(), group="go-to-run", exclusive=True, exit_on_error=False)
