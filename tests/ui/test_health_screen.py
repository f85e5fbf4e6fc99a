"""The health screen: opened by H, the figures those of the cache, getting worse first, the
window changed by 1/2/3 and c, Enter opening the runs list filtered to the line, and the
figures following runs that finish or go while it is open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from runs_tui.cache import Cache
from runs_tui.events import CacheChanged
from runs_tui.models import ChangesPage, RunKind, RunStatus
from runs_tui.models.filters import TimePreset
from runs_tui.models.health import DefinitionKey, HealthWindow, window_span
from runs_tui.screens.health import CustomWindowDialog, HealthScreen
from runs_tui.screens.runs import RunsScreen
from ui.conftest import frozen_service, settle
from ui.health_fixtures import HOSTILE, NOW, health_runs
from ui.ui_data import fill, make_run


async def _open(pilot: Any) -> HealthScreen:
    await pilot.pause()
    await pilot.press("H")
    await settle(pilot, lambda: isinstance(pilot.app.screen, HealthScreen), "the health screen")
    return pilot.app.screen


def _names(screen: HealthScreen) -> list[str]:
    assert screen.report is not None
    return [line.key.name for line in screen.report.lines]


def _line(screen: HealthScreen, name: str) -> Any:
    assert screen.report is not None
    return next(line for line in screen.report.lines if line.key.name == name)


async def test_health_screen_shows_the_caches_figures_worse_first(
    empty_cache: Cache, app_factory
) -> None:
    fill(empty_cache, health_runs())
    service = frozen_service(empty_cache)
    app = app_factory(service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert screen.window is HealthWindow.LAST_7D
        expected = empty_cache.health(window_span(HealthWindow.LAST_7D, NOW))
        assert screen.report is not None and screen.report.lines == expected
        assert _names(screen)[0] == "Database failover"  # failure rate up from 0 to 50 %
        worse = _line(screen, "Database failover")
        assert (worse.counts.runs, worse.counts.failed, worse.counts.partial) == (7, 2, 1)
        assert worse.unresolved == 1 and worse.outcome_marks.endswith("✗·")
        hostile = _line(screen, HOSTILE)
        assert hostile.unresolved == 3
        shown = str(screen.query_one("#health-title").render())
        assert "last 7 days" in shown and "4 unresolved failures" in shown
        panel = str(screen.query_one("#health-panel").render())
        assert "Database failover (flow)" in panel and "1 unresolved" in panel

        await pilot.press("1")
        await settle(pilot, lambda: screen.window is HealthWindow.LAST_24H, "the 24 h window")
        day = empty_cache.health(window_span(HealthWindow.LAST_24H, NOW))
        assert screen.report.lines == day
        await pilot.press("3")
        await settle(pilot, lambda: screen.window is HealthWindow.LAST_30D, "the 30 d window")
        assert _line(screen, "Certificate rotation").counts.runs == 5


async def test_enter_opens_the_runs_list_filtered_to_the_line(
    empty_cache: Cache, app_factory
) -> None:
    fill(empty_cache, health_runs())
    app = app_factory(frozen_service(empty_cache), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("3")
        await settle(pilot, lambda: screen.window is HealthWindow.LAST_30D)
        index = _names(screen).index("Certificate rotation")
        screen.lines.highlighted = index
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs list")
        runs = app.screen
        assert isinstance(runs, RunsScreen)
        shown = runs.run_filter
        assert shown.kind is RunKind.GUIDE and shown.name == "Certificate rotation"
        assert shown.time.preset is TimePreset.LAST_30D and not shown.statuses
        await settle(pilot, lambda: runs.run_list.total == 5, "the guide's five runs")


async def test_a_custom_window(empty_cache: Cache, app_factory) -> None:
    fill(empty_cache, health_runs())
    app = app_factory(frozen_service(empty_cache), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, CustomWindowDialog), "the dialog")
        start = (NOW - timedelta(hours=12)).strftime("%Y-%m-%d %H:%M")
        await pilot.press(*"not a date", "enter")
        await settle(pilot)
        assert "Not a date" in str(app.screen.query_one("#custom-error").render())
        app.screen.query_one("#custom-from").value = start
        await pilot.press("enter")
        await settle(pilot, lambda: app.screen is screen, "back on the health screen")
        assert screen.window is HealthWindow.CUSTOM
        assert screen.report is not None
        assert screen.report.span.end - screen.report.span.start == 12 * 3600 * 10**6
        assert _line(screen, "Database failover").counts.runs == 2  # 5 h and 1 h ago


async def test_the_figures_follow_runs_finishing_and_going(empty_cache: Cache, app_factory) -> None:
    runs = health_runs()
    fill(empty_cache, runs)
    app = app_factory(frozen_service(empty_cache))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        key = DefinitionKey(RunKind.FLOW, "Database failover")
        assert _line(screen, key.name).counts.runs == 7
        running = next(r for r in runs if r.status is RunStatus.EXECUTING_TRIAGE)
        # a second actor: the running one fails, the unresolved hostile guide's last run goes
        finished = make_run(
            int(running.id.split("-")[1]),
            running.name,
            RunStatus.COMPLETED_FAILURE,
            age=timedelta(hours=1),
            ran=timedelta(minutes=3),
        ).model_copy(update={"seq": 10_000})
        gone = [r.id for r in runs if r.name == HOSTILE][-1]
        empty_cache.apply_changes(
            ChangesPage(changes=[finished], deleted=[gone], next_cursor=99_999, has_more=False)
        )
        await app.service.feed(CacheChanged(frozenset({running.id, gone})))  # type: ignore[attr-defined]
        await settle(
            pilot, lambda: _line(screen, key.name).counts.failed == 3, "the failure counted"
        )
        assert _line(screen, key.name).unresolved == 2
        assert _line(screen, HOSTILE).unresolved == 2
        assert screen.report is not None
        assert screen.report.lines == empty_cache.health(window_span(HealthWindow.LAST_7D, NOW))


async def test_the_run_header_says_how_its_flow_did_lately(empty_cache: Cache, app_factory) -> None:
    from runs_tui.screens.detail import RunDetailScreen
    from runs_tui.widgets.run_header import RunHeader

    runs = health_runs()
    fill(empty_cache, runs)
    failed = [r for r in runs if r.name == "Database failover"][-2]
    app = app_factory(frozen_service(empty_cache), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(RunDetailScreen(failed.id))
        await settle(pilot, lambda: isinstance(app.screen, RunDetailScreen), "the detail")
        header = app.screen.query_one(RunHeader)
        await settle(pilot, lambda: header.run is not None, "the run in the header")
        assert "Flow record 3 of the last 9 runs failed" in str(header.render())


async def test_tab_7_lists_the_unresolved_failures_with_their_count(
    empty_cache: Cache, app_factory
) -> None:
    from runs_tui.widgets.group_bar import GroupBar

    runs = health_runs()
    fill(empty_cache, runs)
    app = app_factory(frozen_service(empty_cache))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        await pilot.press("7")
        await settle(pilot, lambda: screen.run_filter.unresolved, "the unresolved tab")
        bar = screen.query_one(GroupBar)
        # 24 hours: Database failover's failure 5 h ago and the hostile guide's 3 h ago
        await settle(pilot, lambda: screen.run_list.total == 2, "two unresolved failures")
        assert bar.unresolved == 2 and bar.unresolved_current
        assert "7 Unresolved 2" in str(bar.render())
        # a second actor: Database failover succeeds now; its failure is resolved
        fixed = make_run(
            900,
            "Database failover",
            RunStatus.COMPLETED_SUCCESS,
            age=timedelta(minutes=30),
            ran=timedelta(minutes=10),
        )
        empty_cache.apply_changes(
            ChangesPage(changes=[fixed], deleted=[], next_cursor=99_999, has_more=False)
        )
        await app.service.feed(CacheChanged(frozenset({fixed.id})))  # type: ignore[attr-defined]
        await settle(pilot, lambda: screen.run_list.total == 1, "one unresolved failure left")
        await settle(pilot, lambda: bar.unresolved == 1, "the tab's count")
        await pilot.press("1")
        await settle(pilot, lambda: not screen.run_filter.unresolved, "back to all")
