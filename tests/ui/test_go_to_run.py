"""The palette's Go to run takes a run id prefix of 4+ characters, like the CLI (issue 9)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette

from runs_tui.app import RunsApp
from runs_tui.cache import Cache
from runs_tui.client import RunsClient
from runs_tui.models import RunKind
from runs_tui.models.domain import StartRunRequest, Trigger, TriggerKind
from runs_tui.service import RunsService

from .conftest import settle
from .ui_data import fill, sample_runs

SIZE = (80, 24)


def hex_runs() -> list[Any]:
    base = sample_runs()[:3]
    ids = ["beef1111aaaa", "beef2222bbbb", "cafe3333cccc"]
    return [
        run.model_copy(update={"id": run_id, "seq": 500 + i})
        for i, (run, run_id) in enumerate(zip(base, ids))
    ]


async def open_go_to_run(app: RunsApp, pilot: Any, query: str) -> CommandPalette:
    app.action_go_to_run()
    await settle(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    await pilot.press(*query)
    return app.screen  # type: ignore[return-value]


def hit_texts(palette: CommandPalette) -> list[str]:
    from textual.command import CommandList

    options = palette.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_a_unique_prefix_opens_the_run(
    service: RunsService, app_factory: Callable[..., RunsApp], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    fill(service.cache, hex_runs())
    app = app_factory(service)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_run", lambda run_id, **_: opened.append(run_id))
    async with app.run_test(size=SIZE) as pilot:
        palette = await open_go_to_run(app, pilot, "cafe")
        await settle(pilot, lambda: any("cafe3333cccc" in t for t in hit_texts(palette)), "the hit")
        await pilot.press("enter")
        await settle(pilot, lambda: opened == ["cafe3333cccc"], "the run to open")


async def test_an_ambiguous_prefix_lists_every_candidate(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    fill(service.cache, hex_runs())
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        palette = await open_go_to_run(app, pilot, "beef")
        await settle(
            pilot, lambda: sum("beef" in t for t in hit_texts(palette)) == 2, "both candidates"
        )


async def test_three_characters_are_not_a_prefix(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    fill(service.cache, hex_runs())
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        palette = await open_go_to_run(app, pilot, "caf")
        await settle(pilot)  # the palette's search worker has finished: no hit is still coming
        assert not any("cafe3333cccc" in t for t in hit_texts(palette))


@pytest.fixture
async def live_service(live_backend: Any, tmp_path: Path) -> AsyncIterator[RunsService]:
    cache = Cache.open(tmp_path / "go-to-run.sqlite3")
    service = RunsService(cache, RunsClient(live_backend.url, live_backend.token), actor="tester")
    yield service
    await service.aclose()
    cache.close()


async def test_a_run_started_elsewhere_since_the_last_sync_is_looked_up_on_the_backend(
    live_backend: Any,
    live_service: RunsService,
    app_factory: Callable[..., RunsApp],
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    app = app_factory(live_service, live=False)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_run", lambda run_id, **_: opened.append(run_id))
    request = StartRunRequest(
        inputs={"engineer": "ann@example.com"}, trigger=Trigger(kind=TriggerKind.EXTERNAL)
    )
    run_id = live_backend.run(
        live_backend.engine.start_run(RunKind.GUIDE, "on-call-handover", request)
    ).id
    async with app.run_test(size=SIZE) as pilot:
        assert live_service.cache.get_run(run_id) is None
        palette = await open_go_to_run(app, pilot, run_id[:5])
        await settle(
            pilot, lambda: any("Look up run id" in t for t in hit_texts(palette)), "the backend hit"
        )
        await pilot.press("enter")
        await settle(pilot, lambda: opened == [run_id], "the run to open")
