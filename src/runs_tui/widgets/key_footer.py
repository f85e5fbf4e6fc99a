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
from textual.geometry import Size
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
        """Show the leading keys that fit whole in the room the pinned keys leave. Widths come
        from each key's content, not from layout, so a footer on a screen in the background
        (never laid out) needs no second pass."""
        if not self.is_attached or not self.size.width:
            return
        found = self.query_children("#pinned-keys")
        if not found:  # between a recompose's removal and its mount: the next refresh fits
            return
        pinned = found.first()
        row = self._row()
        room = self.size.width - sum(self._width(key) for key in pinned.query_children(FooterKey))
        used = 0
        for key in row:
            used += self._width(key)
            key.display = used <= room

    def _width(self, key: FooterKey) -> int:
        if key not in self._widths:
            zero = Size(0, 0)
            self._widths[key] = (
                key.get_content_width(zero, zero) + key.styles.gutter.width + self.GAP
            )
        return self._widths[key]
