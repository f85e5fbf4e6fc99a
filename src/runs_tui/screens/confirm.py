"""A small yes/no dialog for anything that cannot be undone or interrupts a run.

The message is plain text, never markup: callers put run names (untrusted) in it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from runs_tui.sanitize import inert


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True (y / the confirm button) or False (n / escape / the other button)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 64; max-width: 95%; height: auto;
        border: thick $error 70%; background: $surface; padding: 1 2;
    }
    ConfirmScreen #confirm-title { text-style: bold; margin-bottom: 1; }
    ConfirmScreen #confirm-message { margin-bottom: 1; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 1; }
    """

    def __init__(self, title: str, message: str | Text, confirm_label: str = "Yes") -> None:
        super().__init__()
        self.title_text = title
        self.message = (
            message if isinstance(message, Text) else Text(inert(message, keep_newlines=True))
        )
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(inert(self.title_text)), id="confirm-title")
            yield Static(self.message, id="confirm-message")
            with Horizontal():
                yield Button(f"{self.confirm_label} (y)", variant="error", id="confirm-yes")
                yield Button("No (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")
