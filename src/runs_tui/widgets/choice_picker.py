"""The prompt's choices: every one on screen (wrapped over lines) before one can be picked.

Issue 9's rule: at 80 columns a one-line row of choices hid the last ones, so choices wrap, and
the cursor is a ▸ and reverse video, which reads without colour. `ChoicePicker` picks one (a
prompt's `choice` field, today's confirm/complete/choice prompts, a yes/no boolean);
`ChoicesPicker` ticks several (`[x]` / `[ ]`, space toggles).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from runs_tui.sanitize import inert, truncate

LABEL_CELLS = 40
CHOICE_LABELS = {"approve": "Approve", "reject": "Reject", "done": "Done", "failed": "Failed"}
CHOSEN, UNCHOSEN = "▸ ", "  "
GAP = 2  # cells between two choices
MAX_CHOICE_LINES = 5  # beyond this the choices scroll, with a "‹ N more ›" line saying so


def choice_label(value: str) -> str:
    """A choice as shown: a word for the fixed values, else the backend's text made inert."""
    return CHOICE_LABELS.get(value) or truncate(inert(value), LABEL_CELLS)


class ChoicePicker(Widget, can_focus=True):
    """The choices, wrapped over as many lines as they need so every one is on screen before
    it can be picked: ←/→ (h/l) move, Enter picks. The cursor is a ▸ and reverse video, so the
    selection reads without colour."""

    DEFAULT_CSS = """
    ChoicePicker { height: auto; width: auto; max-width: 60%; }
    ChoicePicker:focus { background: $boost; }
    ChoicePicker:disabled { opacity: 60%; }
    """

    BINDINGS = [
        Binding("left,h", "move(-1)", "Previous choice", show=False, id="prompt.choice_left"),
        Binding("right,l", "move(1)", "Next choice", show=False, id="prompt.choice_right"),
        Binding("enter", "pick", "Send", id="prompt.send_choice"),
    ]

    cursor: reactive[int] = reactive(0, layout=True)

    class Picked(Message):
        """Enter on a choice."""

        def __init__(self, picker: ChoicePicker) -> None:
            super().__init__()
            self.picker = picker

        @property
        def control(self) -> ChoicePicker:
            return self.picker

    class Moved(Message):
        """The cursor moved: the draft changed."""

    def __init__(self, values: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.values = values

    @property
    def value(self) -> str:
        return self.values[self.cursor] if self.values else ""

    def _cells(self, index: int, width: int) -> str:
        """One choice with its cursor mark, cut to the line when even alone it is too wide."""
        mark = CHOSEN if index == self.cursor else UNCHOSEN
        return mark + truncate(choice_label(self.values[index]), max(1, width - len(mark)))

    def lines(self, width: int) -> list[list[int]]:
        """Which choices go on which line at `width` cells (greedy, in order)."""
        lines: list[list[int]] = [[]]
        used = 0
        for index in range(len(self.values)):
            cells = cell_len(self._cells(index, width))
            if lines[-1] and used + GAP + cells > width:
                lines.append([])
                used = 0
            used += cells + (GAP if lines[-1] else 0)
            lines[-1].append(index)
        return lines

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return (
            sum(cell_len(self._cells(i, LABEL_CELLS + 2)) + GAP for i in range(len(self.values)))
            or 1
        )

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return min(len(self.lines(max(1, width))), MAX_CHOICE_LINES)

    def shown_lines(self, width: int) -> tuple[list[list[int]], int]:
        """The lines on screen (always the cursor's among them) and how many choices are not."""
        lines = self.lines(width)
        if len(lines) <= MAX_CHOICE_LINES:
            return lines, 0
        room = MAX_CHOICE_LINES - 1  # one line says how many more there are
        at = next(number for number, line in enumerate(lines) if self.cursor in line)
        start = min(max(0, at - room // 2), len(lines) - room)
        shown = lines[start : start + room]
        return shown, len(self.values) - sum(len(line) for line in shown)

    def render(self) -> Text:
        width = max(1, self.content_size.width)
        text = Text(no_wrap=True, overflow="ellipsis")
        shown, hidden = self.shown_lines(width)
        for number, line in enumerate(shown):
            if number:
                text.append("\n")
            for position, index in enumerate(line):
                if position:
                    text.append(" " * GAP)
                chosen = index == self.cursor
                text.append(self._cells(index, width), style="reverse bold" if chosen else "")
        if hidden:
            text.append(f"\n‹ {hidden} more › ←/→ to see them", style="italic")
        return text

    def action_move(self, delta: int) -> None:
        if self.values:
            self.cursor = (self.cursor + delta) % len(self.values)
            self.post_message(self.Moved())

    def action_pick(self) -> None:
        self.post_message(self.Picked(self))


TICKED, UNTICKED = "[x] ", "[ ] "


class ChoicesPicker(ChoicePicker):
    """Several of the choices: ←/→ move, space ticks or unticks the one under the cursor.
    Ticked reads `[x]` (unticked `[ ]`) and the cursor ▸ + reverse: no colour needed."""

    BINDINGS = [
        Binding("space", "toggle", "Tick / untick", id="prompt.choices_toggle"),
    ]

    def __init__(
        self, values: tuple[str, ...], ticked: tuple[str, ...] = (), *, id: str | None = None
    ) -> None:
        super().__init__(values, id=id)
        self.ticked: set[str] = {value for value in ticked if value in values}

    @property
    def selected(self) -> list[str]:
        """The ticked choices, in the definition's order."""
        return [value for value in self.values if value in self.ticked]

    def _cells(self, index: int, width: int) -> str:
        mark = CHOSEN if index == self.cursor else UNCHOSEN
        box = TICKED if self.values[index] in self.ticked else UNTICKED
        room = max(1, width - len(mark) - len(box))
        return mark + box + truncate(choice_label(self.values[index]), room)

    def action_toggle(self) -> None:
        if not self.values:
            return
        value = self.values[self.cursor]
        self.ticked.symmetric_difference_update({value})
        self.refresh(layout=True)
        self.post_message(self.Moved())
