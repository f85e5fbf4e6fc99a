"""The bar of status groups with live counts, switched with the number keys 1–7.

1–6 are the status groups; 7 is the unresolved failures (failed or partial runs no later
success of the same flow or guide followed: `RunFilter.unresolved`), a relation between runs
rather than a set of statuses, so it is not a `StatusGroup`: `GroupChosen.group` is None for it.
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


_SHORT = {StatusGroup.COMPLETED: "Compl.", StatusGroup.CANCELLED: "Canc."}

UNRESOLVED = "unresolved"
"""The action value of tab 7 (`RunsScreen.action_group`)."""


class GroupBar(Widget):
    """`1 All 1,204  2 Active 12  3 Waiting 3 … 7 Unresolved 2`; the current one highlighted."""

    DEFAULT_CSS = """
    GroupBar { height: 1; background: $panel; color: $text-muted; }
    """

    class GroupChosen(Message):
        def __init__(self, group: StatusGroup | None) -> None:
            """`group` None: the unresolved failures (tab 7)."""
            super().__init__()
            self.group = group

        @property
        def value(self) -> str:
            return self.group.value if self.group is not None else UNRESOLVED

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: dict[StatusGroup, int] = {}
        self.current: StatusGroup | None = StatusGroup.ALL
        self.unresolved: int | None = None
        self.unresolved_current = False
        self._spans: list[tuple[int, int, StatusGroup | None]] = []

    def update_counts(
        self,
        counts: Mapping[StatusGroup, int],
        current: StatusGroup | None,
        *,
        unresolved: int | None = None,
        unresolved_current: bool = False,
    ) -> None:
        """Redraw only if something shown changed (live updates arrive in bursts)."""
        counts = dict(counts)
        shown = (counts, current, unresolved, unresolved_current)
        if shown == (self.counts, self.current, self.unresolved, self.unresolved_current):
            return
        self.counts, self.current = counts, current
        self.unresolved, self.unresolved_current = unresolved, unresolved_current
        self.refresh()

    def render(self) -> Text:
        width = self.size.width
        if not width or width >= 100:
            return self._bar_text(compact=False, short=False)
        text = self._bar_text(compact=True, short=False)  # one space apart, "Unres" for 7
        if text.cell_len > width:  # long counts at 80 columns: the longest words shortened
            text = self._bar_text(compact=True, short=True)
        return text

    def _bar_text(self, *, compact: bool, short: bool) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []
        for number, group in enumerate(GROUP_ORDER, 1):
            count = self.counts.get(group)
            shown = "…" if count is None else f"{count:,}"
            name = _SHORT.get(group, group.label) if short else group.label
            label = (
                f" {number} {name} {shown} "
                if not compact
                else f"{' ' if number == 1 else ''}{number}:{name} {shown} "
            )
            start = text.cell_len
            if group is self.current and not self.unresolved_current:
                text.append(label, style="bold reverse")
            else:
                text.append(label, style="bold" if group is StatusGroup.WAITING and count else "")
            self._spans.append((start, text.cell_len, group))
            text.append("│" if not compact else "", style="dim")
        shown = "…" if self.unresolved is None else f"{self.unresolved:,}"
        number = len(GROUP_ORDER) + 1
        label = f" {number} Unresolved {shown} " if not compact else f"{number}:Unres {shown} "
        start = text.cell_len
        style = "bold reverse" if self.unresolved_current else ("bold" if self.unresolved else "")
        text.append(label, style=style)
        self._spans.append((start, text.cell_len, None))
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, group in self._spans:
            if start <= event.x < end:
                self.post_message(self.GroupChosen(group))
                return
