"""Every key of a burst is applied in the order it was typed (Textualize/textual#6605): the
editing keys of our `Input` and `TextArea` run inline instead of after bubbling to the app."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult

from runs_tui.widgets.text_inputs import Input, TextArea


class Fields(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(id="line")
        yield TextArea(id="area")


def _burst(app: App[None], *keys: str) -> None:
    """The keys queued at once, as one read of the terminal delivers them."""
    named = {"backspace": "\x7f", "left": None, "home": None, "enter": "\r"}
    for key in keys:
        app.post_message(events.Key(key, named.get(key, key)))


async def test_backspace_typed_between_letters_deletes_where_it_was_typed() -> None:
    app = Fields()
    async with app.run_test() as pilot:
        line = app.query_one("#line", Input)
        line.focus()
        await pilot.pause()
        _burst(app, "4", "2", "backspace", "backspace", "I", "N", "C")
        await pilot.pause()
        assert line.value == "INC"


async def test_cursor_keys_in_a_burst_move_before_the_next_letter_lands() -> None:
    app = Fields()
    async with app.run_test() as pilot:
        line = app.query_one("#line", Input)
        line.focus()
        await pilot.pause()
        _burst(app, "b", "c", "home", "a", "left", "left")
        await pilot.pause()
        assert line.value == "abc"
        _burst(app, "x")
        await pilot.pause()
        assert line.value == "xabc"


async def test_the_text_area_keeps_the_order_too() -> None:
    app = Fields()
    async with app.run_test() as pilot:
        area = app.query_one("#area", TextArea)
        area.focus()
        await pilot.pause()
        _burst(app, "o", "n", "e", "backspace", "backspace", "backspace", "t", "w", "o")
        await pilot.pause()
        assert area.text == "two"


async def test_enter_still_submits_once() -> None:
    submitted: list[str] = []

    class Submitting(Fields):
        def on_input_submitted(self, message: Input.Submitted) -> None:
            submitted.append(message.value)

    app = Submitting()
    async with app.run_test() as pilot:
        app.query_one("#line", Input).focus()
        await pilot.pause()
        _burst(app, "o", "k", "enter")
        await pilot.pause()
        assert submitted == ["ok"]


def test_every_text_field_of_the_dashboard_is_an_ordered_one() -> None:
    """Textual's own `Input` / `TextArea` reorder a burst of keys: the dashboard takes them
    from `runs_tui.widgets.text_inputs` only (a new screen importing Textual's is caught here)."""
    import ast
    from pathlib import Path

    import runs_tui

    root = Path(runs_tui.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "text_inputs.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "textual.widgets":
                names = {alias.name for alias in node.names} & {"Input", "TextArea"}
                if names:
                    offenders.append(f"{path.relative_to(root)}: {sorted(names)}")
    assert offenders == []
