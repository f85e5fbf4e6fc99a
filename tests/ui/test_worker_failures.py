"""Workers that fail with something nobody expected: one notice, one log record, the dashboard
keeps running (every worker runs with `exit_on_error=False`, so without the app's handler such
a failure vanished without a word)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from runs_tui.app import RunsApp
from runs_tui.models import RunSummary
from runs_tui.screens.detail import RunDetailScreen
from runs_tui.screens.runs import RunsScreen
from runs_tui.service import RunsService, SyncResult
from runs_tui.widgets.run_list import RunList
from runs_tui.worker_failures import TITLE

from .conftest import settle
from .ui_data import NOW

SIZE = (120, 40)
HOSTILE = "boom [bold]x[/] \x1b]0;PWNED\x07"


class BrokenService(RunsService):
    """A service whose actions fail with a bug, not with a backend refusal."""

    async def cancel(self, run_id: str, idempotency_key: str | None = None) -> RunSummary:
        raise RuntimeError(HOSTILE)

    async def sync_now(self) -> SyncResult:
        raise KeyError("cursor")

    async def rerun(self, run_id: str) -> RunSummary:
        raise ZeroDivisionError()


def failures(app: RunsApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == TITLE]


@pytest.fixture
def broken(filled_cache) -> BrokenService:  # type: ignore[no-untyped-def]
    return BrokenService(filled_cache, client=None, now=lambda: NOW)


async def test_a_screen_worker_failing_unexpectedly_is_told_and_logged(
    broken: BrokenService, app_factory: Callable[..., RunsApp], caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(broken)
    with caplog.at_level(logging.ERROR, logger="runs_tui.worker_failures"):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c", "y")
            await settle(pilot, lambda: bool(failures(app)), what="the failure notice")
            [notice] = failures(app)
            assert notice.startswith("RuntimeError: boom [bold]x[/]")  # literal, not markup
            assert "\x1b" not in notice and "\x07" not in notice
            assert app.is_running and isinstance(app.screen, RunsScreen)
            await pilot.press("j")  # still answering keys
            assert app.screen.query_one(RunList).cursor == 1
    [record] = [r for r in caplog.records if r.name == "runs_tui.worker_failures"]
    assert "_cancel" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


async def test_an_app_worker_failing_unexpectedly_is_told(
    broken: BrokenService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(broken)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(pilot, lambda: bool(failures(app)), what="the failure notice")
        assert failures(app) == ["KeyError: 'cursor'"]
        assert app.is_running


async def test_a_detail_worker_failing_unexpectedly_is_told_by_its_type(
    broken: BrokenService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(broken)
    async with app.run_test(size=SIZE) as pilot:
        app.open_run("run-0001")
        await settle(pilot, lambda: isinstance(app.screen, RunDetailScreen))
        await pilot.press("r", "y")
        await settle(pilot, lambda: bool(failures(app)), what="the failure notice")
        assert failures(app) == ["ZeroDivisionError"]
        assert app.is_running and isinstance(app.screen, RunDetailScreen)
