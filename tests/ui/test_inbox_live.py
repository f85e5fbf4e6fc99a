"""The inbox against the real backend (real engine, demo definitions, the live sync): runs
appear as they start waiting, leave as they are answered elsewhere, and one answered from
here is recorded by the backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from runs_tui.cache import Cache
from runs_tui.client import RunsClient, new_idempotency_key
from runs_tui.models import RunKind
from runs_tui.models.domain import RespondRequest
from runs_tui.screens.inbox import InboxScreen
from runs_tui.service import RunsService
from runs_tui.widgets.prompt import ChoicePicker
from ui.conftest import settle
from ui.test_detail_live import start

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def live_service(live_backend: Any, tmp_path: Path) -> AsyncIterator[RunsService]:
    cache = Cache.open(tmp_path / "live-cache.sqlite3")
    service = RunsService(
        cache,
        RunsClient(live_backend.url, live_backend.team.token("tester")),  # its own identity
        profile_label="live",
        backend_label=live_backend.url,
        actor="tester",
        refresh_interval=0.5,
    )
    yield service
    await service.aclose()
    cache.close()


def _listed(screen: InboxScreen) -> list[tuple[str, str | None]]:
    return [(item.run_id, item.prompt_id) for item in screen.inbox_list.items if item.known]


async def test_the_inbox_follows_the_backend_live(
    app_factory, live_service, live_backend: Any
) -> None:
    first = await start(live_service, RunKind.GUIDE, "on-call-handover", engineer="ann@x.com")
    app = app_factory(live_service)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await settle(pilot, lambda: isinstance(app.screen, InboxScreen), "the inbox")
        screen: InboxScreen = app.screen  # type: ignore[assignment]
        await settle(pilot, lambda: [r for r, _ in _listed(screen)] == [first], "the first run")

        # A second run starts waiting: listed live, the cursor stays on the first.
        second = await start(live_service, RunKind.GUIDE, "on-call-handover", engineer="b@x.com")
        await settle(
            pilot, lambda: {r for r, _ in _listed(screen)} == {first, second}, "the second run"
        )
        assert screen.inbox_list.selected is not None
        assert screen.inbox_list.selected.run_id == first

        # Someone else answers the second run (another client, straight to the API).
        other = RunsClient(live_backend.url, live_backend.token)
        try:
            waiting = (await other.get_run(second)).waiting_step()  # type: ignore[union-attr]
            assert waiting is not None and waiting.prompt is not None
            await other.respond(
                second,
                waiting.id,
                RespondRequest(value="done", prompt_id=waiting.prompt.prompt_id),
                new_idempotency_key(),
            )
        finally:
            await other.aclose()
        old = (second, waiting.prompt.prompt_id)
        await settle(pilot, lambda: old not in _listed(screen), "the answered item to leave")
        assert screen.inbox_list.selected.run_id == first

        # Answered from here: recorded by the backend as this operator.
        asked = next(p for r, p in _listed(screen) if r == first)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.focused, ChoicePicker), "the prompt")
        await pilot.press("enter")
        await settle(pilot, lambda: (first, asked) not in _listed(screen), "the answer to land")
        detail = await live_service.client.get_run(first)  # type: ignore[union-attr]
        answered = [s for s in detail.steps if s.response is not None]  # type: ignore[union-attr]
        assert [(s.response.value, s.response.answered_by) for s in answered] == [
            ("done", "tester")
        ]
