"""The run's variables (inputs and outputs) and their current values.

The seed's troubleshooting advice is "verify inputs were correct", so values are shown exactly
(inert, never interpreted) and updated live as the run sets them. Long values are cut to one row
with an ellipsis; the export has them in full.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from runs_tui.models.domain import Variable, VariableDirection
from runs_tui.sanitize import inert, truncate

VALUE_CELLS = 400


class VariablesView(Widget):
    """A compact name = value table; `variables` is replaced wholesale on each refresh."""

    DEFAULT_CSS = """
    VariablesView {
        height: auto;
        max-height: 8;
        padding: 0 1;
        border-top: solid $primary 30%;
    }
    """

    variables: reactive[tuple[Variable, ...]] = reactive((), layout=True)

    def render(self) -> Table | Text:
        if not self.variables:
            return Text("No variables", style="dim italic")
        table = Table.grid(padding=(0, 1), expand=True)
        # Names get at most a third of the row: in the 80-column layout a 24-cell name column
        # left the values, which are what the operator checks, no room at all.
        name_cells = max(6, min(24, self.content_size.width // 3))
        table.add_column(no_wrap=True, max_width=name_cells, overflow="ellipsis")
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(no_wrap=True, width=3)
        for variable in sorted(self.variables, key=lambda v: (v.direction.value, v.name)):
            arrow = "in" if variable.direction is VariableDirection.INPUT else "out"
            table.add_row(
                Text(inert(variable.name), style="bold"),
                Text(
                    truncate(inert(variable.value), VALUE_CELLS), no_wrap=True, overflow="ellipsis"
                ),
                Text(arrow, style="dim"),
            )
        return table
