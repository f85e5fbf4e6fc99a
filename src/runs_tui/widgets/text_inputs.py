"""`Input` and `TextArea` that apply every key in the order it was typed.

Textual 8 (Textualize/textual#6605, open) inserts a printable key in the widget's own key
handler, but runs a *bound* key — backspace, delete, the arrows, home/end, ctrl+u, enter — only
once the key event has bubbled up through every ancestor to the app. Keys read together (a fast
typist, a burst over SSH, `tmux send-keys`) are then applied out of order: in the prompt's
ticket field "42", backspace, backspace, "INC-12" became "4INC-1", the second backspace landing
after the text typed behind it. For an answer field that is a value the operator did not type.

These subclasses run the widget's own bindings inline, in its key handler, exactly as the app
would (the same keymap, `check_action` through `run_action`), so a bound key is applied before
the next key is looked at. This is the upstream fix proposed in Textualize/textual#6631;
remove the module once Textual ships it. Keys bound on ancestors (the prompt's ctrl+s, esc)
still go the usual way: they do not edit the text.

Every text field of the dashboard is one of these (import them from here, not from
`textual.widgets`); CSS type selectors (`Input`, `TextArea`) still match them.
"""

from __future__ import annotations

from textual import events
from textual.binding import BindingsMap
from textual.widget import Widget
from textual.widgets import Input as TextualInput
from textual.widgets import TextArea as TextualTextArea


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run `widget`'s own (non-priority) binding of this key now, as the app would once the
    key had bubbled up; True when one ran (the event is then stopped: nothing runs it twice)."""
    if event.is_printable:
        return False  # typed text: the widget's own handler inserts it
    bindings = _keymapped(widget)
    for binding in bindings.key_to_bindings.get(event.key, ()):
        if binding.priority:
            continue  # the app ran priority bindings before the key reached the widget
        if await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


def _keymapped(widget: Widget) -> BindingsMap:
    """The widget's bindings with the app's keymap applied (what the app's lookup would use)."""
    bindings = widget._bindings.copy()
    keymap = widget.app._keymap
    if keymap:
        bindings.apply_keymap(keymap)
    return bindings


class Input(TextualInput):
    """A one-line input whose editing keys keep their order with the typed text."""

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls every `_on_key` of the class's MRO in turn: Input's own (typed text)
        # runs after this one unless a binding ran here (`run_own_binding` prevents it).
        if await run_own_binding(self, event):
            self._restart_blink()


class TextArea(TextualTextArea):
    """A multi-line input whose editing keys keep their order with the typed text."""

    async def _on_key(self, event: events.Key) -> None:
        # enter and tab are TextArea's inserts (its own `_on_key`, run next), not bindings.
        if event.key in ("enter", "tab") or self.read_only:
            return
        if await run_own_binding(self, event):
            self._restart_blink()
