"""`partial_updates`: a partial update writes the changed span (from the start of the segment
that reaches into it), and what it paints there is exactly what Textual's own method paints."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from runs_tui import partial_updates

CONSOLE = Console(color_system="truecolor", width=200, force_terminal=True)
MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def _paint(output: str) -> dict[tuple[int, int], str]:
    """The cells the bytes write: (row, column) -> character (a wide one takes two)."""
    cells: dict[tuple[int, int], str] = {}
    parts = MOVE.split(output)
    for index in range(1, len(parts), 3):
        row, column = int(parts[index]) - 1, int(parts[index + 1]) - 1
        text = SGR.sub("", parts[index + 2]).rstrip("\n")
        for char in text:
            cells[(row, column)] = char
            column += cell_len(char)
    return cells


def _update(strip: Strip, x1: int, x2: int) -> ChopsUpdate:
    """One line, one chop of `strip` at column 0, the span [x1, x2) changed."""
    return ChopsUpdate([{0: strip}], [(0, x1, x2)], [[strip.cell_length]])


def _render(update: ChopsUpdate, patched: bool) -> str:
    if patched:
        partial_updates.install()
    else:
        partial_updates.uninstall()
    try:
        return update.render_segments(CONSOLE)
    finally:
        partial_updates.install()


def _row(*cells: str) -> Strip:
    return Strip([Segment(text, Style(bold=index == 1)) for index, text in enumerate(cells)])


def test_a_duration_cell_is_written_alone_not_the_line_up_to_it() -> None:
    strip = _row("  ", "Waiting guide                ", "      10s", " ◆ Waiting  ")
    x1 = cell_len("  Waiting guide                ")
    update = _update(strip, x1, x1 + 9)
    ours, theirs = _render(update, patched=True), _render(update, patched=False)
    assert "Waiting guide" in theirs  # Textual's: the name too, every tick
    assert "Waiting guide" not in ours and "10s" in ours
    assert ours.startswith(f"\x1b[1;{x1 + 1}H")
    assert len(ours) < len(theirs) / 2


def test_a_span_starting_inside_a_wide_character_starts_at_that_character() -> None:
    strip = _row("ab", "日本", "cd")  # 日 at columns 2-3, 本 at 4-5
    update = _update(strip, 3, 6)  # from the second half of 日
    ours = _render(update, patched=True)
    assert ours.startswith("\x1b[1;3H") and "日本" in ours  # the whole segment, never half
    assert "ab" not in ours


segment_text = st.text(alphabet="ab 日本-", min_size=1, max_size=6)


@given(
    texts=st.lists(segment_text, min_size=1, max_size=6),
    span=st.tuples(st.integers(0, 40), st.integers(1, 40)),
)
def test_what_is_written_inside_the_span_is_what_textual_writes(texts, span) -> None:  # type: ignore[no-untyped-def]
    strip = _row(*texts)
    width = strip.cell_length
    x1 = min(span[0], width - 1)
    x2 = min(width, x1 + span[1])
    update = _update(strip, x1, x2)
    ours, theirs = _paint(_render(update, True)), _paint(_render(update, False))
    inside = {cell: char for cell, char in theirs.items() if x1 <= cell[1] < x2}
    assert {cell: char for cell, char in ours.items() if x1 <= cell[1] < x2} == inside
    # nothing is written right of the span, and left of it only the start of a segment
    # reaching into it (as Textual's segment path does)
    assert all(column < x2 for _, column in ours)
    assert set(ours.items()) <= set(theirs.items())
