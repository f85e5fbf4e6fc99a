"""The `no_color` fixture really switches Textual's NO_COLOR handling (or every no-colour
snapshot would silently be a colour one)."""

from __future__ import annotations

from collections.abc import Callable

from runs_tui.app import RunsApp
from runs_tui.service import RunsService


def test_no_color_reaches_the_app(
    no_color: bool, app_factory: Callable[..., RunsApp], service: RunsService
) -> None:
    assert app_factory(service).no_color is no_color
