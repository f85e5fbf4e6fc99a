"""Raw tool output: streamed, wrapped lazily, drawn a line at a time.

Tools print anything: a megabyte on one line, a hundred thousand short lines, terminal escapes.
This is a line-API widget (like Textual's `Log` and Toolong's log view): it keeps the inert text
as a list of logical lines plus one integer per line (its first visual row), and `render_line`
slices only the rows on screen. Wrapping is arithmetic for ASCII lines (no per-character work,
so a 1 MiB line costs nothing to lay out); other lines get their row breaks computed once, on
demand, extended incrementally while the line is still being streamed.

Following: while the view is at its end, new output keeps it at the end. Once the operator
scrolls up, the view stays put and the bottom row says "↓ N new lines — End to follow"
(Toolong's overlay), instead of yanking the text away from under the reader.
"""

from __future__ import annotations

from bisect import bisect_right
from math import ceil

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runs_tui.sanitize import cell_width, inert


class ToolOutput(ScrollView, can_focus=True):
    """A scrollable, follow-the-end view of one tool's raw output."""

    DEFAULT_CSS = """
    ToolOutput {
        height: 1fr;
        min-height: 3;
        overflow-x: hidden;
        overflow-y: scroll;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    ToolOutput:focus {
        background-tint: $foreground 4%;
    }
    ToolOutput > .tool-output--marker {
        background: $warning;
        color: $background;
        text-style: bold;
    }
    ToolOutput > .tool-output--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    COMPONENT_CLASSES = {"tool-output--marker", "tool-output--empty"}

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="output.down"),
        Binding("k", "scroll_up", "Up", show=False, id="output.up"),
        Binding("g", "scroll_home", "Top", show=False, id="output.top"),
        Binding("G", "scroll_end", "Follow", show=False, id="output.follow"),
    ]

    new_lines: reactive[int] = reactive(0, repaint=False)
    """Lines that arrived while the operator was scrolled away from the end."""

    def __init__(
        self,
        text: str = "",
        *,
        placeholder: str = "(no output)",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.placeholder = placeholder
        self._lines: list[str] = [""]
        self._starts: list[int] = [0]  # first visual row of each logical line
        self._breaks: dict[int, list[int]] = {}  # row-start char offsets, non-ASCII lines only
        self._wrap = 80
        self._received = 0  # raw characters received: lets a refresh tell if it is ahead
        self._view_rows = 0  # the view's height at the last resize
        if text:
            self._extend(text)

    # --- content -----------------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        """Logical lines (a trailing unterminated line counts, an empty tail does not)."""
        return len(self._lines) - (1 if self._lines[-1] == "" else 0)

    @property
    def received(self) -> int:
        """Raw characters received so far (before sanitising)."""
        return self._received

    @property
    def text(self) -> str:
        """The inert text shown (what a copy would take): never the raw bytes."""
        return "\n".join(self._lines)

    def set_text(self, raw: str) -> None:
        """Replace the whole output (a detail refresh), keeping the follow state."""
        at_end = self.is_vertical_scroll_end
        self._lines, self._starts, self._breaks, self._received = [""], [0], {}, 0
        self._extend(raw)
        self._after_change(at_end, added=0)
        if at_end:
            self.new_lines = 0

    def append(self, raw_chunk: str) -> None:
        """Add streamed output; follow the end unless the operator scrolled away."""
        if not raw_chunk:
            return
        at_end = self.is_vertical_scroll_end
        first_changed = self._starts[-1]  # the last line grows, new ones come after it
        self._extend(raw_chunk)
        self._after_change(at_end, added=max(1, raw_chunk.count("\n")), from_row=first_changed)

    def _extend(self, raw: str) -> None:
        self._received += len(raw)
        pieces = inert(raw, keep_newlines=True).replace("\r\n", "\n").split("\n")
        last = len(self._lines) - 1
        self._lines[last] += pieces[0]
        if pieces[0]:
            self._breaks.pop(last, None)  # the line grew: its row breaks are stale
        for piece in pieces[1:]:
            self._starts.append(self._starts[-1] + self._rows_of(len(self._lines) - 1))
            self._lines.append(piece)

    def _after_change(self, at_end: bool, added: int, from_row: int | None = None) -> None:
        """Size, follow, redraw. Over SSH every byte counts: output that fits on screen keeps
        the virtual height at the view's (the scrollbar, always shown, is not redrawn), and an
        append that scrolls nothing redraws only the rows from `from_row` down to the end of
        the text, not the whole view."""
        rows = self._total_rows()
        virtual = Size(self._wrap, max(rows, self.scrollable_content_region.height))
        if virtual != self.virtual_size:
            self.virtual_size = virtual
        top = round(self.scroll_offset.y)
        if at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif added:
            self.new_lines += added
        if from_row is None or round(self.scroll_offset.y) != top or self.new_lines:
            self.refresh()
            return
        first, last = max(0, from_row - top), min(rows - top, self.size.height)
        if last > first:
            self.refresh(Region(0, first, self.size.width, last - first))

    # --- layout ------------------------------------------------------------------------------

    def _rows_of(self, index: int) -> int:
        line = self._lines[index]
        if line.isascii():
            return max(1, ceil(len(line) / self._wrap))
        return len(self._row_breaks(index))

    def _row_breaks(self, index: int) -> list[int]:
        """Char offsets where each visual row of a non-ASCII line starts (cached)."""
        cached = self._breaks.get(index)
        if cached is None:
            cached = self._breaks[index] = _breaks(self._lines[index], self._wrap)
        return cached

    def _total_rows(self) -> int:
        return self._starts[-1] + self._rows_of(len(self._lines) - 1)

    def _relayout(self, width: int) -> None:
        """Recompute every line's first row for a new width (ASCII lines are arithmetic)."""
        self._wrap = max(1, width)
        self._breaks.clear()
        starts, row = [], 0
        for index in range(len(self._lines)):
            starts.append(row)
            row += self._rows_of(index)
        self._starts = starts
        self.virtual_size = Size(self._wrap, max(row, self.scrollable_content_region.height))

    def on_resize(self) -> None:
        """Re-wrap for a new width; for a new height, re-pad the virtual height (it is at
        least the view's, see `_after_change`) and keep following the end if it was."""
        width = max(1, self.scrollable_content_region.width)
        height = self.scrollable_content_region.height
        rows = self._total_rows()
        following = self.is_vertical_scroll_end or round(self.scroll_offset.y) >= max(
            0, rows - self._view_rows
        )
        self._view_rows = height
        if width != self._wrap:
            self._relayout(width)
        else:
            self.virtual_size = Size(self._wrap, max(rows, height))
        if following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.new_lines and round(new_value) >= self.max_scroll_y:
            self.new_lines = 0

    def watch_new_lines(self) -> None:
        self.refresh()

    def action_scroll_end(self) -> None:
        """End / G: jump to the end and follow again."""
        self.scroll_end(animate=False, immediate=True)
        self.new_lines = 0

    # --- drawing -----------------------------------------------------------------------------

    def row_text(self, row: int) -> str | None:
        """The inert text of visual row `row`, or None past the end."""
        if row < 0 or row >= self._total_rows():
            return None
        index = bisect_right(self._starts, row) - 1
        sub = row - self._starts[index]
        line = self._lines[index]
        if line.isascii():
            return line[sub * self._wrap : (sub + 1) * self._wrap]
        breaks = self._row_breaks(index)
        end = breaks[sub + 1] if sub + 1 < len(breaks) else len(line)
        return line[breaks[sub] : end]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        style = self.rich_style
        if self.new_lines and y == self.scrollable_content_region.height - 1:
            return self._marker_strip(width)
        if self._total_rows() == 1 and not self._lines[0]:
            if y == 0:
                empty = self.get_component_rich_style("tool-output--empty")
                return Strip([Segment(self.placeholder, empty)]).crop_extend(0, width, style)
            return Strip.blank(width, style)
        text = self.row_text(round(self.scroll_offset.y) + y)
        if text is None:
            return Strip.blank(width, style)
        return Strip([Segment(text, style)]).crop_extend(0, width, style)

    def _marker_strip(self, width: int) -> Strip:
        count = self.new_lines
        label = f" ↓ {count} new line{'s' if count != 1 else ''} — End to follow "
        marker: Style = self.get_component_rich_style("tool-output--marker")
        pad = max(0, width - len(label))
        return Strip([Segment(" " * pad, self.rich_style), Segment(label, marker)]).crop_extend(
            0, width, self.rich_style
        )


def _breaks(line: str, width: int) -> list[int]:
    """Row starts for a line with wide characters: a row never exceeds `width` cells."""
    starts, cells = [0], 0
    for offset, char in enumerate(line):
        size = cell_width(char) if not char.isascii() else 1
        if cells + size > width and cells:
            starts.append(offset)
            cells = 0
        cells += size
    return starts
