"""The list against the real backend: runs appear and move with no key pressed, and refusals of
a real backend (409 on a finished run, 401) arrive as toasts without breaking the screen."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from runs_tui.app import RunsApp
from runs_tui.cache import Cache
from runs_tui.client import RunsClient
from runs_tui.models import RunKind, RunStatus
from runs_tui.models.domain import StartRunRequest, Trigger, TriggerKind
from runs_tui.screens.confirm import ConfirmScreen
from runs_tui.screens.runs import RunsScreen
from runs_tui.service import RunsService
from runs_tui.widgets.run_list import RunList

from .conftest import settle

SIZE = (120, 40)


@pytest.fixture
async def live_service(live_backend: Any, tmp_path: Path) -> AsyncIterator[RunsService]:
    cache = Cache.open(tmp_path / "list-live.sqlite3")
    client = RunsClient(live_backend.url, live_backend.token)
    service = RunsService(
        cache,
        client,
        profile_label="live",
        backend_label=live_backend.url,
        actor="tester",
        refresh_interval=0.5,
    )
    yield service
    await service.aclose()
    cache.close()


def start_on_backend(backend: Any, kind: RunKind, definition: str, **inputs: str) -> str:
    """Start a run the way an integration would: on the backend, not through our client."""
    request = StartRunRequest(
        inputs=inputs, trigger=Trigger(kind=TriggerKind.EXTERNAL, actor="pagerduty")
    )
    return backend.run(backend.engine.start_run(kind, definition, request)).id


def shown(app: RunsApp) -> dict[str, RunStatus]:
    lst = app.screen.query_one(RunList)
    return {run.id: run.status for run in lst.pager.rows(0, lst.total)}


async def test_a_backend_run_appears_and_moves_without_a_key_press(
    live_backend: Any, live_service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(live_service, tz=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(
            pilot, lambda: "live" in str(app.screen.query_one("#header").render()), "live header"
        )
        run_id = start_on_backend(
            live_backend, RunKind.GUIDE, "on-call-handover", engineer="ann@example.com"
        )
        await settle(pilot, lambda: run_id in shown(app), "the new run in the list")
        first = shown(app)[run_id]
        # the guide runs on until its manual step waits for an operator
        await settle(
            pilot,
            lambda: shown(app).get(run_id) is RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION,
            f"the run to move on from {first.label} to waiting",
        )
        assert "1 waiting for input" in str(app.screen.query_one("#header").render())
        await settle(
            pilot,
            lambda: any("waiting for input" in n.message for n in app._notifications),
            "the Needs-you notice (debounced)",
        )


async def test_backend_refusals_become_toasts(
    live_backend: Any, live_service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    run_id = start_on_backend(
        live_backend, RunKind.GUIDE, "on-call-handover", engineer="ann@example.com"
    )
    live_backend.run(live_backend.engine.cancel(run_id))
    app = app_factory(live_service, tz=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(
            pilot, lambda: shown(app).get(run_id) is RunStatus.CANCELLED, "the cancelled run"
        )
        lst = app.screen.query_one(RunList)
        assert lst.current_run is not None and lst.current_run.id == run_id
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, lambda: run_id not in shown(app), "the deleted run to leave the list")
        assert any("Deleted 1 run" in n.message for n in app._notifications)


async def test_a_refused_token_is_said_plainly(
    live_backend: Any, tmp_path: Path, app_factory: Callable[..., RunsApp]
) -> None:
    cache = Cache.open(tmp_path / "bad-token.sqlite3")
    service = RunsService(
        cache, RunsClient(live_backend.url, "not-the-token"), refresh_interval=0.5
    )
    app = app_factory(service, tz=None)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("r")
            await settle(
                pilot,
                lambda: any("unauthorized" in n.message.lower() for n in app._notifications),
                "the 401 toast",
            )
            assert isinstance(app.screen, RunsScreen)
            await pilot.press("j", "k", "3")  # still responsive
            assert app.screen.query_one(RunList).run_filter.group is not None
    finally:
        cache.close()
