"""The timeline screen: breakdown, bars with waits, events — at 80×24 and wider, seconds to days."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runs_tui.cache import Cache
from runs_tui.events import CacheChanged
from runs_tui.messages import RunsChanged
from runs_tui.screens.timeline import TimelineScreen
from runs_tui.widgets.timeline_chart import TimelineChart
from ui.conftest import settle
from ui.detail_fixtures import (
    Scripted,
    long_wait_detail,
    open_run,
    progress_detail,
    screen_text,
    scripted,
    success_detail,
)


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


async def _timeline(app, pilot, run_id: str) -> TimelineScreen:  # type: ignore[no-untyped-def]
    await open_run(app, pilot, run_id)
    await pilot.press("t")
    await settle(pilot)
    assert isinstance(app.screen, TimelineScreen)
    return app.screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_breakdown_and_bars_of_a_run_with_a_wait(app_factory, world, size) -> None:
    world.seed(success_detail())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=size) as pilot:
        screen = await _timeline(app, pilot, "run-success")
        text = screen_text(app)
        for line in (
            "Queued before start        4s",
            "Waiting for input      3m 20s   61.3%",
            "Executing triage",
            "Executing remediation",
            "Total                  5m 26s  100.0%",
        ):
            assert line in text
        assert "Duration 5m 26s" in text  # the header and the timeline: one duration rule
        chart = screen.query_one(TimelineChart)
        rows = chart.render().plain.splitlines()
        assert rows[0].startswith("Step") and "2m" in rows[0]
        wait_row = next(r for r in rows if "Delete rotated logs" in r)
        assert "█░" in wait_row and "░█" in wait_row  # runs, waits, runs again
        assert all(len(r) <= size[0] - 2 for r in rows)
        assert "░ waiting for input" in rows[-1]


async def test_events_are_listed_in_order_with_offsets(app_factory, world) -> None:
    world.seed(success_detail())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 60)) as pilot:
        await _timeline(app, pilot, "run-success")
        text = screen_text(app)
        created, asked, answered = (
            text.index(s)
            for s in (
                "Run created",
                "Waiting for input on “Delete rotated logs”",
                "alice answered “Delete rotated logs”: “approve”",
            )
        )
        assert created < asked < answered
        assert "+4m 30s  14:24:30" in text


async def test_a_run_of_days_reads_in_days(app_factory, world) -> None:
    world.seed(long_wait_detail())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _timeline(app, pilot, "run-days")
        axis = screen.query_one(TimelineChart).render().plain.splitlines()[0]
        assert "1d" in axis and "2d" in axis
        assert "Waiting for input     2d 00h" in screen_text(app)


async def test_active_run_is_measured_to_now_and_follows_changes(app_factory, world) -> None:
    world.seed(progress_detail())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _timeline(app, pilot, "run-progress")
        assert "Total so far" in screen_text(app)
        world.backend.put(success_detail(run_id="run-progress"))
        screen.post_message(RunsChanged(CacheChanged(frozenset({"run-progress"}))))
        await settle(pilot)
        assert [r.path for r in world.backend.requests("detail")][-1] == "/runs/run-progress"
        assert "Total so far" not in screen_text(app) and "✓ Completed Success" in screen_text(app)
