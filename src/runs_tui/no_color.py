"""NO_COLOR: the terminal's own colours, and emphasis by bold / reverse / underline.

Textual 8 honours NO_COLOR with a `Monochrome` line filter: every colour becomes its grey, so
a failed run's dark red on the dark surface came out grey 237 on grey 234 and nearly vanished,
and every state told by a background (the cursor row, the focused field, the highlighted
option) was lost in the same way. Here that filter is replaced by one that drops colour
altogether (the terminal's default foreground and background) and dim too (faint text is the
same trap), and `NO_COLOR_CSS` marks the focused and selected things with reverse video and
underline instead, under Textual's `:nocolor` app pseudo-class.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.color import Color
from textual.filter import LineFilter, Monochrome

PLAIN = Style(color="default", bgcolor="default", dim=False)


class PlainTerminal(LineFilter):
    """Every segment in the terminal's default colours, never faint; bold, reverse, underline
    and italic stay, since they are what carries emphasis without colour."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(text, None if style is None else style + PLAIN, control)
            for text, style, control in segments
        ]


def use_plain_terminal(app: App[object]) -> None:
    """Swap Textual's greyscale filter for `PlainTerminal` (call after `App.__init__`)."""
    if not app.no_color:
        return
    filters = app._filters  # Textual keeps its line filters here; there is no public setter
    for index, line_filter in enumerate(filters):
        if isinstance(line_filter, Monochrome) or type(line_filter).__name__ == "NoColor":
            filters[index] = PlainTerminal()
            return
    filters.append(PlainTerminal())


NO_COLOR_CSS = """
App:nocolor RunList > .run-list--cursor { text-style: underline; }
App:nocolor RunList:focus > .run-list--cursor { text-style: reverse; }
App:nocolor RunList > .run-list--header { text-style: bold underline; }
App:nocolor OptionList > .option-list--option-highlighted { text-style: underline; }
App:nocolor OptionList:focus > .option-list--option-highlighted { text-style: reverse; }
App:nocolor Input:focus { text-style: bold; border: heavy $foreground; }
App:nocolor Input.-textual-compact:focus { border: none; text-style: reverse; }
App:nocolor Select:focus > SelectCurrent { border: heavy $foreground; text-style: bold; }
App:nocolor Button:focus { text-style: reverse bold; }
App:nocolor ToggleButton:focus > .toggle--label { text-style: reverse; }
App:nocolor RadioSet:focus > RadioButton.-selected > .toggle--label { text-style: reverse; }
App:nocolor KeyFooter .footer-key--key { text-style: bold; }
App:nocolor Toast { border-left: outer $foreground; }
"""
