"""The footer: the screen's keys, as many as fit whole, and `? Help` always.

Textual's `Footer` lays every key out in one scrolling row: at 80 columns the row overflows,
`? Help` (the app's key, listed last) falls off the end, and the docked command-palette key
is drawn over a half-cut key (`▏^p Commandsc`). Here the help key is pinned to the right next
to the palette key, and keys that would not fit whole are hidden from the end of the row (the
app-wide ones go first: `?` lists them all).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED_ACTIONS: frozenset[str] = frozenset({"help", "app.help"})


class KeyFooter(Footer):
    """A `Footer` that never overflows and never hides the help key."""

    DEFAULT_CSS = """
    KeyFooter { overflow: hidden hidden; }
    KeyFooter > #pinned-keys { dock: right; width: auto; height: 1; }
    KeyFooter > #pinned-keys FooterKey.-command-palette { dock: none; }
    KeyFooter > #pinned-keys FooterKey.-pinned { margin-right: 1; }
    """

    GAP: ClassVar[int] = 1  # the margin after each key

    def __init__(self, *, compact: bool = True, id: str | None = None) -> None:
        super().__init__(compact=compact, id=id)
        self._widths: dict[FooterKey, int] = {}

    def compose(self) -> ComposeResult:
        pinned: list[FooterKey] = []
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action in PINNED_ACTIONS:
                pinned.insert(0, widget.add_class("-pinned"))
            elif isinstance(widget, FooterKey) and widget.has_class("-command-palette"):
                pinned.append(widget)
            else:
                yield widget
        # Docked side by side in one group: two widgets docked right would overlap.
        yield HorizontalGroup(*pinned, id="pinned-keys")
        self._widths = {}
        self.call_after_refresh(self.fit_keys)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.fit_keys)

    def _row(self) -> list[FooterKey]:
        return list(self.query_children(FooterKey))

    def fit_keys(self) -> None:
        """Show the leading keys that fit whole in the room the pinned keys leave."""
        if not self.is_attached:
            return
        row = self._row()
        for key in row:
            if key not in self._widths and key.display and key.outer_size.width:
                self._widths[key] = key.outer_size.width + self.GAP
        if len(self._widths) < len(row):  # not laid out yet: measure after the next layout
            self.call_after_refresh(self.fit_keys)
            return
        room = self.size.width - self.query_one("#pinned-keys").outer_size.width
        used = 0
        for key in row:
            used += self._widths.get(key, 0)
            key.display = used <= room
