"""Command palette providers: the app's commands, and "Go to run…" over the cache.

Named "area: action" (Posting's habit) so typing "filter" lists every filter at once. Run names
are untrusted: hits show them as `rich.text.Text` (never markup) and help texts carry no data.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

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


def app_commands(app: RunsApp) -> list[tuple[str, str, Callable[[], object]]]:
    """(name, help, callback) for every palette command of the dashboard."""
    commands: list[tuple[str, str, Callable[[], object]]] = [
        (f"Filter: {_GROUP_WORDS[group]}", f"Show {_GROUP_WORDS[group]} (key {number})",
         partial(app.show_group, group))
        for number, group in enumerate(GROUP_ORDER, 1)
    ]
    commands += [
        ("Filter: edit…", "Status, type, time range and name (key f)", app.action_edit_filter),
        ("Export list…", "Write the filtered list to JSON or CSV (key e)", app.action_export_list),
        ("Sync now", "Pull the latest changes from the backend (key r)", app.action_sync_now),
        ("Go to run…", "Find a cached run by name or id and open it", app.action_go_to_run),
        ("Theme…", "Change the colours; the choice is saved in the config (key t)",
         app.action_change_theme),
        ("Help: keys", "Every key of the current screen (key ?)", app.action_help),
        ("Quit", "Leave runs-tui (key q)", app.action_quit),
    ]
    return commands


class RunsCommands(Provider):
    """The dashboard's own commands."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return app_commands(cast("RunsApp", self.app))

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class GoToRunProvider(Provider):
    """Runs whose name contains the query (or whose id is the query), newest first."""

    LIMIT = 20

    def _find(self, query: str) -> list:
        app = cast("RunsApp", self.app)
        cache, now = app.service.cache, app.service.now()
        found = []
        query = query.strip()
        if query:
            exact = cache.get_run(query)
            if exact is not None:
                found.append(exact)
        everything = RunFilter(time=TimeRange(TimePreset.ALL), name=query)
        found += [run for run in cache.window(everything, now, limit=self.LIMIT)
                  if not found or run.id != found[0].id]
        return found

    def _hit_text(self, run) -> Text:
        return Text.assemble(status_text(run.status, short=True), "  ", Text(inert(run.name)),
                             Text(f"  {inert(run.id)}", style="dim"))

    async def discover(self) -> Hits:
        app = cast("RunsApp", self.app)
        for run in self._find(""):
            yield DiscoveryHit(self._hit_text(run), partial(app.open_run, run.id), text=inert(run.name))

    async def search(self, query: str) -> Hits:
        app = cast("RunsApp", self.app)
        for rank, run in enumerate(self._find(query)):
            yield Hit(1.0 - rank / 100, self._hit_text(run), partial(app.open_run, run.id),
                      text=inert(run.name))
