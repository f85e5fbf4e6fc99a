"""The Textual app: one `RunsService`, the runs screen, and the glue between them.

The app runs `service.run_live` in a worker and turns each service event into a Textual message
posted to every screen on the stack (so a screen under a dialog is current when it comes back),
toasts runs that start waiting for input, and keeps the operator's choices (theme, last filter)
in the config file. It imports no I/O library: everything goes through the service.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.dom import DOMNode
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.message import Message
from textual.screen import Screen
from textual.theme import Theme

from runs_tui import config as config_module
from runs_tui.commands import GoToRunProvider, RunsCommands
from runs_tui.config import Config, ConfigError, Profile
from runs_tui.errors import ClientError
from runs_tui.keymap import unknown_ids
from runs_tui.messages import RunsChanged, SyncStatusChanged, ToolOutputArrived, WaitingStartedMessage
from runs_tui.models.filters import RunFilter
from runs_tui.no_color import NO_COLOR_CSS, use_plain_terminal
from runs_tui.models.status import StatusGroup
from runs_tui.sanitize import inert
from runs_tui.screens.help import HelpScreen, collect_bindings
from runs_tui.screens.runs import RunsScreen
from runs_tui.service import (
    CacheChanged,
    RunsService,
    ServiceEvent,
    SyncStateChanged,
    ToolOutput,
    WaitingStarted,
)
from runs_tui.widgets.status_badge import status_label

__all__ = [
    "RunsApp", "RunsChanged", "SyncStatusChanged", "ToolOutputArrived", "WaitingStartedMessage",
    "make_app", "run_dashboard",
]


class RunsApp(App[None]):
    """The dashboard."""

    TITLE = "runs-tui"
    CSS = NO_COLOR_CSS
    COMMANDS = App.COMMANDS | {RunsCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        # Like k9s and lazygit: ctrl+c leaves (Textual's default only says "press ctrl+q").
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True,
                id="app.commands"),
        Binding("colon", "command_palette", "Commands", show=False, id="app.commands_plain"),
        Binding("t", "change_theme", "Theme", show=False, id="app.theme"),
    ]

    def __init__(
        self,
        service: RunsService,
        *,
        config: Config | None = None,
        profile: Profile | None = None,
        tz: tzinfo | None = None,
        ticking: bool = True,
        live: bool = True,
        export_dir: Path | None = None,
        initial_filter: RunFilter | None = None,
    ) -> None:
        super().__init__()
        use_plain_terminal(self)
        self.service = service
        self.config = config
        self.profile = profile
        self.tz = tz
        self.ticking = ticking
        self.live = live
        self.export_dir = export_dir or Path.cwd()
        self.initial_filter = initial_filter or (profile.initial_filter if profile else RunFilter())
        self._saved_theme = config.theme if config else None
        self._config_warned = False
        if config and config.theme and config.theme in self.available_themes:
            self.theme = config.theme

    # --- lifecycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._apply_keymap()
        self.push_screen(RunsScreen(self.initial_filter))
        self.call_after_refresh(self._freeze_startup_objects)
        if self.live and self.service.connects_later:  # the live sync makes the client
            self.call_after_refresh(self._live)  # (imports httpx): after the first frame
        elif self.live:
            self._live()

    def _apply_keymap(self) -> None:
        """The config's `[keymap]` over the declared keys; ids that name no binding are
        reported (a rebinding that silently did nothing would look like a broken key)."""
        keymap = dict(self.config.keymap) if self.config else {}
        if not keymap:
            return
        unknown = unknown_ids(keymap)
        if unknown and self.config:
            self.notify(
                f"{self.config.path}: [keymap] names no binding {', '.join(unknown)}; "
                "`runs-tui config keys` lists the ids",
                title="Keymap", severity="warning", markup=False, timeout=15,
            )
        self.set_keymap({key: keys for key, keys in keymap.items() if key not in unknown})

    def _freeze_startup_objects(self) -> None:
        """Move everything alive after the first paint (widgets, styles, caches: all kept for
        the app's life) out of the collector's reach. Otherwise each full collection rescans
        them, and those ~50 ms pauses landed in the middle of filter keystrokes (the runs-list
        benchmark's p95 at 1M runs fell from 64 ms to 18 ms)."""
        gc.freeze()

    async def on_unmount(self) -> None:
        try:
            await self.service.aclose()
        except Exception:  # noqa: BLE001 - closing must not mask the real exit reason
            pass

    @work(group="live", exclusive=True, exit_on_error=False)
    async def _live(self) -> None:
        """Keep the cache live for as long as the app runs; a failure is reported, not fatal."""
        try:
            await self.service.run_live(self._on_service_event)
        except ClientError as error:
            self.notify(error.explain(), title="Live updates stopped", severity="error", markup=False)

    def _on_service_event(self, event: ServiceEvent) -> None:
        if isinstance(event, CacheChanged):
            self.broadcast(lambda: RunsChanged(event.run_ids, event.full))
        elif isinstance(event, SyncStateChanged):
            self.broadcast(lambda: SyncStatusChanged(event.status))
        elif isinstance(event, ToolOutput):
            self.broadcast(lambda: ToolOutputArrived(event.run_id, event.step_id, event.chunk))
        elif isinstance(event, WaitingStarted):
            self.announce_waiting(event)
            self.broadcast(lambda: WaitingStartedMessage(event.run))

    def broadcast(self, make: Callable[[], Message]) -> None:
        """A fresh message to every screen on the stack (a message is delivered once)."""
        for screen in self.screen_stack:
            screen.post_message(make())

    def announce_waiting(self, event: WaitingStarted) -> None:
        notifications = self.profile.notifications if self.profile else config_module.Notifications()
        run = event.run
        if notifications.toast:
            self.notify(f"“{inert(run.name)}” is waiting for input ({status_label(run.status)}).",
                        title="Needs you", severity="warning", markup=False, timeout=10)
        if notifications.bell:
            self.bell()

    # --- keys typed ahead ----------------------------------------------------------------------

    async def run_action(self, action: Any, default_namespace: DOMNode | None = None,
                         namespaces: Any = None) -> bool:
        """Every key binding runs through here. Keys typed ahead (`tmux send-keys q e`) are
        still queued when the app starts exiting or a screen leaves the stack; acting on them
        then pushes dialogs into a dying app or queries removed widgets. So they are dropped."""
        if not self.accepts_actions(default_namespace):
            return False
        return await super().run_action(action, default_namespace, namespaces)

    def accepts_actions(self, node: DOMNode | None) -> bool:
        """False once the app is exiting, or when `node` belongs to a screen no longer shown."""
        if self._exit:
            return False
        if node is None or node is self:
            return True
        try:
            screen = node if isinstance(node, Screen) else node.screen
        except Exception:  # noqa: BLE001 - a widget already detached from its screen
            return False
        return screen in self.screen_stack and screen.is_attached

    # --- navigation ----------------------------------------------------------------------------

    def open_run(self, run_id: str, *, focus_prompt: bool = False) -> None:
        """The detail screen (part 2); until it exists, a minimal read-only view."""
        try:
            from runs_tui.screens.detail import RunDetailScreen
        except ImportError:
            from runs_tui.screens.run_summary import RunSummaryScreen

            self.push_screen(RunSummaryScreen(run_id, focus_prompt=focus_prompt))
            return
        self.push_screen(RunDetailScreen(run_id, focus_prompt=focus_prompt))

    def _runs_screen(self) -> RunsScreen | None:
        return next((s for s in reversed(self.screen_stack) if isinstance(s, RunsScreen)), None)

    def show_group(self, group: StatusGroup) -> None:
        if (screen := self._runs_screen()) is not None:
            self._pop_to(screen)
            screen.action_group(group.value)

    def _pop_to(self, screen: RunsScreen) -> None:
        while self.screen is not screen and len(self.screen_stack) > 1:
            self.pop_screen()

    def action_edit_filter(self) -> None:
        if (screen := self._runs_screen()) is not None:
            self._pop_to(screen)
            screen.action_filter()

    def action_export_list(self) -> None:
        if (screen := self._runs_screen()) is not None:
            self._pop_to(screen)
            screen.action_export()

    def action_go_to_run(self) -> None:
        self.push_screen(CommandPalette(providers=[GoToRunProvider], placeholder="Run name or id…"))

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        title = getattr(screen, "help_title", None) or type(screen).__name__.removesuffix("Screen") or "Runs"
        self.push_screen(HelpScreen(str(title), collect_bindings(screen)))

    @work(group="sync", exclusive=True, exit_on_error=False)
    async def action_sync_now(self) -> None:
        self.notify("Syncing…", timeout=2)
        try:
            result = await self.service.sync_now()
        except ClientError as error:
            self.notify(error.explain(), title="Sync failed", severity="error", markup=False)
            self.broadcast(lambda: SyncStatusChanged(self.service.sync_status()))
            return
        self.broadcast(lambda: RunsChanged(result.touched, result.full_resync))
        self.broadcast(lambda: SyncStatusChanged(self.service.sync_status()))
        changed = len(result.touched)
        self.notify(f"Synced: {changed:,} run{'s' if changed != 1 else ''} changed.", timeout=3)

    # --- preferences -----------------------------------------------------------------------

    def _theme_changed(self, theme: Theme) -> None:
        if theme.name != self._saved_theme:
            self._saved_theme = theme.name
            self._save_setting(lambda doc, path: config_module.set_value(doc, "theme", theme.name, path))

    def remember_filter(self, run_filter: RunFilter) -> None:
        """Kept per profile so the next start shows the same list."""
        if self.config is None or self.profile is None:
            return
        env = {**os.environ, config_module.CONFIG_DIR_ENV: str(self.config.path.parent)}
        if self.config.path.name != config_module.CONFIG_FILE_NAME:
            return
        try:
            config_module.remember_last_filter(self.profile.name, run_filter, env)
        except (ConfigError, OSError) as error:
            self._warn_config(error)

    def _save_setting(self, change: Callable[[dict[str, Any], Path], dict[str, Any]]) -> None:
        if self.config is None:
            return
        path = self.config.path
        try:
            current = config_module.load_config(path)
            config_module.save_document(path, change(dict(current.document), path))
        except (ConfigError, OSError) as error:
            self._warn_config(error)

    def _warn_config(self, error: Exception) -> None:
        if not self._config_warned:
            self._config_warned = True
            self.notify(f"Could not save settings: {error}", severity="warning", markup=False)


def make_app(service: RunsService, *, config: Config | None = None, profile: Profile | None = None,
             **options: Any) -> RunsApp:
    """The app for the CLI and for tests (options: tz, ticking, live, export_dir,
    initial_filter)."""
    return RunsApp(service, config=config, profile=profile, **options)


def run_dashboard(service: RunsService, *, config: Config | None = None,
                  profile: Profile | None = None, **options: Any) -> int:
    """Run the dashboard in the terminal until the operator quits; the exit code."""
    app = make_app(service, config=config, profile=profile, **options)
    app.run()
    return app.return_code or 0
