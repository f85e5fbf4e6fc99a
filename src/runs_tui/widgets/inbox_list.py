"""The inbox's list: one line per step waiting for a person, the cursor kept on its item.

Why a widget of its own rather than a DataTable: the list is re-filled whenever a run changes,
and the operator's place must survive that. The cursor follows its item (run, step, prompt id),
not a row number; when the item leaves the list (answered elsewhere, cancelled) its line stays
where it was, saying what happened ("answered by ann at 14:32"), until the operator moves. Only
the operator's own keys post `Moved`, so a refresh can never look like a move.

Every string is backend data: made inert, cut to its column, never markup. Time left is in
words ("4m 10s left", "expired 3s ago") and emphasised by style, so NO_COLOR loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from runs_tui.inbox import InboxItem, Urgency
from runs_tui.sanitize import inert, truncate

ItemKey = tuple[str, str | None, str | None]

URGENCY_STYLE = {
    Urgency.NONE: "dim",
    Urgency.LATER: "",
    Urgency.SOON: "bold $warning",
    Urgency.URGENT: "bold reverse",
    Urgency.EXPIRED: "bold reverse",
}
_COLOURS = {"$warning": "yellow"}
WAITED_CELLS = 8
LEFT_CELLS = 16
MAY_CELLS = 4
MARK = "▸ "


@dataclass(frozen=True)
class Gone:
    """The selected item left the list: where it was, and what happened to it, in words."""

    item: InboxItem
    words: str


class InboxList(Widget, can_focus=True):
    """The waiting steps, in the inbox's order; `show()` re-fills, the cursor stays on its item."""

    DEFAULT_CSS = """
    InboxList { height: 1fr; padding: 0 1; }
    InboxList:focus { background: $boost; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "move(1)", "Down", show=False, id="inbox.down"),
        Binding("up,k", "move(-1)", "Up", show=False, id="inbox.up"),
        Binding("home,g", "first", "First", show=False, id="inbox.first"),
        Binding("end,G", "last", "Last", show=False, id="inbox.last"),
        Binding("enter", "choose", "Answer", id="inbox.answer"),
    ]

    cursor: reactive[int] = reactive(0)

    class Moved(Message):
        """The operator moved the cursor to another item (or off a gone one)."""

        def __init__(self, item: InboxItem | None) -> None:
            super().__init__()
            self.item = item

    class Chosen(Message):
        """Enter on a line: answer its item (None: the line of an item gone elsewhere)."""

        def __init__(self, item: InboxItem | None) -> None:
            super().__init__()
            self.item = item

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now
        self.items: list[InboxItem] = []
        self.gone: Gone | None = None
        self.empty_message = "Nothing waits for a person."
        self._top = 0

    # --- contents -------------------------------------------------------------------------

    @property
    def rows(self) -> list[InboxItem | Gone]:
        """The lines shown: the items, and the gone item at the place it had."""
        rows: list[InboxItem | Gone] = list(self.items)
        if self.gone is not None:
            rows.insert(min(self._gone_at, len(rows)), self.gone)
        return rows

    _gone_at = 0

    @property
    def selected(self) -> InboxItem | None:
        """The item under the cursor; None on a gone line or in an empty list."""
        rows = self.rows
        if not rows:
            return None
        row = rows[min(self.cursor, len(rows) - 1)]
        return row if isinstance(row, InboxItem) else None

    @property
    def selected_key(self) -> ItemKey | None:
        rows = self.rows
        if not rows:
            return None
        row = rows[min(self.cursor, len(rows) - 1)]
        return row.key if isinstance(row, InboxItem) else row.item.key

    def show(
        self, items: Sequence[InboxItem], gone_words: Callable[[InboxItem], str] | None = None
    ) -> Gone | None:
        """Re-fill. The cursor stays on its item; if that item is no longer listed, its line
        stays with `gone_words(item)` until the operator moves (returned as a `Gone`)."""
        before = self.selected
        still_gone = self.gone
        self.items = list(items)
        if still_gone is not None:  # the operator has not moved since it went
            if self._index_of(still_gone.item.key) is None:
                if gone_words is not None:
                    self.gone = Gone(still_gone.item, gone_words(still_gone.item))
                self._set_cursor(min(self._gone_at, len(self.items)))
                return self.gone
            self.gone = None  # it came back (asked again with the same id: unlikely)
        if before is None:
            self._set_cursor(min(self.cursor, max(0, len(self.items) - 1)))
            return None
        index = self._index_of(before.key)
        if index is None and not before.known:  # its question has been fetched since
            index = next((i for i, it in enumerate(self.items) if it.run_id == before.run_id), None)
        if index is not None:
            self._set_cursor(index)
            return None
        if gone_words is None:
            self._set_cursor(min(self.cursor, max(0, len(self.items) - 1)))
            return None
        self._gone_at = min(self.cursor, len(self.items))
        self.gone = Gone(before, gone_words(before))
        self._set_cursor(self._gone_at)
        return self.gone

    def _index_of(self, key: ItemKey) -> int | None:
        return next((i for i, item in enumerate(self.items) if item.key == key), None)

    def _set_cursor(self, index: int) -> None:
        self.cursor = max(0, index)
        self.refresh()

    def select(self, key: ItemKey) -> bool:
        """Put the cursor on the item with `key` (True if listed)."""
        index = self._index_of(key)
        if index is None:
            return False
        self.gone = None
        self._set_cursor(index)
        return True

    # --- keys -----------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self.rows) - 1)

    def _move_to(self, index: int) -> None:
        """A move by the operator: a gone line is dropped once the cursor leaves it."""
        rows = self.rows
        if not rows:
            return
        index = max(0, min(index, len(rows) - 1))
        if self.gone is not None:
            if index == self.cursor:
                return
            if index > self._gone_at:
                index -= 1  # the gone line disappears from above the target
            self.gone = None
        elif index == self.cursor:
            return
        self._set_cursor(index)
        self.post_message(self.Moved(self.selected))

    def move_after_answer(self) -> None:
        """After an answer from here: the next item (the one now at the cursor's place)."""
        self.gone = None
        self._set_cursor(min(self.cursor, max(0, len(self.items) - 1)))
        self.post_message(self.Moved(self.selected))

    def action_choose(self) -> None:
        """Enter: the screen answers the item, or says why not (on a gone line: nothing)."""
        if self.rows:
            self.post_message(self.Chosen(self.selected))

    # --- drawing --------------------------------------------------------------------------

    def render(self) -> Text:
        width = max(20, self.content_size.width or 80)
        height = max(2, self.content_size.height or 10)
        rows = self.rows
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append_text(self._header(width))
        if not rows:
            text.append("\n" + inert(self.empty_message), style="italic")
            return text
        room = height - 1
        self._top = min(max(self._top, self.cursor - room + 1), self.cursor)
        now = self._now()
        for number in range(self._top, min(len(rows), self._top + room)):
            text.append("\n")
            text.append_text(self._line(rows[number], number == self.cursor, width, now))
        return text

    def _widths(self, width: int) -> tuple[int, int, int]:
        """Cells for run name, step and question: what the fixed columns leave, 3:3:5."""
        rest = max(15, width - len(MARK) - WAITED_CELLS - LEFT_CELLS - MAY_CELLS - 5)
        run = rest * 3 // 11
        step = rest * 3 // 11
        return run, step, rest - run - step

    def _header(self, width: int) -> Text:
        run, step, question = self._widths(width)
        cells = [
            " " * len(MARK),
            "Run".ljust(run),
            "Step".ljust(step),
            "Question".ljust(question),
            "Waited".ljust(WAITED_CELLS),
            "Time left".ljust(LEFT_CELLS),
            "You".ljust(MAY_CELLS),
        ]
        return Text(" ".join(cells).rstrip(), style="bold underline")

    def _line(self, row: InboxItem | Gone, at_cursor: bool, width: int, now: datetime) -> Text:
        run, step, question = self._widths(width)
        cursor_style = ("reverse" if self.has_focus else "underline") if at_cursor else ""
        mark = MARK if at_cursor else " " * len(MARK)
        line = Text(mark, style=cursor_style)
        if isinstance(row, Gone):
            line.append(_cell(row.item.run_name, run) + " ", style=cursor_style)
            rest = width - len(MARK) - run - 1
            line.append(truncate(inert(row.words), max(1, rest)), style=f"italic {cursor_style}")
            return line
        item = row
        asked = "(question not fetched)" if item.question is None else item.question
        line.append(_cell(item.run_name, run) + " ", style=cursor_style)
        line.append(_cell(item.step_title, step) + " ", style=cursor_style)
        line.append(
            _cell(asked, question) + " ",
            style=f"{'italic ' if item.question is None else ''}{cursor_style}",
        )
        line.append(item.waited_words(now).ljust(WAITED_CELLS) + " ", style=cursor_style)
        urgency = URGENCY_STYLE[item.urgency(now)]
        for token, colour in _COLOURS.items():
            urgency = urgency.replace(token, colour)
        left = truncate(item.time_left_words(now), LEFT_CELLS).ljust(LEFT_CELLS)
        line.append(left, style=f"{urgency} {cursor_style}".strip())
        line.append(" " + ("yes" if item.may_answer else "no").ljust(MAY_CELLS), cursor_style)
        return line


def _cell(value: str, width: int) -> str:
    """Inert, cut to `width` cells and padded to them (wide characters count double)."""
    shown = truncate(inert(value), width)
    return shown + " " * max(0, width - cell_len(shown))


__all__ = ["Gone", "InboxList", "ItemKey"]
