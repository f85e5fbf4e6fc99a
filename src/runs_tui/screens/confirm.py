"""A small yes/no dialog for anything that cannot be undone or interrupts a run, and the
questions it asks (cancel, delete, rerun): one wording whether asked from the list or the detail.

The message is plain text, never markup: run names are untrusted.
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

from runs_tui.models.domain import RunSummary
from runs_tui.sanitize import inert, truncate


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


NAME_CELLS = 80  # a run name longer than this is cut: the question must fit the dialog


def run_words(run: RunSummary | None, run_id: str) -> Text:
    """“Name” (Status) of the run asked about; its id when not even its summary is cached."""
    text = Text()
    name = truncate(inert(run.name), NAME_CELLS) if run else inert(run_id)
    text.append(f"“{name}”", style="bold")
    if run is not None:
        text.append(f" ({run.status.label})")
    return text


def cancel_question(run: RunSummary | None, run_id: str) -> ConfirmScreen:
    message = Text.assemble(
        "Cancel ",
        run_words(run, run_id),
        "?\nThe running step is stopped and the run ends Cancelled.",
    )
    return ConfirmScreen("Cancel this run?", message, "Cancel run")


def delete_question(
    finished: list[RunSummary], skipped: int = 0, *, run_id: str | None = None
) -> ConfirmScreen:
    """Only finished runs are deleted; `skipped` marked runs still active are left alone.
    `run_id` alone asks about one run whose summary is not cached."""
    if run_id is not None or len(finished) == 1:
        run = finished[0] if finished else None
        title = "Delete this run?"
        what = Text.assemble("Delete ", run_words(run, run_id or ""), "?")
    else:
        title = "Delete runs?"
        what = Text(f"Delete {len(finished):,} runs?")
    message = Text.assemble(what, "\nThis cannot be undone.")
    if skipped:
        runs = "marked run" if skipped == 1 else "marked runs"
        message.append(f"\n{skipped:,} {runs} still active will be left alone.")
    return ConfirmScreen(title, message, "Delete")


def rerun_question(run: RunSummary | None, run_id: str) -> ConfirmScreen:
    message = Text.assemble("Start a new run of ", run_words(run, run_id), " with the same inputs?")
    return ConfirmScreen("Rerun?", message, "Start new run")
