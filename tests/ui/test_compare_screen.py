"""The comparison screen (`=`), against the real backend over loopback HTTP: two demo runs of
one flow that took different remediations, the previous run of a flow, a run deleted or
changed by someone else after it was marked, and the first-difference key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from runs_tui.app import RunsApp
from runs_tui.backend.clock import SystemClock
from runs_tui.backend.demo import seed_history
from runs_tui.cache import Cache
from runs_tui.client import RunsClient
from runs_tui.models.domain import RunSummary
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.models.status import RunStatus
from runs_tui.run_compare import Change, Section
from runs_tui.screens.compare import CompareScreen
from runs_tui.service import RunsService
from runs_tui.widgets.compare_rows import CompareRow
from runs_tui.widgets.run_list import RunList
from ui.conftest import settle

SIZE = (120, 40)
FLOW = "api-latency"
ALL_OF_FLOW = RunFilter(time=TimeRange(TimePreset.ALL), name="API latency")


@pytest.fixture
def seeded(live_backend: Any) -> Any:
    """The demo history (the seed's own templates and draw) on the real backend."""
    definitions = live_backend.engine.loaded_definitions
    assert seed_history(live_backend.store, SystemClock(), 400, definitions) == 400
    return live_backend


@pytest.fixture
async def live_service(seeded: Any, tmp_path: Path) -> AsyncIterator[RunsService]:
    cache = Cache.open(tmp_path / "compare.sqlite3")
    service = RunsService(
        cache,
        RunsClient(seeded.url, seeded.token),
        profile_label="live",
        backend_label=seeded.url,
        actor="tester",
        refresh_interval=0.5,
    )
    yield service
    await service.aclose()
    cache.close()


def listed(app: RunsApp) -> list[RunSummary]:
    lst = app.screen.query_one(RunList)
    return lst.pager.rows(0, lst.total)


def two_remediations(runs: list[RunSummary]) -> tuple[RunSummary, RunSummary]:
    """Two successful runs of the flow with different outcomes (so different remediations)."""
    succeeded = [r for r in runs if r.status is RunStatus.COMPLETED_SUCCESS and r.outcome]
    first = succeeded[0]
    other = next(r for r in succeeded if r.outcome != first.outcome)
    return first, other


async def mark(pilot: Any, app: RunsApp, *run_ids: str) -> None:
    lst = app.screen.query_one(RunList)
    for run_id in run_ids:
        index = next(i for i, r in enumerate(listed(app)) if r.id == run_id)
        lst.cursor = index
        await pilot.press("space")
    await settle(pilot, lambda: lst.marks == set(run_ids), "the marks")


async def open_list(pilot: Any, app: RunsApp) -> None:
    await settle(pilot, lambda: len(listed(app)) > 10, "the flow's history in the list")


def compare_screen(app: RunsApp) -> CompareScreen:
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def compared(app: RunsApp) -> bool:
    return isinstance(app.screen, CompareScreen) and app.screen.comparison is not None


async def test_two_marked_demo_runs_with_different_remediations(
    live_service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(live_service, initial_filter=ALL_OF_FLOW)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, app)
        a, b = two_remediations(listed(app))
        await mark(pilot, app, a.id, b.id)
        await pilot.press("equals_sign")
        await settle(pilot, lambda: compared(app), "the comparison")
        screen = compare_screen(app)
        older, newer = sorted((a, b), key=lambda r: r.created_at)
        assert (screen.a_id, screen.b_id) == (older.id, newer.id)
        comparison = screen.comparison
        assert comparison is not None and not comparison.same
        result = {v.name: v for v in comparison.result}
        assert result["outcome"].change is Change.CHANGED
        assert result["remediation"].change is Change.CHANGED
        assert {result["remediation"].a, result["remediation"].b} == {
            "failover-dependency",
            "restart-pods",
        }
        assert [s.change for s in comparison.steps[:3]] == [Change.SAME] * 3  # the triage
        divergence = comparison.first_divergence
        assert divergence is not None and divergence.section is Section.STEPS
        assert divergence.index == 3
        assert "ran only in" in divergence.words
        assert "First difference" in str(screen.query_one("#compare-divergence").content)
        assert screen.notice_text == ""  # both fresh, finished, unchanged: nothing to warn

        await pilot.press("f")
        await settle(pilot)
        row = screen.query_one("#step-3", CompareRow)
        body = screen.query_one("#compare-body")
        assert row.has_class("-divergence")
        assert body.scroll_offset.y > 0 or row.region.y < body.region.bottom
        assert row.region.y >= body.region.y and row.region.y < body.region.bottom

        await pilot.press("s")  # swap the sides
        await settle(pilot, lambda: compare_screen(app).a_id == newer.id, "the swap")
        await settle(pilot, lambda: compared(app), "the comparison again")
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, CompareScreen), "back")


async def test_equals_with_nothing_marked_compares_with_the_previous_run_of_the_flow(
    live_service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(live_service, initial_filter=ALL_OF_FLOW)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, app)
        newest = listed(app)[0]  # sorted by start, newest first
        await pilot.press("equals_sign")
        await settle(pilot, lambda: compared(app), "the comparison")
        screen = compare_screen(app)
        previous = live_service.cache.previous_run(newest.id)
        assert previous is not None and previous.definition_id == FLOW
        assert (screen.a_id, screen.b_id) == (previous.id, newest.id)
        assert previous.created_at <= newest.created_at

        await pilot.press("escape")  # and from the run's detail, the same
        await settle(pilot, lambda: not isinstance(app.screen, CompareScreen), "back")
        await pilot.press("enter")
        await settle(pilot, lambda: type(app.screen).__name__ == "RunDetailScreen", "detail")
        await pilot.press("equals_sign")
        await settle(pilot, lambda: compared(app), "the comparison from the detail")
        assert (compare_screen(app).a_id, compare_screen(app).b_id) == (previous.id, newest.id)


async def test_a_marked_run_deleted_elsewhere_is_said_to_be_gone(
    seeded: Any, live_service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(live_service, initial_filter=ALL_OF_FLOW, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await live_service.sync_now()
        app.screen.reload()  # type: ignore[attr-defined]
        await open_list(pilot, app)
        a, b = two_remediations(listed(app))
        await mark(pilot, app, a.id, b.id)
        deleted, _ = seeded.store.delete_runs([b.id])  # a second actor, between marking and `=`
        assert deleted == [b.id]
        await pilot.press("equals_sign")
        await settle(pilot, lambda: isinstance(app.screen, CompareScreen), "the screen")
        screen = compare_screen(app)
        await settle(pilot, lambda: "deleted" in screen.notice_text, "the deletion said")
        assert screen.comparison is None
        assert "was deleted on the backend since you chose it" in screen.notice_text
        assert "Nothing compared" in str(screen.query_one("#compare-divergence").content)
        assert not screen.query(CompareRow)


async def test_a_run_changed_since_it_was_marked_is_said_to_have_changed(
    seeded: Any, live_service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(live_service, initial_filter=ALL_OF_FLOW, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await live_service.sync_now()
        app.screen.reload()  # type: ignore[attr-defined]
        await open_list(pilot, app)
        a, b = two_remediations(listed(app))
        await mark(pilot, app, a.id, b.id)
        stored = seeded.store.get_run(b.id)
        seeded.store.save_run(stored.model_copy(update={"summary": "Edited after the fact."}), [])
        await pilot.press("equals_sign")
        await settle(pilot, lambda: compared(app), "the comparison")
        screen = compare_screen(app)
        assert "changed since you chose it" in screen.notice_text
        assert screen.query_one("#compare-notice").has_class("-warning")
        summary = next(v for v in screen.comparison.result if v.name == "summary")  # type: ignore[union-attr]
        assert "Edited after the fact." in (summary.a, summary.b)

        screen.load(again=True)  # a live re-comparison that finds nothing new keeps the words
        await settle(pilot)
        assert "changed since you chose it" in screen.notice_text
        await pilot.press("u")  # the operator's own `u`: taken note of
        await settle(pilot, lambda: "nothing changed" in screen.notice_text, "u")


async def test_offline_compares_the_cached_copies_and_says_so(
    seeded: Any, live_service: RunsService, app_factory: Callable[..., RunsApp], tmp_path: Path
) -> None:
    await live_service.sync_now()
    runs = list(live_service.cache.iter_runs(ALL_OF_FLOW, live_service.now()))
    a, b = two_remediations(runs)
    for run in (a, b):
        await live_service.refresh_detail(run.id)
    offline = RunsService(live_service.cache, None, profile_label="cache")
    app = app_factory(offline, initial_filter=ALL_OF_FLOW, live=False)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CompareScreen(a.id, b.id))
        await settle(pilot, lambda: compared(app), "the comparison of cached copies")
        screen = compare_screen(app)
        assert "cached copy" in screen.notice_text
        assert "not confirmed by the backend" in screen.notice_text


async def test_hostile_text_is_shown_inert_and_u_compares_again(
    app_factory: Callable[..., RunsApp], empty_cache: Cache
) -> None:
    """Run names, step titles and tool output are data: escape sequences arrive as pictures,
    never as live escapes, in every row and in the diff."""
    from ui.detail_fixtures import failure_detail, hostile_strings, scripted, success_detail

    hostile = "".join(hostile_strings()[:12])
    a = success_detail("run-hostile-a")
    b = failure_detail("run-hostile-b")
    a = a.model_copy(update={"name": "Disk " + hostile})
    steps = list(b.steps)
    tool = steps[2].tool
    assert tool is not None
    steps[2] = steps[2].model_copy(
        update={"title": "Rotate " + hostile, "tool": tool.model_copy(update={"output": hostile})}
    )
    b = b.model_copy(update={"steps": steps})
    world = scripted(empty_cache)
    world.seed(a, b)
    app = app_factory(world.service, live=False)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CompareScreen(a.id, b.id))
        await settle(pilot, lambda: compared(app), "the comparison")
        screen = compare_screen(app)
        shown = "\n".join(
            str(row.render()) if not hasattr(row, "content") else str(row.content)
            for row in screen.query("Static")
        )
        rendered = "\n".join(
            strip.text
            for strip in app.screen._compositor.render_strips()  # what is drawn
        )
        for text in (shown, rendered):
            assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert "␛" in rendered

        await pilot.press("u")
        await settle(pilot, lambda: "nothing changed" in screen.notice_text, "compared again")
    await world.service.aclose()


async def test_equals_with_three_marked_or_no_earlier_run_says_why(
    app_factory: Callable[..., RunsApp], empty_cache: Cache
) -> None:
    from ui.detail_fixtures import failure_detail, progress_detail, scripted, success_detail

    world = scripted(empty_cache)
    world.seed(success_detail(), failure_detail(), progress_detail())
    lone = success_detail("run-lone").model_copy(update={"definition_id": "only-once"})
    world.seed(lone)
    app = app_factory(
        world.service, live=False, initial_filter=RunFilter(time=TimeRange(TimePreset.ALL))
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: len(listed(app)) == 4, "the runs")

        def told(words: str) -> bool:
            return any(words in n.message for n in app._notifications)

        await mark(pilot, app, "run-success", "run-failure", "run-progress")
        await pilot.press("equals_sign")
        await settle(pilot, lambda: told("Mark exactly two runs to compare them (3 marked)"))
        assert not isinstance(app.screen, CompareScreen)

        await pilot.press("escape")  # clears the marks
        await settle(pilot, lambda: not app.screen.query_one(RunList).marks, "no marks")
        lst = app.screen.query_one(RunList)
        lst.cursor = next(i for i, r in enumerate(listed(app)) if r.id == "run-lone")
        await pilot.press("equals_sign")
        await settle(pilot, lambda: told("No earlier run of “Disk space remediation”"))
        assert not isinstance(app.screen, CompareScreen)
    await world.service.aclose()
