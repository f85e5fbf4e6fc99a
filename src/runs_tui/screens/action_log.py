"""The session's action log: each action taken from this dashboard, its outcome, and the
`runs-tui` command line that does the same, newest first. Enter copies the command line.

Why a screen: after an incident the operator must say what they did, and the next time they
may want to do it from a script; the command line is shown in full (never cut), so it can be
read and copied even where the terminal's clipboard (OSC 52) does not reach.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from runs_tui.action_log import ActionEntry, Outcome
from runs_tui.formatting import clock_time
from runs_tui.sanitize import inert, truncate
from runs_tui.screens.base import ServiceScreen
from runs_tui.widgets.key_footer import KeyFooter

OUTCOME_STYLE = {
    Outcome.OK: "bold",
    Outcome.REFUSED: "bold reverse",
    Outcome.FAILED: "bold reverse",
}


def entry_text(entry: ActionEntry, now_text: str) -> Text:
    """Two lines: when, what, on which run, how it went; then `$ the command line`."""
    name = f"“{truncate(inert(entry.run_name), 40)}”" if entry.run_name else ""
    run = " ".join(part for part in (name, inert(entry.run_id or "")) if part)
    text = Text(no_wrap=False)
    text.append(f"{now_text}  {entry.action.value:<12} ")
    text.append(entry.outcome.value, style=OUTCOME_STYLE[entry.outcome])
    if entry.reason:
        text.append(f": {inert(entry.reason)}")
    if run:
        text.append(f"  {run}")
    text.append("\n  $ ", style="dim")
    text.append(inert(entry.command))
    return text


class ActionLogScreen(ServiceScreen):
    """Newest first; Enter copies the selected entry's command line."""

    help_title = "Action log"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,L", "back", "Back", id="action_log.back"),
        Binding("y", "copy", "Copy command", show=False, id="action_log.copy"),
    ]

    DEFAULT_CSS = """
    ActionLogScreen #log-title { height: 1; padding: 0 1; background: $primary 15%; }
    ActionLogScreen OptionList { height: 1fr; border: none; }
    ActionLogScreen #log-command { height: auto; max-height: 6; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._unsubscribe: Callable[[], None] | None = None
        self._entries: list[ActionEntry] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="log-title")
        yield OptionList(id="log")
        yield Static("", id="log-command")
        yield KeyFooter()

    def on_mount(self) -> None:
        log = self.runs_app.action_log
        self._unsubscribe = log.subscribe(lambda _entry: self.call_later(self.fill))
        self.fill()
        self.query_one(OptionList).focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def fill(self) -> None:
        """Every entry, newest first; the highlight stays on its entry as new ones come."""
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        kept = self._entries[highlighted] if highlighted is not None and self._entries else None
        self._entries = self.runs_app.action_log.entries()
        now = self.service.now()
        options.clear_options()
        options.add_options(
            [
                Option(entry_text(entry, clock_time(entry.at, now)), id=f"entry-{index}")
                for index, entry in enumerate(self._entries)
            ]
        )
        count = len(self._entries)
        title = (
            f"Action log · {count} action{'s' if count != 1 else ''} this session, newest "
            "first · enter copies the command line"
            if count
            else "Action log · nothing done yet this session: answers, cancels, reruns, "
            "deletes and exports are listed here with their command lines"
        )
        self.query_one("#log-title", Static).update(Text(title))
        if self._entries:
            index = self._entries.index(kept) if kept in self._entries else 0
            options.highlighted = index
        self._show_command()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._show_command()

    def _selected(self) -> ActionEntry | None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is None or not self._entries:
            return None
        return self._entries[highlighted]

    def _show_command(self) -> None:
        entry = self._selected()
        words = f"$ {inert(entry.command)}" if entry else ""
        self.query_one("#log-command", Static).update(Text(words))

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self.action_copy()

    def action_copy(self) -> None:
        """The command line to the clipboard (OSC 52), and shown in full under the list."""
        entry = self._selected()
        if entry is None:
            return
        self.app.copy_to_clipboard(entry.command)
        self.notify(f"Copied: {inert(entry.command)}", markup=False, timeout=6)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()


__all__ = ["ActionLogScreen", "entry_text"]
