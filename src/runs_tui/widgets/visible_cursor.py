"""An `OptionList` whose highlighted row stays visible under NO_COLOR.

Textual 8 draws an option list's cursor through its visual pipeline, which resolves the
highlight into colours and drops `text-style: reverse` on the way (`no_color.py`'s rule for it
never reaches the terminal). With colours removed, the focused row of the step list and of the
filter's status picker looked like every other row. This base puts reverse video back on the
rendered strip of the highlighted option while the list has focus, after Textual is done with it.
"""

from __future__ import annotations

from rich.style import Style
from textual.strip import Strip
from textual.widgets import OptionList

REVERSE = Style(reverse=True)


def option_index(strip: Strip) -> int | None:
    """The option a rendered line belongs to: OptionList tags its segments with it."""
    for segment in strip:
        if segment.style is not None and "option" in segment.style.meta:
            return int(segment.style.meta["option"])
    return None


class CursorVisibleOptionList(OptionList):
    """OptionList with a cursor that reads without colour (reverse video when focused)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if not (self.app.no_color and self.has_focus) or self.highlighted is None:
            return strip
        if option_index(strip) != self.highlighted:
            return strip
        return strip.apply_style(REVERSE)
