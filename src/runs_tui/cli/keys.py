"""The dashboard's keys for `config keys` and `config set keymap.…`.

Why a module of its own: the bindings are declared on the app's classes, so reading them
imports the whole UI (Textual included). This is the one place besides the dashboard itself
where the command line does that, on demand only (the import-linter contract in pyproject
names both), so every other command stays free of Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runs_tui.keymap import KeyBinding


def dashboard_key_bindings() -> list[KeyBinding]:
    """Every rebindable binding of the dashboard, by id."""
    from runs_tui.app import RunsApp
    from runs_tui.keymap import key_bindings

    return key_bindings(RunsApp)


def unknown_binding_ids(keymap: Mapping[str, str]) -> list[str]:
    """The keymap's ids that name no binding of the dashboard."""
    from runs_tui.app import RunsApp
    from runs_tui.keymap import unknown_ids

    return unknown_ids(keymap, RunsApp)
