"""The filter screen: every field, custom-range validation, reset, and name suggestions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from runs_tui.app import RunsApp
from runs_tui.models import RunKind, RunStatus, StatusGroup
from runs_tui.models.filters import RunFilter, TimePreset
from runs_tui.screens.filter import BadDate, FilterScreen, custom_range
from runs_tui.screens.runs import RunsScreen
from runs_tui.service import RunsService
from runs_tui.widgets.run_list import RunList

from .conftest import settle

SIZE = (120, 40)


def test_custom_range_parses_dates_and_whole_days() -> None:
    rng = custom_range("2025-11-20", "2025-11-21", UTC)
    assert rng.start == datetime(2025, 11, 20, tzinfo=UTC)
    assert rng.end == datetime(2025, 11, 22, tzinfo=UTC)  # the whole "to" day
    rng = custom_range("2025-11-20 08:15", "", UTC)
    assert rng.start == datetime(2025, 11, 20, 8, 15, tzinfo=UTC) and rng.end is None


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-13-40", "", "From: “2025-13-40” is not a date"),
        ("", "yesterday", "To: “yesterday” is not a date"),
        ("", "", "needs a From or a To"),
        ("2025-11-22", "2025-11-20", "From must be before To"),
    ],
)
def test_custom_range_rejects_with_a_clear_message(start: str, end: str, message: str) -> None:
    with pytest.raises(BadDate, match=message):
        custom_range(start, end, UTC)


async def open_filter(app: RunsApp, pilot) -> FilterScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f")
    await pilot.pause()
    assert isinstance(app.screen, FilterScreen)
    return app.screen


async def test_bad_custom_date_is_explained_and_nothing_applied(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_filter(app, pilot)
        screen.query_one("#time-custom").value = True
        await pilot.pause()
        assert screen.query_one("#custom-range").display
        screen.query_one("#filter-from").value = "2025-02-30"
        await pilot.click("#filter-apply")
        await pilot.pause()
        assert app.screen is screen
        assert "“2025-02-30” is not a date: use YYYY-MM-DD" in str(
            screen.query_one("#filter-error").render()
        )
        screen.query_one("#filter-from").value = "2025-11-22"
        screen.query_one("#filter-to").value = "2025-11-25"
        screen.query_one("#filter-to").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen), str(screen.query_one("#filter-error").render())
        lst = app.screen.query_one(RunList)
        assert lst.run_filter.time.preset is TimePreset.CUSTOM
        # strict range: the 3-day-old active run and the 5-day-old success are both in
        assert lst.total == 30 + 1 - 0
        assert "2025-11-22 00:00 – 2025-11-26 00:00" in str(
            app.screen.query_one("#filter-summary").render()
        )


async def test_single_status_and_name_then_reset(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_filter(app, pilot)
        screen.query_one("#filter-status").toggle(f"status:{RunStatus.COMPLETED_PARTIAL.value}")
        screen.query_one("#kind-flows").value = True
        screen.query_one("#filter-name").focus()
        await pilot.press(*"restart", "enter")
        await pilot.pause()
        lst = app.screen.query_one(RunList)
        assert lst.run_filter.statuses == frozenset({RunStatus.COMPLETED_PARTIAL})
        assert lst.run_filter.kind is RunKind.FLOW and lst.run_filter.name == "restart"
        assert all(
            r.status is RunStatus.COMPLETED_PARTIAL and "Restart" in r.name
            for r in lst.pager.rows(0, lst.total)
        )
        assert "Completed Partial · flows" in str(app.screen.query_one("#filter-summary").render())
        screen = await open_filter(app, pilot)
        await pilot.click("#filter-reset")
        await pilot.pause()
        assert app.screen.query_one(RunList).run_filter == RunFilter()


async def test_escape_cancels_without_change(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await open_filter(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(RunList).run_filter.group is StatusGroup.WAITING


async def test_name_field_suggests_cached_definitions(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_filter(app, pilot)
        name = screen.query_one("#filter-name")
        name.focus()
        await pilot.press(*"cert")
        await settle(pilot, lambda: name._suggestion == "Certificate rotation", what="a suggestion")
        await pilot.press("right")  # accept the suggestion
        assert name.value == "Certificate rotation"


def screen_lines(app: RunsApp) -> list[str]:
    """What the terminal shows, as text."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_focused_type_and_time_rows_stay_readable_with_a_cursor_glyph(
    service: RunsService, app_factory: Callable[..., RunsApp], no_color: bool, size: tuple[int, int]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=size) as pilot:
        await open_filter(app, pilot)
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "filter-kind"
        assert any("▸● All" in line and "○ Flows" in line for line in screen_lines(app))
        await pilot.press("right", "tab")
        await pilot.pause()
        assert app.focused.id == "filter-time"
        lines = screen_lines(app)
        assert any("24 hours" in line and "Custom range" in line and "▸" in line for line in lines)
        assert not any("▸" in line and "Flows" in line for line in lines)  # only the focused row


async def test_several_statuses_and_groups_at_once(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_filter(app, pilot)
        picker = screen.query_one("#filter-status")
        picker.highlighted = [key for key, _ in picker.choices].index("group:failed")
        await pilot.press("space")
        picker.highlighted = [key for key, _ in picker.choices].index(
            f"status:{RunStatus.CANCELLED.value}"
        )
        await pilot.press("enter")
        assert "[x]   Cancelled" in str(picker.get_option_at_index(picker.highlighted).prompt)
        screen.query_one("#filter-name").focus()
        await pilot.press("enter")
        await pilot.pause()
        lst = app.screen.query_one(RunList)
        assert lst.run_filter.statuses == StatusGroup.FAILED.statuses | {RunStatus.CANCELLED}
        assert {r.status for r in lst.pager.rows(0, lst.total)} <= lst.run_filter.statuses
        screen = await open_filter(app, pilot)  # reopened, the same rows are ticked
        ticked = screen.query_one("#filter-status").ticked
        assert ticked == {f"status:{s.value}" for s in lst.run_filter.statuses}
