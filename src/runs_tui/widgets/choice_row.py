"""A one-row set of radio choices that stays readable when focused and without colour.

Textual's `RadioSet` draws a tall border when focused: in a one-row layout the border eats the
row and the focused choices render blank. `ChoiceRow` is compact (no border), shows the chosen
option as ● and the others as ○ (Textual tells them apart by colour only), and puts ▸ before
the option the cursor is on while the row has focus, so NO_COLOR users see where they are.
"""

from __future__ import annotations

from typing import ClassVar

from textual.content import Content
from textual.geometry import Size
from textual.widgets import RadioButton, RadioSet

CURSOR = "▸"


class ChoiceButton(RadioButton):
    """One choice: `▸● Flows` / ` ○ Guides`."""

    ON: ClassVar[str] = "●"
    OFF: ClassVar[str] = "○"

    @property
    def _button(self) -> Content:
        return Content.styled(
            self.ON if self.value else self.OFF, self.get_visual_style("toggle--button")
        )

    @property
    def has_cursor(self) -> bool:
        parent = self.parent
        return self.has_class("-selected") and isinstance(parent, RadioSet) and parent.has_focus

    def render(self) -> Content:
        return Content.assemble(CURSOR if self.has_cursor else " ", super().render())

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return 1 + super().get_content_width(container, viewport)


class ChoiceRow(RadioSet):
    """A compact `RadioSet` of `ChoiceButton`s that redraws its cursor glyph on focus moves."""

    DEFAULT_CSS = """
    ChoiceRow { layout: horizontal; height: 1; width: 100%; }
    ChoiceRow > ChoiceButton { width: auto; margin-right: 1; }
    ChoiceRow > ChoiceButton > .toggle--button { background: transparent; }
    """

    def __init__(self, *buttons: ChoiceButton, id: str | None = None) -> None:
        super().__init__(*buttons, id=id, compact=True)

    def _redraw(self) -> None:
        for button in self.query_children(ChoiceButton):
            button.refresh()

    def watch__selected(self) -> None:
        super().watch__selected()
        self._redraw()

    def on_focus(self) -> None:
        self._redraw()

    def on_blur(self) -> None:
        self._redraw()
