"""Keys that arrive while a screen or the app is closing are ignored, never a traceback.

Typed ahead (`tmux send-keys q e`), the second key used to reach the closing app: `e` pushed
the export dialog into an app already shutting down, whose mount then found no widgets
(`NoMatches: '#export-path'`).
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events

from runs_tui.app import RunsApp
from runs_tui.screens.detail import RunDetailScreen
from runs_tui.service import RunsService

SIZE = (80, 24)


def type_ahead(app: RunsApp, *keys: str) -> None:
    """Queue keys at once, as a fast typist or `tmux send-keys` does: no pause between them."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_quit_then_export_typed_ahead_exits_cleanly(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        type_ahead(app, "q", "e")
        await pilot.pause()
    assert app._exception is None
    assert app.return_code == 0


async def test_keys_typed_after_leaving_a_detail_go_to_the_list(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_run("run-0001")
        await pilot.pause()
        assert isinstance(app.screen, RunDetailScreen)
        type_ahead(app, "q", "e", "escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "RunsScreen"
    assert app._exception is None


async def test_ctrl_c_quits(service: RunsService, app_factory: Callable[..., RunsApp]) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app._exit
    assert app.return_code == 0
