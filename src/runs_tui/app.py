"""The Textual app: one `RunsService`, the runs screen, and the glue between them.

The app runs `service.run_live` in a worker and turns each service event into a Textual message
posted to every screen on the stack (so a screen under a dialog is current when it comes back),
toasts runs that start waiting for input, and keeps the operator's choices (theme, last filter,
last export folder) in the state file (`ui_state.py`), never in the user's config.toml. It
imports no I/O library: everything goes through the service.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.dom import DOMNode, NoScreen
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from runs_tui import config as config_module
from runs_tui import partial_updates
from runs_tui.action_log import Action, ActionLog, Outcome
from runs_tui.commands import GoToRunProvider, app_commands
from runs_tui.config import Config, Profile
from runs_tui.errors import ClientError, Unreachable
from runs_tui.events import CacheChanged, ServiceEvent, SyncStateChanged, WaitingStarted
from runs_tui.export_folder import default_export_dir
from runs_tui.keymap import unknown_ids
from runs_tui.messages import message_for
from runs_tui.models.domain import RunSummary
from runs_tui.models.filters import RunFilter, SortColumn, TimePreset, TimeRange
from runs_tui.models.status import RunStatus, StatusGroup
from runs_tui.no_color import NO_COLOR_CSS, use_plain_terminal
from runs_tui.notifications import DesktopNotify, notification_bytes
from runs_tui.sanitize import inert
from runs_tui.screens.help import HelpScreen, collect_bindings
from runs_tui.screens.runs import RunsScreen
from runs_tui.service import RunsService
from runs_tui.ui_state import StateFile
from runs_tui.worker_failures import TITLE as FAILURE_TITLE
from runs_tui.worker_failures import failure_words, log_failure

__all__ = ["RunsApp", "make_app", "run_dashboard"]


HELP_TITLES: dict[str, str] = {
    "RunsScreen": "Runs list",
    "RunDetailScreen": "Run detail",
    "TimelineScreen": "Timeline",
    "InboxScreen": "Inbox",
    "ActionLogScreen": "Action log",
    "HealthScreen": "Health of flows and guides",
}
REPLACED_COMMANDS: frozenset[str] = frozenset({"Quit", "Theme", "Keys"})


def visible_screens(app: App[Any]) -> list[Screen[Any]]:
    """The current screen and, under a modal one (a dialog), the screens seen behind it."""
    visible: list[Screen[Any]] = []
    for screen in reversed(app.screen_stack):
        visible.append(screen)
        if not isinstance(screen, ModalScreen):
            break
    return visible


class RunsApp(App[None]):
    """The dashboard."""

    TITLE = "runs-tui"
    CSS = NO_COLOR_CSS
    COMMAND_PALETTE_BINDING = "ctrl+p"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        # Like k9s and lazygit: ctrl+c leaves (Textual's default only says "press ctrl+q").
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding(
            "ctrl+p", "command_palette", "Commands", show=False, priority=True, id="app.commands"
        ),
        # Tab moves the focus *before* the next key is handed out. Textual's own tab binding
        # (on Screen) runs only when the focused widget gets round to the Tab, and keys that
        # arrived in the same read (a fast typist, an SSH packet) have by then been given to
        # the old focus: "tab hello" from the prompt's choices would move the choice (h / l)
        # instead of writing the note. A priority binding runs in the app's own key loop.
        Binding("tab", "focus_next", "Next field", show=False, priority=True, id="app.focus_next"),
        Binding(
            "shift+tab",
            "focus_previous",
            "Previous field",
            show=False,
            priority=True,
            id="app.focus_previous",
        ),
        Binding("colon", "command_palette", "Commands", show=False, id="app.commands_plain"),
        Binding("t", "change_theme", "Theme", show=False, id="app.theme"),
        Binding("w", "oldest_waiting", "Oldest waiting run", show=False, id="app.oldest_waiting"),
        Binding("i", "inbox", "Inbox", show=False, id="app.inbox"),
        Binding("L", "action_log", "Action log", show=False, id="app.action_log"),
        Binding("H", "health", "Health", show=False, id="app.health"),
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
        state: StateFile | None = None,
    ) -> None:
        super().__init__()
        partial_updates.install()  # a tick writes the changed cells only (over SSH)
        use_plain_terminal(self)
        self.service = service
        self.config = config
        self.profile = profile
        self.tz = tz
        self.ticking = ticking
        self.live = live
        self.state = state
        """Where the operator's choices are remembered; None: nowhere (tests, snapshots)."""
        self.export_dir = export_dir or default_export_dir(state.export_folder() if state else None)
        self.initial_filter = initial_filter or self._remembered_filter()
        legacy_theme = config.theme if config else None
        self._saved_theme = state.theme_or(legacy_theme) if state else legacy_theme
        self._state_warned = False
        self._waiting_run: RunSummary | None = None
        self.action_log = ActionLog(service.now)
        """What the operator did in this session, with the equivalent command lines."""
        self._keys: dict[str, str] = {}
        self.environ: Mapping[str, str] = os.environ
        """Where `TMUX` is looked up for desktop notifications (tests pass their own)."""
        self._waiting_timer: Timer | None = None
        if self._saved_theme and self._saved_theme in self.available_themes:
            self.theme = self._saved_theme

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
        self._keys = keymap
        if not keymap:
            return
        unknown = unknown_ids(keymap, type(self))
        if unknown and self.config:
            self.notify(
                f"{self.config.path}: [keymap] names no binding {', '.join(unknown)}; "
                "`runs-tui config keys` lists the ids",
                title="Keymap",
                severity="warning",
                markup=False,
                timeout=15,
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
        except Exception:  # closing must not mask the real exit reason
            pass

    @work(group="live", exclusive=True, exit_on_error=False)
    async def _live(self) -> None:
        """Keep the cache live for as long as the app runs; a failure is reported, not fatal."""
        try:
            await self.service.run_live(self._on_service_event)
        except ClientError as error:
            self.notify(
                error.explain(), title="Live updates stopped", severity="error", markup=False
            )

    # --- failed workers ----------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_state(event.worker)

    def report_worker_state(self, worker: Worker[Any]) -> None:
        """The one place a failed worker is reported: the app's own workers come through
        `on_worker_state_changed`, the screens' through `ServiceScreen`. Told in a notice (the
        dashboard keeps running) and logged with the traceback."""
        error = worker.error
        if worker.state is not WorkerState.ERROR or error is None:
            return
        log_failure(worker.name, error)
        self.log.error(f"worker {worker.name!r} failed: {error!r}")
        self.notify(failure_words(error), title=FAILURE_TITLE, severity="error", markup=False)

    def _on_service_event(self, event: ServiceEvent) -> None:
        """Every event reaches every screen, in the message made for its type."""
        if isinstance(event, WaitingStarted):
            self.announce_waiting(event)
        self.broadcast(lambda: message_for(event))

    def broadcast(self, make: Callable[[], Message]) -> None:
        """A fresh message (one is delivered once) to each screen the operator can see that
        defines its default handler (`on_runs_changed` for `RunsChanged`). In Textual 8 any
        message handled by a screen behind the current one repaints the whole terminal: the
        output of one running tool, sent to every screen, cost ~100 KB/s over SSH. Hidden
        screens catch up when they show again (`on_screen_resume`)."""
        message = make()
        receivers = [s for s in visible_screens(self) if hasattr(s, message.handler_name)]
        for index, screen in enumerate(receivers):
            screen.post_message(message if index == 0 else make())

    NEEDS_YOU: ClassVar[str] = "Needs you"

    def announce_waiting(self, event: WaitingStarted) -> None:
        """One "Needs you" notice that is replaced, not stacked, as runs start waiting; none
        for the run on screen, nor over a dialog or an open prompt (the header's waiting count
        still says it). `w` opens the oldest waiting run."""
        notifications = (
            self.profile.notifications if self.profile else config_module.Notifications()
        )
        if notifications.bell and not self._viewing(event.run.id):
            self.bell()
        if not self._viewing(event.run.id):  # like the bell: not for the run on screen
            self.notify_desktop(DesktopNotify(notifications.desktop), event.run)
        if not notifications.toast or not self.may_toast_waiting(event.run.id):
            return
        # A burst of runs starting to wait (a sync catching up) gives one notice: the latest.
        self._waiting_run = event.run
        if self._waiting_timer is not None:
            self._waiting_timer.stop()
        self._waiting_timer = self.set_timer(0.2, self._show_waiting_notice)

    def notify_desktop(self, kind: DesktopNotify, run: RunSummary) -> None:
        """OSC 9 / OSC 777 to the terminal (off by default): reaches the operator's desktop
        over SSH. Sanitised and bounded in `notifications`; wrapped for tmux when in it."""
        written = notification_bytes(
            kind, self.NEEDS_YOU, f"“{run.name}” is waiting for input", self.environ
        )
        if written:
            self.write_to_terminal(written)

    def write_to_terminal(self, data: str) -> None:
        """Raw bytes to the terminal, as `copy_to_clipboard` writes OSC 52 (none headless)."""
        driver = self._driver
        if driver is not None and not self.is_headless:
            driver.write(data)
            driver.flush()

    def _show_waiting_notice(self) -> None:
        self._waiting_timer = None
        run = self._waiting_run
        if run is None or not self.may_toast_waiting(run.id):
            return
        self._drop_waiting_notice()
        count = self.service.cache.waiting_count()
        others = f" ({count} runs wait for input)" if count > 1 else ""
        where = _WAITING_WHERE.get(run.status, "")
        self.notify(
            f"“{inert(run.name)}” is waiting for input{where}{others}. w opens the oldest.",
            title=self.NEEDS_YOU,
            severity="warning",
            markup=False,
            timeout=10,
        )

    def _viewing(self, run_id: str) -> bool:
        return getattr(self.screen, "run_id", None) == run_id

    def may_toast_waiting(self, run_id: str) -> bool:
        """Not over a dialog (filter, help, confirm, export), an open prompt, or the run itself."""
        screen = self.screen
        if isinstance(screen, ModalScreen) or self._viewing(run_id):
            return False
        return not _shows_prompt(screen)

    def _drop_waiting_notice(self) -> None:
        for notification in list(self._notifications):
            if notification.title == self.NEEDS_YOU:
                self._unnotify(notification, refresh=False)

    def action_oldest_waiting(self) -> None:
        """Open the run that has waited longest for an answer."""
        waiting = RunFilter(
            statuses=StatusGroup.WAITING.statuses,
            time=TimeRange(TimePreset.ALL),
            sort=SortColumn.STARTED,
            descending=False,
        )
        oldest = self.service.cache.window(waiting, self.service.now(), limit=1)
        if not oldest:
            self.notify("No run is waiting for input.", markup=False)
            return
        self._drop_waiting_notice()
        self._refresh_notifications()
        if self._viewing(oldest[0].id):
            return
        self.open_run(oldest[0].id, focus_prompt=True)

    def action_inbox(self) -> None:
        """The inbox: every step waiting for a person (one instance on the stack)."""
        from runs_tui.screens.inbox import InboxScreen

        if isinstance(self.screen, InboxScreen):
            return
        self._drop_waiting_notice()
        self.push_screen(InboxScreen())

    def action_action_log(self) -> None:
        """What the operator did this session, with the equivalent command lines."""
        from runs_tui.screens.action_log import ActionLogScreen

        if isinstance(self.screen, ActionLogScreen):
            return
        self.push_screen(ActionLogScreen())

    def action_health(self) -> None:
        """The health of every flow and guide (one instance on the stack)."""
        from runs_tui.screens.health import HealthScreen

        if isinstance(self.screen, HealthScreen):
            return
        self.push_screen(HealthScreen())

    def record_action(
        self,
        action: Action,
        argv: list[str],
        error: ClientError | str | None = None,
        *,
        run_id: str | None = None,
        run_name: str = "",
    ) -> None:
        """One entry of the session's action log: ok without `error`; refused with the
        backend's words (or a reason given as text); failed when it could not be reached."""
        if error is None:
            outcome, reason = Outcome.OK, ""
        elif isinstance(error, str):
            outcome, reason = Outcome.REFUSED, error
        else:
            failed = isinstance(error, Unreachable)
            outcome, reason = (Outcome.FAILED if failed else Outcome.REFUSED), error.explain()
        self.action_log.record(
            action, argv, outcome, run_id=run_id, run_name=run_name, reason=reason
        )

    def cli_profile(self) -> str | None:
        """The `--profile` the equivalent command lines need: a profile of the config file;
        none for the embedded default or a backend named by RUNS_TUI_URL alone (the same
        environment gives the CLI the same backend)."""
        profile = self.profile
        if profile is None or self.config is None or profile.name not in self.config.profiles:
            return None
        return profile.name

    def inbox_key_hint(self) -> str:
        """The key that opens the inbox (after the config's `[keymap]`), for the header."""
        keys = self._keys.get("app.inbox", "i").split(",")[0].strip() or "i"
        return self.get_key_display(Binding(keys, "inbox"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The dashboard's commands, then Textual's own less those ours replace in our words
        (Quit, Theme, Keys would be listed twice)."""
        yield from app_commands(self)
        for command in super().get_system_commands(screen):
            if command.title not in REPLACED_COMMANDS:
                yield command

    # --- keys typed ahead ----------------------------------------------------------------------

    async def run_action(
        self, action: Any, default_namespace: DOMNode | None = None, namespaces: Any = None
    ) -> bool:
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
        except NoScreen:  # a widget already detached from its screen
            return False
        return screen in self.screen_stack and screen.is_attached

    # --- navigation ----------------------------------------------------------------------------

    def open_run(self, run_id: str, *, focus_prompt: bool = False) -> None:
        """The run's detail screen (`focus_prompt`: straight into its prompt)."""
        from runs_tui.screens.detail import RunDetailScreen

        self.push_screen(RunDetailScreen(run_id, focus_prompt=focus_prompt))

    def _runs_screen(self) -> RunsScreen | None:
        return next((s for s in reversed(self.screen_stack) if isinstance(s, RunsScreen)), None)

    def show_group(self, group: StatusGroup) -> None:
        if (screen := self._runs_screen()) is not None:
            self._pop_to(screen)
            screen.action_group(group.value)

    def show_unresolved(self) -> None:
        """The runs list's tab 7: the unresolved failures under its filter."""
        if (screen := self._runs_screen()) is not None:
            self._pop_to(screen)
            screen.action_group("unresolved")

    def show_filter(self, run_filter: RunFilter) -> None:
        """The runs list under `run_filter` (another screen's "show me these runs")."""
        if (screen := self._runs_screen()) is not None:
            self._pop_to(screen)
            screen.apply_filter(run_filter)

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

    def action_compare(self) -> None:
        """The palette's "Compare runs": what `=` does on the screen shown (the list: the two
        marked runs, or the current one with its previous run; a run's detail: with its
        previous run); elsewhere, the list's."""
        screen = self.screen
        if not hasattr(screen, "action_compare"):
            if (runs := self._runs_screen()) is None:
                return
            self._pop_to(runs)
            screen = runs
        screen.action_compare()  # type: ignore[attr-defined]

    def remember_export(self, path: Path) -> None:
        """The next export proposes the folder of this one, also after a restart."""
        self.export_dir = path.parent
        self._remember(lambda state: state.remember_export_folder(path.parent))

    def action_go_to_run(self) -> None:
        self.push_screen(CommandPalette(providers=[GoToRunProvider], placeholder="Run name or id…"))

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        title = getattr(screen, "help_title", None) or HELP_TITLES.get(
            type(screen).__name__, "this screen"
        )
        self.push_screen(HelpScreen(str(title), collect_bindings(screen)))

    @work(group="sync", exclusive=True, exit_on_error=False)
    async def action_sync_now(self) -> None:
        self.notify("Syncing…", timeout=2)
        try:
            result = await self.service.sync_now()
        except ClientError as error:
            self.notify(error.explain(), title="Sync failed", severity="error", markup=False)
            self._on_service_event(SyncStateChanged(self.service.sync_status()))
            return
        self._on_service_event(CacheChanged(result.touched, result.full_resync))
        self._on_service_event(SyncStateChanged(self.service.sync_status()))
        changed = len(result.touched)
        self.notify(f"Synced: {changed:,} run{'s' if changed != 1 else ''} changed.", timeout=3)

    # --- preferences -----------------------------------------------------------------------

    def _remembered_filter(self) -> RunFilter:
        """The list the profile showed last (the state file, else config.toml's `last_filter`
        from before the state file, else its `default_filter`)."""
        if self.profile is None:
            return RunFilter()
        if self.state is None or not self._remembers(self.profile):
            return self.profile.initial_filter
        return self.state.initial_filter(self.profile.name, self.profile.initial_filter)

    def _remembers(self, profile: Profile) -> bool:
        """A profile of the config, or the embedded one; an ad hoc one (RUNS_TUI_URL alone)
        is not remembered, as before the state file."""
        return profile.is_embedded or (
            self.config is not None and profile.name in self.config.profiles
        )

    def _theme_changed(self, theme: Theme) -> None:
        if theme.name != self._saved_theme:
            self._saved_theme = theme.name
            self._remember(lambda state: state.remember_theme(theme.name))

    def remember_filter(self, run_filter: RunFilter) -> None:
        """Kept per profile so the next start shows the same list."""
        profile = self.profile
        if profile is not None and self._remembers(profile):
            self._remember(lambda state: state.remember_filter(profile.name, run_filter))

    def _remember(self, change: Callable[[StateFile], None]) -> None:
        if self.state is None:
            return
        try:
            change(self.state)
        except OSError as error:
            if not self._state_warned:  # once: a read-only home would say it on every sort
                self._state_warned = True
                self.notify(f"Could not save settings: {error}", severity="warning", markup=False)


def _shows_prompt(screen: Screen) -> bool:
    """Whether the screen has an inline prompt docked (a step waits for this operator)."""
    from runs_tui.widgets.prompt import PromptPanel

    return any(
        panel.display and getattr(panel, "step_id", None) is not None
        for panel in screen.query(PromptPanel)
    )


# Where a run waits, in words: the status label itself ends in a parenthesis, which inside the
# notice's own parentheses read "(Waiting for User Input (Remediation))".
_WAITING_WHERE = {
    RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: " in triage",
    RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: " in remediation",
}


def make_app(
    service: RunsService,
    *,
    config: Config | None = None,
    profile: Profile | None = None,
    **options: Any,
) -> RunsApp:
    """The app for the CLI and for tests (options: tz, ticking, live, export_dir,
    initial_filter, state)."""
    return RunsApp(service, config=config, profile=profile, **options)


def run_dashboard(
    service: RunsService,
    *,
    config: Config | None = None,
    profile: Profile | None = None,
    **options: Any,
) -> int:
    """Run the dashboard in the terminal until the operator quits; the exit code."""
    app = make_app(service, config=config, profile=profile, **options)
    app.run()
    return app.return_code or 0
