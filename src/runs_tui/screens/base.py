"""`ServiceScreen`: the base of every dashboard screen that reads the service.

Why a base: the screens reach `RunsService` (and the app's options: time zone, export folder)
through the app, and each one used to cast `self.app` its own way, with a `type: ignore`. Here
it is typed once. It also hands the screen's failed workers to the app, which reports every
failure the same way (`Worker.StateChanged` is delivered to the worker's own node and does not
bubble, so the app alone would never see a screen's workers fail). And it keeps the rule for
screens that another screen covered: they get no live messages meanwhile (`RunsApp.broadcast`:
in Textual 8 a message handled behind the current screen repaints the whole terminal), so when
they show again they `catch_up()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker

from runs_tui.service import SyncMode, SyncStatus
from runs_tui.widgets.app_header import AppHeader
from runs_tui.widgets.quiet_update import on_view

if TYPE_CHECKING:
    from runs_tui.app import RunsApp
    from runs_tui.service import RunsService


class ServiceScreen(Screen[None]):
    """A screen of `RunsApp` that talks to its `RunsService`."""

    _covered = False  # another screen was pushed over this one since it last showed
    sync_status: SyncStatus | None = None  # the last the syncer said (None: ask the service)

    def on_screen_suspend(self) -> None:
        self._covered = True

    def on_screen_resume(self) -> None:
        if self._covered:
            self._covered = False
            self.catch_up()

    def catch_up(self) -> None:
        """Re-read what may have changed while the screen was covered (nothing by default)."""

    def refresh_app_header(self) -> None:
        """The `AppHeader`'s sync words, offline mark and waiting badge as of now, for the
        screens that have one (each second, and when the sync status changes). Not while
        covered: the header is drawn afresh when the screen shows again."""
        if not on_view(self):
            return
        try:
            header = self.query_one(AppHeader)
        except NoMatches:
            return
        service = self.service
        status = self.sync_status or service.sync_status()
        header.update_state(
            sync_text=status.describe(service.now()),
            offline=status.state is SyncMode.OFFLINE,
            waiting=service.cache.waiting_count(),
        )

    @property
    def runs_app(self) -> RunsApp:
        return cast("RunsApp", self.app)

    @property
    def service(self) -> RunsService:
        return self.runs_app.service

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.runs_app.report_worker_state(event.worker)
