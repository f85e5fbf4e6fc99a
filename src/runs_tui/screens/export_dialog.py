"""Choose a format and a file for an export; the caller writes it and reports the path.

The proposed name carries the format's extension and follows a change of format as long as the
operator has not typed a name of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioButton, RadioSet, Static

from runs_tui.export_folder import default_export_dir
from runs_tui.widgets.text_inputs import Input

FORMATS: tuple[str, ...] = ("json", "csv")


class ExportDialog(ModalScreen[tuple[str, Path] | None]):
    """Dismisses with `(format, path)` or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
    ]

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical {
        width: 70; max-width: 95%; height: auto;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    ExportDialog #export-title { text-style: bold; margin-bottom: 1; }
    ExportDialog RadioSet { layout: horizontal; height: auto; margin-bottom: 1; }
    ExportDialog #export-error { color: $error; height: auto; }
    ExportDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ExportDialog Button { margin-left: 1; }
    """

    def __init__(
        self, default_stem: str, *, directory: Path | None = None, title: str = "Export"
    ) -> None:
        super().__init__()
        self.default_stem = default_stem
        self.directory = directory or default_export_dir()
        self.dialog_title = title
        self.fmt = FORMATS[0]

    def _proposal(self, fmt: str) -> str:
        return str(self.directory / f"{self.default_stem}.{fmt}")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.dialog_title, id="export-title", markup=False)
            yield Label("Format")
            with RadioSet(id="export-format"):
                yield RadioButton("JSON", value=True, id="fmt-json")
                yield RadioButton("CSV", id="fmt-csv")
            yield Label("File")
            yield Input(self._proposal(self.fmt), id="export-path")
            yield Static("", id="export-error", markup=False)
            with Horizontal():
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        new = "csv" if event.pressed.id == "fmt-csv" else "json"
        path_input = self.query_one("#export-path", Input)
        if path_input.value == self._proposal(self.fmt):
            path_input.value = self._proposal(new)
        self.fmt = new

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def _submit(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        error = self.query_one("#export-error", Static)
        if not text:
            error.update("Give a file name.")
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.directory / path
        try:
            if path.is_dir():
                path = path / f"{self.default_stem}.{self.fmt}"
            folder_exists = path.parent.is_dir()
        except OSError as problem:  # e.g. a name longer than the file system allows
            error.update(Text(f"Cannot use that path: {problem.strerror or problem}"))
            return
        if not folder_exists:
            error.update(Text(f"No such folder: {path.parent}"))
            return
        self.dismiss((self.fmt, path))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
