"""The bar of status groups with live counts, switched with the number keys 1–6.

It only displays: the screen owns the filter and feeds counts in; a click posts `GroupChosen`
so the screen applies the same change the number key would.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from runs_tui.models.status import StatusGroup

GROUP_ORDER: tuple[StatusGroup, ...] = (
    StatusGroup.ALL,
    StatusGroup.ACTIVE,
    StatusGroup.WAITING,
    StatusGroup.COMPLETED,
    StatusGroup.FAILED,
    StatusGroup.CANCELLED,
)


class GroupBar(Widget):
    """`1 All 1,204  2 Active 12  3 Waiting 3 …`; the current group is highlighted."""

    DEFAULT_CSS = """
    GroupBar { height: 1; background: $panel; color: $text-muted; }
    """

    class GroupChosen(Message):
        def __init__(self, group: StatusGroup) -> None:
            super().__init__()
            self.group = group

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: dict[StatusGroup, int] = {}
        self.current: StatusGroup | None = StatusGroup.ALL
        self._spans: list[tuple[int, int, StatusGroup]] = []

    def update_counts(self, counts: Mapping[StatusGroup, int], current: StatusGroup | None) -> None:
        """Redraw only if something shown changed (live updates arrive in bursts)."""
        counts = dict(counts)
        if counts == self.counts and current == self.current:
            return
        self.counts, self.current = counts, current
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []
        compact = self.size.width and self.size.width < 100
        for number, group in enumerate(GROUP_ORDER, 1):
            count = self.counts.get(group)
            shown = "…" if count is None else f"{count:,}"
            label = (
                f" {number} {group.label} {shown} "
                if not compact
                else f" {number}:{group.label} {shown} "
            )
            start = text.cell_len
            if group is self.current:
                text.append(label, style="bold reverse")
            else:
                text.append(label, style="bold" if group is StatusGroup.WAITING and count else "")
            self._spans.append((start, text.cell_len, group))
            text.append("│" if not compact else "", style="dim")
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, group in self._spans:
            if start <= event.x < end:
                self.post_message(self.GroupChosen(group))
                return
