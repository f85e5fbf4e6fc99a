"""The one-line summary of the active filter above the list ("7 runs · Failed · flows · …").

A plain render-only widget rather than a `Static`: `Static.update` asks for a new layout of the
whole screen, and this line changes on every filter key press; a repaint of one line is enough.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from runs_tui.sanitize import inert


class FilterSummary(Widget):
    DEFAULT_CSS = """
    FilterSummary { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""

    def show(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return Text(inert(self.text), no_wrap=True, overflow="ellipsis")
