"""The dashboard's rebindable keys: every binding id, its default keys, and what it does.

Why: the config's `[keymap]` names bindings by id (Textual's keymap). The app checks those ids
against this table, so a typo is reported rather than silently doing nothing, and
`runs-tui config keys` prints it, so an operator finds the id to rebind without reading the
source. The table is read from the classes' own `BINDINGS`, so it cannot drift from them.

The app class is passed in (the app checks its own config with it, the CLI passes `RunsApp`),
so this module never imports the app, which imports it: no import cycle between the two.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode


@dataclass(frozen=True)
class KeyBinding:
    id: str
    keys: str
    description: str
    where: str


def key_bindings(app_class: type[App[Any]]) -> list[KeyBinding]:
    """Every binding with an id declared by `app_class`, the screens and the widgets."""
    _import_ui_modules()
    owners = [app_class, *_subclasses(DOMNode)]
    found = {
        binding.id: KeyBinding(
            binding.id, binding.key, binding.description or binding.action, _where(owner)
        )
        for owner in owners
        if owner.__module__.startswith("runs_tui.")
        for binding in vars(owner).get("BINDINGS", [])
        if isinstance(binding, Binding) and binding.id
    }
    return sorted(found.values(), key=lambda entry: entry.id)


def unknown_ids(keymap: Mapping[str, str], app_class: type[App[Any]]) -> list[str]:
    """The keymap's ids that name no binding (typos, or ids of an older release)."""
    known = {entry.id for entry in key_bindings(app_class)}
    return sorted(set(keymap) - known)


def _import_ui_modules() -> None:
    """Every screen and widget module, so that all their classes are subclasses by now."""
    from runs_tui import screens, widgets

    for package in (screens, widgets):
        for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)


def _subclasses(cls: type) -> Iterator[type]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _where(owner: type) -> str:
    return str(getattr(owner, "HELP_AREA", None) or owner.__name__)
