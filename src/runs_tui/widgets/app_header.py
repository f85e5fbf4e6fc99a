"""The one-line header: which backend, whether the list is current, and who is waiting.

The waiting count is always visible because runs waiting for input cannot proceed without an
operator (the seed's first best practice). The sync state is in words, never only a colour,
so "offline since 14:02 — data from 14:01" survives NO_COLOR and a screen reader.
Profile and backend labels come from configuration, but are still made inert: a URL is text.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from runs_tui.sanitize import inert


class AppHeader(Widget):
    DEFAULT_CSS = """
    AppHeader { height: 1; background: $primary-background; color: $text; }
    AppHeader.-offline { background: $error 40%; }
    """

    def __init__(self, profile: str, backend: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.profile = inert(profile)
        self.backend = inert(backend)
        self.sync_text = "starting…"
        self.offline = False
        self.waiting = 0
        self.key_hint = ""
        """The key that opens the inbox, shown in the waiting badge: "◆ 3 waiting for input (i)"."""

    def update_state(
        self,
        *,
        sync_text: str | None = None,
        offline: bool | None = None,
        waiting: int | None = None,
    ) -> None:
        """Change what is shown; redraw only on a visible change (called every second)."""
        before = (self.sync_text, self.offline, self.waiting)
        if sync_text is not None:
            self.sync_text = sync_text
        if offline is not None:
            self.offline = offline
        if waiting is not None:
            self.waiting = waiting
        if (self.sync_text, self.offline, self.waiting) != before:
            self.set_class(self.offline, "-offline")
            self.refresh()

    def render(self) -> Text:
        width = self.size.width or 120
        hint = f"({inert(self.key_hint)}) " if self.key_hint else ""
        waiting = Text(
            f" ◆ {self.waiting} waiting for input {hint}",
            style="bold reverse" if self.waiting else "",
        )
        sync = Text(f" {self.sync_text} ", style="bold" if self.offline else "")
        where = Text(
            f" runs-tui · {self.profile} · {self.backend}", no_wrap=True, overflow="ellipsis"
        )
        room = width - waiting.cell_len - sync.cell_len - 1
        if where.cell_len > room:
            where.truncate(max(0, room), overflow="ellipsis")
        gap = max(1, width - where.cell_len - sync.cell_len - 1 - waiting.cell_len)
        return Text.assemble(where, " " * gap, sync, "│", waiting)
