"""The runs screen: header, status groups, filter summary, the list, and every list action.

The screen owns the query (`RunFilter`); the list widget only displays it and reports what the
operator picked through messages. Backend actions run in async workers on the app's loop (the
service is async); their refusals become toasts with the service's own explanation, never a
crash, and the list is redrawn from the cache the service has already brought up to date. The
list export runs in a thread worker (a million runs take seconds to write) and reports by message.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer

from runs_tui.action_log import Action, cancel_command, delete_command, export_list_command
from runs_tui.errors import ClientError
from runs_tui.messages import RunsChanged, SyncStatusChanged
from runs_tui.models.domain import DefinitionSummary, RunSummary
from runs_tui.models.filters import RunFilter, SortColumn, TimePreset, TimeRange
from runs_tui.models.status import StatusGroup
from runs_tui.sanitize import inert
from runs_tui.screens.base import ServiceScreen
from runs_tui.screens.confirm import cancel_question, delete_question
from runs_tui.screens.export_dialog import ExportDialog
from runs_tui.screens.filter import FilterScreen
from runs_tui.screens.reload_pacer import ReloadPacer
from runs_tui.service import RunsService, SyncStatus
from runs_tui.widgets.app_header import AppHeader
from runs_tui.widgets.filter_summary import FilterSummary
from runs_tui.widgets.group_bar import GROUP_ORDER, UNRESOLVED, GroupBar
from runs_tui.widgets.key_footer import KeyFooter
from runs_tui.widgets.run_list import RunList
from runs_tui.widgets.status_badge import status_label
from runs_tui.widgets.text_inputs import Input

SORT_CYCLE: tuple[SortColumn, ...] = (
    SortColumn.STARTED,
    SortColumn.NAME,
    SortColumn.STATUS,
    SortColumn.KIND,
    SortColumn.DURATION,
    SortColumn.TRIGGER,
)


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class ExportFinished(Message):
    """A list export ended on its worker thread: where the file went, or why it failed."""

    def __init__(
        self,
        fmt: str,
        count: int,
        written: Path | None,
        error: str | None,
        run_filter: RunFilter | None = None,
        path: Path | None = None,
    ) -> None:
        super().__init__()
        self.fmt, self.count, self.written, self.error = fmt, count, written, error
        self.run_filter, self.path = run_filter, path


class RunsScreen(ServiceScreen):
    """The screen operators live in."""

    RELOADS_PER_SECOND: ClassVar[float] = 4.0

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "answer", "Answer", id="runs.answer"),
        Binding("f", "filter", "Filter", id="runs.filter"),
        Binding("slash", "search", "Search", id="runs.search"),
        Binding("d", "delete", "Delete", id="runs.delete"),
        Binding("c", "cancel_run", "Cancel run", id="runs.cancel"),
        Binding("s", "sort_next", "Sort", id="runs.sort"),
        Binding("o", "sort_reverse", "Reverse sort", show=False, id="runs.reverse"),
        Binding("r", "sync", "Sync", id="runs.sync"),
        Binding("e", "export", "Export", id="runs.export"),
        Binding("y", "copy_ids", "Copy run id", show=False, id="runs.copy_id"),
        Binding("equals_sign", "compare", "Compare runs", show=False, id="runs.compare"),
        *[
            Binding(
                str(number),
                f"group('{group.value}')",
                f"Show {group.label.lower()}",
                show=False,
                id=f"runs.group.{group.value}",
            )
            for number, group in enumerate(GROUP_ORDER, 1)
        ],
        Binding(
            str(len(GROUP_ORDER) + 1),
            f"group('{UNRESOLVED}')",
            "Show unresolved failures",
            show=False,
            id="runs.group.unresolved",
        ),
        Binding("escape", "clear_search", "Clear search", show=False, id="runs.clear_search"),
    ]

    DEFAULT_CSS = """
    RunsScreen #search { display: none; height: 1; border: none; padding: 0 1; }
    RunsScreen #search.-visible { display: block; }
    """

    def __init__(self, initial_filter: RunFilter | None = None) -> None:
        super().__init__()
        self.initial_filter = initial_filter or RunFilter()
        self.sync_status: SyncStatus | None = None
        self._search_timer: Timer | None = None
        self._counts_timer: Timer | None = None
        self._pacer = ReloadPacer(self, lambda: self.reload(), self.RELOADS_PER_SECOND)
        self._marked_versions: dict[str, int] = {}  # what the operator saw when marking (`=`)

    @property
    def run_list(self) -> RunList:
        return self.query_one(RunList)

    @property
    def run_filter(self) -> RunFilter:
        return self.run_list.run_filter

    def compose(self) -> ComposeResult:
        service = self.runs_app.service
        yield AppHeader(
            service.profile_label or "default", service.backend_label or "local cache", id="header"
        )
        yield GroupBar(id="groups")
        yield FilterSummary(id="filter-summary")
        yield Input(placeholder="Search run names (enter keeps, esc clears)", id="search")
        yield RunList(
            service.cache,
            service.now,
            run_filter=self.initial_filter,
            tz=self.runs_app.tz,
            tick=self.runs_app.ticking,
            id="runs",
        )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(AppHeader).key_hint = self.runs_app.inbox_key_hint()
        self.run_list.focus()
        self.sync_status = self.runs_app.service.sync_status()
        self._refresh_chrome()
        self.refresh_app_header()
        self.set_interval(1.0, self.refresh_app_header)

    def catch_up(self) -> None:
        self.sync_status = self.runs_app.service.sync_status()
        self.reload()

    # --- refreshing ------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the cache for the current query (after a change or an action)."""
        self.run_list.reload()
        self._refresh_chrome()
        self.refresh_app_header()  # the waiting count may have changed with the data

    def apply_filter(self, run_filter: RunFilter, *, remember: bool = True) -> None:
        self.run_list.set_filter(run_filter)
        self._refresh_chrome()
        if remember:
            self.runs_app.remember_filter(run_filter)

    def _refresh_chrome(self) -> None:
        run_filter = self.run_filter
        total = self.run_list.total
        marked = f" · {len(self.run_list.marks):,} marked" if self.run_list.marks else ""
        arrow = "↓" if run_filter.descending else "↑"
        summary = (
            f"{plural(total, 'run')}{marked} · {run_filter.describe()} "
            f"· sorted by {run_filter.sort.value} {arrow}"
        )
        self.query_one(FilterSummary).show(summary)
        self.run_list.empty_message = (
            "The cache is empty: nothing synced yet (r syncs now)."
            if not self._cache_has_runs()
            else f"No runs match: {inert(run_filter.describe())}. Press f to change the filter."
        )
        self._schedule_counts()

    def _cache_has_runs(self) -> bool:
        cache = self.runs_app.service.cache
        if self.run_list.total > 0:
            return True
        return (
            cache.count(RunFilter(time=TimeRange(TimePreset.ALL)), self.runs_app.service.now()) > 0
        )

    def _schedule_counts(self) -> None:
        """Group counts are several COUNTs: do them right after the list has painted."""
        if self._counts_timer is None:
            self._counts_timer = self.set_timer(0.05, self._refresh_counts)

    def _refresh_counts(self) -> None:
        self._counts_timer = None
        service = self.runs_app.service
        now = service.now()
        counts = service.cache.group_counts(self.run_filter, now)
        unresolved = service.cache.count(self.run_filter.with_unresolved(), now)
        self.query_one(GroupBar).update_counts(
            counts,
            self.run_filter.group,
            unresolved=unresolved,
            unresolved_current=self.run_filter.unresolved,
        )

    def on_runs_changed(self, message: RunsChanged) -> None:
        """At most `RELOADS_PER_SECOND` reloads: a burst of changes (20 runs stepping at once)
        is one re-read and one redraw of the rows that changed, not one per change. Hidden
        behind another screen, the list gets no changes (`RunsApp.broadcast`): it reloads when
        it shows again."""
        self._pacer.request()

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self.sync_status = message.event.status
        self.refresh_app_header()

    @on(RunList.MarksChanged)
    def _marks_changed(self, message: RunList.MarksChanged) -> None:
        if message.note:
            self.notify(f"Marked {message.count:,} runs ({message.note}).", markup=False)
        self._remember_marked_versions()
        self._refresh_chrome()

    def _remember_marked_versions(self) -> None:
        """The version of each run as it was when marked, so the comparison (`=`) can say a
        run changed since (only for a pair: the comparison takes two)."""
        marks = self.run_list.marks
        self._marked_versions = {i: v for i, v in self._marked_versions.items() if i in marks}
        if len(marks) > 2:
            return
        for run_id in marks - self._marked_versions.keys():
            run = self.runs_app.service.cache.get_run(run_id)
            if run is not None:
                self._marked_versions[run_id] = run.version

    def action_compare(self) -> None:
        """`=`: the two marked runs side by side (the older one is A); with none marked, the
        run under the cursor and the previous run of its flow or guide. A marked run that
        is gone since is still handed over: the comparison says it was deleted."""
        from runs_tui.screens.compare import CompareScreen, compare_with_previous

        marks = sorted(self.run_list.marks)
        if not marks:
            current = self.run_list.current_run
            if current is not None:
                compare_with_previous(self, current.id)
            return
        if len(marks) != 2:
            self.notify(
                f"Mark exactly two runs to compare them ({len(marks):,} marked), or none to "
                "compare the run under the cursor with the previous run of its flow or guide.",
                markup=False,
                severity="warning",
            )
            return
        cache = self.runs_app.service.cache
        found = {run_id: cache.get_run(run_id) for run_id in marks}
        order = sorted(
            marks, key=lambda i: (found[i] is None, found[i].created_at if found[i] else 0)
        )
        seen = {i: v for i, v in self._marked_versions.items() if i in found}
        self.app.push_screen(CompareScreen(order[0], order[1], seen=seen))

    @on(GroupBar.GroupChosen)
    def _group_clicked(self, message: GroupBar.GroupChosen) -> None:
        self.action_group(message.value)

    # --- opening runs ----------------------------------------------------------------------

    @on(RunList.RunSelected)
    def _open(self, message: RunList.RunSelected) -> None:
        self.runs_app.open_run(message.run_id)

    def action_answer(self) -> None:
        run = self.run_list.current_run
        if run is None:
            return
        if not run.status.is_waiting:
            self.notify(
                f"This run is not waiting for input ({status_label(run.status)}).",
                markup=False,
                severity="warning",
            )
            return
        self.runs_app.open_run(run.id, focus_prompt=True)

    def action_copy_ids(self) -> None:
        """The marked (or current) runs' ids, one per line, for `runs-tui runs show ID` or a
        chat. Through the terminal (OSC 52), so it works over SSH; ids are made inert too."""
        current = self.run_list.current_run
        ids = sorted(self.run_list.marks) or ([current.id] if current else [])
        if not ids:
            return
        self.app.copy_to_clipboard("\n".join(inert(run_id) for run_id in ids))
        what = f"{len(ids)} run ids" if len(ids) > 1 else f"run id {inert(ids[0])}"
        self.notify(f"Copied {what} to the clipboard.", markup=False)

    # --- filtering -------------------------------------------------------------------------

    def action_group(self, group: str) -> None:
        if group == UNRESOLVED:
            self.apply_filter(self.run_filter.with_unresolved())
            return
        self.apply_filter(self.run_filter.with_group(StatusGroup(group)))

    def action_filter(self) -> None:
        names = [definition.title for definition in self._definitions()]
        self.app.push_screen(
            FilterScreen(self.run_filter, names=names, tz=self.runs_app.tz), self._filter_chosen
        )

    def _definitions(self) -> list[DefinitionSummary]:
        return list(self.runs_app.service.cache.definitions())

    def _filter_chosen(self, result: RunFilter | None) -> None:
        if result is not None:
            self.apply_filter(result)
            search = self.query_one("#search", Input)
            with search.prevent(Input.Changed):
                search.value = result.name

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("-visible")
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        """As you type, debounced a little so a fast typist does not queue a query per key."""
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.08, self._apply_search)

    def _apply_search(self) -> None:
        self._search_timer = None
        name = self.query_one("#search", Input).value.strip()
        if name != self.run_filter.name:
            self.apply_filter(replace(self.run_filter, name=name), remember=False)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self._apply_search()
        self.runs_app.remember_filter(self.run_filter)
        self.run_list.focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if not search.has_class("-visible") and not self.run_filter.name:
            if self.run_list.marks:
                self.run_list.clear_marks()
            return
        search.remove_class("-visible")
        with search.prevent(Input.Changed):
            search.value = ""
        self.run_list.focus()
        if self.run_filter.name:
            self.apply_filter(replace(self.run_filter, name=""))

    def action_sort_next(self) -> None:
        current = (
            SORT_CYCLE.index(self.run_filter.sort) if self.run_filter.sort in SORT_CYCLE else -1
        )
        column = SORT_CYCLE[(current + 1) % len(SORT_CYCLE)]
        descending = column in (SortColumn.STARTED, SortColumn.DURATION)
        self.apply_filter(replace(self.run_filter, sort=column, descending=descending))

    def action_sort_reverse(self) -> None:
        self.apply_filter(replace(self.run_filter, descending=not self.run_filter.descending))

    # --- backend actions -------------------------------------------------------------------

    def action_sync(self) -> None:
        self.runs_app.action_sync_now()

    @work(group="actions", exit_on_error=False)
    async def action_delete(self) -> None:
        """Delete the marked (or current) runs that have finished, once the operator agrees."""
        runs = self.run_list.marked_or_current()
        if not runs:
            return
        finished = [run for run in runs if run.status.is_terminal]
        if not finished:
            self.notify(_only_finished(runs), severity="warning", markup=False)
            return
        question = delete_question(finished, skipped=len(runs) - len(finished))
        if not await self.app.push_screen_wait(question):
            return
        ids = [run.id for run in finished]
        action = Action.BULK_DELETE if len(ids) > 1 else Action.DELETE
        command = delete_command(ids, profile=self.runs_app.cli_profile())
        name = finished[0].name if len(finished) == 1 else f"{len(finished)} runs"
        try:
            deleted, refused = await self.runs_app.service.delete(ids)
        except ClientError as error:
            self.runs_app.record_action(action, command, error, run_name=name)
            self.notify(error.explain(), title="Delete failed", severity="error", markup=False)
            return
        refusals = "; ".join(sorted({f"{body.run_id}: {body.message}" for body in refused}))
        self.runs_app.record_action(
            action,
            command,
            f"{len(deleted)} deleted, {len(refused)} refused: {refusals}" if refused else None,
            run_id=ids[0] if len(ids) == 1 else None,
            run_name=name,
        )
        self.run_list.marks.difference_update(deleted)
        self.reload()
        text = f"Deleted {plural(len(deleted), 'run')}."
        if refused:
            reasons = "; ".join(sorted({inert(body.message) for body in refused}))
            text += f" {plural(len(refused), 'run')} refused: {reasons}"
        self.notify(text, severity="warning" if refused else "information", markup=False)

    @work(group="actions", exit_on_error=False)
    async def action_cancel_run(self) -> None:
        """Cancel the run under the cursor, once the operator agrees."""
        run = self.run_list.current_run
        if run is None:
            return
        if run.status.is_terminal:
            self.notify(
                f"Nothing to cancel: the run already finished ({status_label(run.status)}).",
                severity="warning",
                markup=False,
            )
            return
        if not await self.app.push_screen_wait(cancel_question(run, run.id)):
            return
        command = cancel_command(run.id, profile=self.runs_app.cli_profile())
        try:
            summary = await self.runs_app.service.cancel(run.id)
        except ClientError as error:
            self.runs_app.record_action(
                Action.CANCEL, command, error, run_id=run.id, run_name=run.name
            )
            self.notify(error.explain(), title="Cancel refused", severity="error", markup=False)
            self.reload()
            return
        self.runs_app.record_action(Action.CANCEL, command, run_id=run.id, run_name=run.name)
        self.reload()
        words = inert(self.runs_app.service.cancel_words(run.id, summary))
        self.notify(f"“{inert(summary.name)}”: {words}", markup=False)

    def action_export(self) -> None:
        stem = "runs-" + self.runs_app.service.now().astimezone(self.runs_app.tz).strftime(
            "%Y%m%d-%H%M"
        )
        self.app.push_screen(
            ExportDialog(stem, directory=self.runs_app.export_dir, title="Export list"),
            self._export_chosen,
        )

    def _export_chosen(self, result: tuple[str, Path] | None) -> None:
        if result is None:
            return
        fmt, path = result
        self.runs_app.remember_export(path)
        self.notify("Exporting…", title="Export", markup=False, timeout=3)
        self._export(self.runs_app.service, self.run_filter, fmt, path, self.run_list.total)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(
        self, service: RunsService, run_filter: RunFilter, fmt: str, path: Path, count: int
    ) -> None:
        """On a thread: writing a million runs takes seconds and must not freeze the list. The
        service reads through its own connection there; this only posts the outcome."""
        try:
            written = service.export_list(run_filter, fmt, path)
        except OSError as error:  # the folder or file cannot be written: said in its words
            reason = str(error) or type(error).__name__
            self.post_message(ExportFinished(fmt, count, None, reason, run_filter, path))
            return
        self.post_message(ExportFinished(fmt, count, written, None, run_filter, path))

    @on(ExportFinished)
    def _export_finished(self, message: ExportFinished) -> None:
        if message.run_filter is not None:
            command = export_list_command(
                message.run_filter,
                message.fmt,
                message.written or message.path or "",
                profile=self.runs_app.cli_profile(),
            )
            name = plural(message.count, "run")
            self.runs_app.record_action(Action.EXPORT_LIST, command, message.error, run_name=name)
        if message.written is None:
            self.notify(f"Export failed: {message.error}", severity="error", markup=False)
            return
        self.notify(
            f"Exported {plural(message.count, 'run')} ({message.fmt.upper()}) to {message.written}",
            title="Export",
            markup=False,
            timeout=10,
        )


def _only_finished(runs: list[RunSummary]) -> str:
    if len(runs) == 1:
        return (
            f"Only finished runs can be deleted; this one is {status_label(runs[0].status)}. "
            "Cancel it first (c)."
        )
    return "Only finished runs can be deleted; none of the marked runs has finished."
