"""A partial screen update writes the changed cells, not the line up to them.

Textual 8.2's `ChopsUpdate.render_segments`, which turns a partial update into the bytes the
terminal driver writes, crops a widget's line on the right of the changed span only: a refresh
of one duration cell 30 columns into the runs list rewrote those 30 columns too (the run's name,
its mark, their styles), every second, for every ticking row. Over SSH that was most of the
dashboard's idle traffic (issue 12: ≤ 2 KB/s with 20 runs waiting; it measured 2.4 KB/s).

`install()` replaces it with the same loop cropped on both sides, on segment boundaries (as
Textual's own `__rich_console__` path for the same update already does), so a wide character is
never cut: the write starts at the first segment that reaches into the changed span. Textual is
pinned (pyproject), and `tests/ui/test_partial_updates.py` checks the patch against the
original's output, so an upgrade that changes the class is caught, not silently mis-painted.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate
from textual.strip import Strip

_ORIGINAL = ChopsUpdate.render_segments


def install() -> None:
    """Use the two-sided crop for every partial update of this process (idempotent)."""
    ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]


def uninstall() -> None:
    """Textual's own method again (tests compare the two)."""
    ChopsUpdate.render_segments = _ORIGINAL  # type: ignore[method-assign]


def _render_segments(self: ChopsUpdate, console: Console) -> str:
    """`ChopsUpdate.render_segments`, with each chop cropped to the span on the left too."""
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
            if strip is None or x >= x2 or end <= x1:
                continue
            start = _first_segment_reaching(strip, x, x1)
            stop = min(end, x2)
            if start > x or stop < end:
                strip = strip.crop(start - x, stop - x)
            append(move_to(start, y).segment.text)
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def _first_segment_reaching(strip: Strip, x: int, x1: int) -> int:
    """The screen column where the first segment of `strip` (placed at `x`) that reaches
    column `x1` begins: a whole segment, so no wide character is cut."""
    if x >= x1:
        return x
    for segment in strip:
        width = cell_len(segment.text)
        if x + width > x1:
            return x
        x += width
    return x
