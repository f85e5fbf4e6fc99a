"""The rows of a run comparison: values side by side, steps side by side, output diffs.

Each row is a widget of its own so the screen can scroll one into view (the first divergence)
and mark it. Rows are Rich grids with the same column ratios, so they line up as one table at
any width. Readable without colour: a row's first cell says how it differs (`≠` changed, `−`
only in A, `+` only in B, `▶` the first divergence) and diff lines keep their `+`/`-`.
Every value is backend data: it goes through `inert` into a `Text`, never markup.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from runs_tui.formatting import format_duration
from runs_tui.run_compare import StepDiff, StepSide, ValueDiff
from runs_tui.sanitize import inert, truncate

VALUE_CELLS = 300
DIFF_LINES = 200
"""A diff longer than this is cut (with a line saying how much): `runs diff` prints it all."""

DIVERGENCE_MARK = "▶"


def _grid() -> Table:
    """Mark, name, A, B: the sides get the room (what differs is read there)."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=1, no_wrap=True)
    table.add_column(ratio=3, overflow="fold")
    table.add_column(ratio=4, overflow="fold")
    table.add_column(ratio=4, overflow="fold")
    return table


def _mark(diff: StepDiff | ValueDiff, first: bool) -> Text:
    if first:
        return Text(DIVERGENCE_MARK, style="bold")
    return Text(diff.change.mark, style="bold" if diff.change.differs else "")


def value_table(values: tuple[ValueDiff, ...], first: int | None, empty: str) -> Table | Text:
    """A section of named values (result, inputs, output variables) with both runs' values;
    `first`: the index of the first divergence in this section, if it is here."""
    if not values:
        return Text(empty, style="dim italic")
    table = _grid()
    table.add_row(Text(""), Text(""), Text("A", style="dim"), Text("B", style="dim"))
    for index, value in enumerate(values):
        style = "bold" if value.change.differs else ""
        table.add_row(
            _mark(value, index == first),
            Text(inert(value.name), style="bold"),
            _value(value.a, style),
            _value(value.b, style),
        )
    return table


def _value(text: str | None, style: str) -> Text:
    if text is None:
        return Text("(none)", style="dim italic")
    return Text(truncate(inert(text), VALUE_CELLS), style=style)


def steps_header() -> Table:
    table = _grid()
    table.add_row(
        Text(""), Text("Step", style="dim"), Text("A", style="dim"), Text("B", style="dim")
    )
    return table


def step_row(step: StepDiff, first: bool) -> Table:
    table = _grid()
    table.add_row(
        _mark(step, first),
        Text(inert(step.title), style="bold" if step.change.differs else ""),
        _side(step.a, step.status_differs, step.outcome_differs),
        _side(step.b, step.status_differs, step.outcome_differs),
    )
    return table


def _side(side: StepSide | None, status_differs: bool, outcome_differs: bool) -> Text:
    if side is None:
        return Text("(not run)", style="dim italic")
    text = Text()
    text.append(side.status, style="bold" if status_differs else "")
    duration = format_duration(side.duration_seconds) if side.duration_seconds is not None else ""
    if duration:
        text.append(f" · {duration}", style="dim")
    text.append(" · ")
    text.append(truncate(inert(side.outcome), VALUE_CELLS), style="bold" if outcome_differs else "")
    return text


def diff_text(lines: tuple[str, ...]) -> Text:
    """A unified diff, one styled line each (the `+`/`-` stay, so no colour is needed)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    shown = lines[:DIFF_LINES]
    for index, line in enumerate(shown):
        safe = inert(line)
        if line.startswith(("---", "+++")):
            style = "dim"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = ""
        text.append(safe, style=style)
        if index < len(shown) - 1:
            text.append("\n")
    if len(lines) > DIFF_LINES:
        text.append(
            f"\n… {len(lines) - DIFF_LINES} more lines (runs-tui runs diff prints them all)",
            style="dim italic",
        )
    return text


class CompareRow(Static):
    """One row (or section table) of the comparison; `-divergence` marks the first one."""

    DEFAULT_CSS = """
    CompareRow { height: auto; padding: 0 1; }
    CompareRow.-divergence { background: $warning 25%; text-style: bold; }
    CompareRow.-diff { padding: 0 1 0 4; color: $text-muted; }
    """
