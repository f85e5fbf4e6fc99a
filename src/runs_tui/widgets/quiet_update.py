"""Redraw a widget only when what it shows changed.

A live run's detail is fetched again on every change notice (a line of output, a step moving
on), and re-filling every widget each time repainted the whole screen two or three times a
second: ~30 KB/s to an SSH terminal for a screen where one output line and one duration
changed (issue 12 asks ≤ 20 KB/s). `Static.update` refreshes even when handed the same text;
these helpers compare first.
"""

from __future__ import annotations

from rich.text import Text
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static


def update_static(widget: Static, content: Text) -> bool:
    """`widget.update(content)` unless it already shows exactly that (text and styles);
    True when it was updated."""
    shown = widget.content
    if isinstance(shown, Text) and same_text(shown, content):
        return False
    widget.update(content)
    return True


def same_text(a: Text, b: Text) -> bool:
    """Equal as drawn: characters, spans, and the whole-text style and wrapping (Rich's own
    `==` compares only the characters and spans)."""
    return (a.plain, a.spans, a.style, a.no_wrap, a.overflow, a.justify, a.end) == (
        b.plain,
        b.spans,
        b.style,
        b.no_wrap,
        b.overflow,
        b.justify,
        b.end,
    )


def on_view(widget: Widget) -> bool:
    """Whether `widget`'s screen can be seen: the current screen, or one under modal dialogs
    only (they let it show through). A ticking clock on a covered screen is not drawn, but
    Textual still recomposes the screen above it in full: over SSH, a whole screen a second."""
    try:
        stack = widget.app.screen_stack
        screen = widget if isinstance(widget, Screen) else widget.screen
    except Exception:  # not mounted (yet, or any more): nothing to draw
        return False
    if screen not in stack:
        return False
    above = stack[stack.index(screen) + 1 :]
    return all(isinstance(other, ModalScreen) for other in above)
