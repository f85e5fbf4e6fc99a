"""`?`: every key of the screen it was opened from, generated from the live bindings.

Generated rather than written so it can never disagree with what the keys do, including keys
rebound by a keymap and hidden footer entries such as j/k.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


@dataclass(frozen=True)
class HelpEntry:
    keys: str
    description: str
    where: str


# Textual's own bindings worth listing, by the words an operator would use. Every binding of
# ours has an id and a description; the ones inherited from Textual's widgets (an option list's
# "Scroll Left", "Page Right", "Select") are left out unless named here.
PLAIN_NAMES: dict[str, str] = {
    "focus_next": "Next field",
    "focus_previous": "Previous field",
    "quit": "Quit",
    "cursor_up": "Up",
    "cursor_down": "Down",
    "first": "First",
    "last": "Last",
    "page_up": "Page up",
    "page_down": "Page down",
}


def collect_bindings(screen: Screen) -> list[HelpEntry]:
    """The screen's active bindings (focused widget, screen, app), one entry per action with
    all its keys, in binding order, under the description of our own binding for it."""
    app = screen.app
    keys: dict[tuple[int, str], list[str]] = {}
    described: dict[tuple[int, str], str] = {}
    where_of: dict[tuple[int, str], str] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        plain = PLAIN_NAMES.get(binding.action.removeprefix("app."))
        if binding.system and plain is None:
            continue
        group = (id(active.node), binding.action)
        keys.setdefault(group, []).append(app.get_key_display(binding))
        where_of[group] = _where(active.node)
        if binding.id and binding.description:
            described[group] = binding.description
        elif plain is not None:
            described.setdefault(group, plain)
    return [
        HelpEntry(" ".join(dict.fromkeys(keys[group])), described[group], where_of[group])
        for group in keys
        if group in described
    ]


def _where(node: object) -> str:
    from textual.app import App

    if isinstance(node, App):
        return "everywhere"
    if isinstance(node, Screen):
        return "this screen"
    return str(getattr(node, "HELP_AREA", None) or "focused field")


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close help", id="help.close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; padding: 0 1; }
    HelpScreen VerticalScroll { height: auto; max-height: 100%; }
    """

    def __init__(self, title: str, entries: list[HelpEntry]) -> None:
        super().__init__()
        self.help_title = title
        self.entries = entries

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Keys — {self.help_title}  (esc closes)"), id="help-title")
            with VerticalScroll():
                yield Static(self._table(), id="help-table")

    def _table(self) -> Table:
        table = Table(box=None, expand=False, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("Key", no_wrap=True, style="bold")
        table.add_column("Action")
        table.add_column("Where", style="dim", no_wrap=True)
        for entry in self.entries:
            table.add_row(Text(entry.keys), Text(entry.description), Text(entry.where))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
