"""The windowed list: layout, paging through the cache, inert hostile text, and ticking."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import pytest

from runs_tui.app import RunsApp
from runs_tui.cache import Cache
from runs_tui.events import CacheChanged
from runs_tui.messages import RunsChanged
from runs_tui.models import RunStatus, Trigger
from runs_tui.models.domain import TriggerKind
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.service import RunsService
from runs_tui.widgets.run_list import (
    RunList,
    RunPager,
    cell_value,
    format_duration,
    layout_columns,
    trigger_forms,
)

from .conftest import frozen_service, settle
from .ui_data import NOW, fill, hostile_values, make_run

ESCAPES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def spy_on_refresh(widget: RunList) -> list[Any]:
    """The regions the widget asks to redraw from now on (what reaches the terminal)."""
    regions: list[Any] = []
    original = widget.refresh
    widget.refresh = lambda *r, **k: (regions.extend(r), original(*r, **k))[1]  # type: ignore[method-assign]
    return regions


def test_format_duration() -> None:
    assert [format_duration(s) for s in (None, 0, 59, 61, 3599, 3661, 90000)] == [
        "—",
        "0s",
        "59s",
        "1m 01s",
        "59m 59s",
        "1h 01m",
        "1d 01h",
    ]


@pytest.mark.parametrize("width", [40, 60, 79, 80, 100, 119, 160, 220])
def test_layout_fills_the_width_and_keeps_status_and_name(width: int) -> None:
    layout = layout_columns(width)
    keys = [c.key for c in layout.columns]
    assert "status" in keys and "name" in keys
    last = layout.columns[-1]
    assert last.x + last.width <= width
    assert layout.column("name").width >= 1


def test_narrow_layout_drops_type_before_trigger() -> None:
    wide, narrow = layout_columns(160), layout_columns(79)
    assert {c.key for c in wide.columns} >= {"kind", "trigger", "started", "duration"}
    assert not wide.short_status
    assert narrow.column("kind") is None and narrow.column("trigger") is not None
    assert narrow.short_status and narrow.narrow_time


def test_a_120_column_terminal_shows_the_seed_labels_in_full() -> None:
    layout = layout_columns(120)
    assert not layout.short_status and layout.column("kind") and layout.column("trigger")


class CountingCache:
    """Wraps a Cache and records which query fetched each page."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def count(self, f: RunFilter, now: Any) -> int:
        return self.cache.count(f, now)

    def rows_at(self, f: RunFilter, now: Any, offset: int, limit: int) -> list:
        self.calls.append(("rows_at", {"offset": offset, "limit": limit}))
        return self.cache.rows_at(f, now, offset, limit)

    def window(self, f: RunFilter, now: Any, **kwargs: Any) -> list:
        self.calls.append(("window", kwargs))
        return self.cache.window(f, now, **kwargs)

    def get_run(self, run_id: str) -> Any:
        return self.cache.get_run(run_id)


def test_pager_fetches_neighbours_by_keyset_and_keeps_a_small_lru(empty_cache: Cache) -> None:
    runs = [
        make_run(
            i,
            f"run {i}",
            RunStatus.COMPLETED_SUCCESS,
            age=timedelta(seconds=i * 10),
            ran=timedelta(seconds=3),
        )
        for i in range(1, 1001)
    ]
    fill(empty_cache, runs)
    source = CountingCache(empty_cache)
    everything = RunFilter(time=TimeRange(TimePreset.ALL))
    pager = RunPager(source, everything, NOW)
    assert pager.total == 1000
    expected = [run.id for run in runs]  # newest first = smallest age first
    got = [pager.row(i).id for i in range(0, 3 * RunPager.PAGE)]
    assert got == expected[: 3 * RunPager.PAGE]
    kinds = [name for name, _ in source.calls]
    assert kinds == ["rows_at", "window", "window"]  # pages 1 and 2 by keyset after page 0
    assert pager.row(999).id == expected[999]  # jump to the end
    assert pager.row(999 - RunPager.PAGE).id == expected[999 - RunPager.PAGE]  # before, by keyset
    assert source.calls[-1][0] == "window" and source.calls[-1][1]["before"] is not None
    for index in range(0, 1000, RunPager.PAGE):
        pager.row(index)
    assert len(pager._pages) <= RunPager.MAX_PAGES


async def test_hostile_strings_render_inert_in_every_column(
    empty_cache: Cache, app_factory: Callable[..., RunsApp]
) -> None:
    values = hostile_values()
    runs = [
        make_run(
            i + 1,
            value,
            RunStatus.EXECUTING_TRIAGE if i % 2 else RunStatus.COMPLETED_FAILURE,
            age=timedelta(minutes=i + 1),
            ran=timedelta(seconds=30),
            trigger=Trigger(kind=TriggerKind.EXTERNAL, actor=value),
        )
        for i, value in enumerate(values)
    ]
    fill(empty_cache, runs)
    app = app_factory(frozen_service(empty_cache))
    async with app.run_test(size=(220, len(values) + 10)) as pilot:
        await pilot.pause()
        lst = app.screen.query_one(RunList)
        assert lst.total == len(values)
        texts = []
        for y in range(1, len(values) + 1):
            strip = lst.render_line(y)
            for segment in strip:
                assert not ESCAPES.search(segment.text), repr(segment.text)
                assert segment.style is None or not segment.style.link, "a link slipped in"
                assert segment.style is None or not (segment.style.meta or {}).get("@click")
            texts.append(strip.text)
        joined = "\n".join(texts)
        for literal in (
            "[bold]not bold[/]",
            "[@click=app.quit]quit[/]",
            "[link=http://evil.invalid]x",
            "␛[2J␛[H",
            "⟨U+202E⟩",
            "数据库健康检查",
        ):
            assert literal in joined, literal
        header = str(app.screen.query_one("#header").render())
        assert not ESCAPES.search(header)
        assert app.title == "runs-tui"


async def test_ticks_redraw_only_duration_cells_of_active_rows(
    filled_cache: Cache, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(frozen_service(filled_cache), ticking=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lst = app.screen.query_one(RunList)
        regions = spy_on_refresh(lst)
        lst.tick()
        duration = layout_columns(lst.scrollable_content_region.width).column("duration")
        # 5 visible active runs have started (pending and scheduled have no duration yet)
        assert len(regions) == 5
        assert all(
            r.x == duration.x and r.width == duration.width and r.height == 1 for r in regions
        )
        regions.clear()
        await pilot.press("4")  # completed runs only: nothing ticks
        lst.tick()
        assert regions == []


async def test_a_reload_redraws_only_the_rows_that_changed(
    filled_cache: Cache, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(frozen_service(filled_cache), ticking=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lst = app.screen.query_one(RunList)
        regions = spy_on_refresh(lst)
        lst.reload()  # nothing changed: nothing to send to the terminal
        assert regions == []
        third = lst.pager.peek(2)
        assert third is not None
        moved = third.model_copy(
            update={"current_step": "Step two", "version": third.version + 1, "seq": 10_000}
        )
        fill(filled_cache, [moved])
        lst.reload()
        assert [(r.y, r.height, r.width) for r in regions] == [(3, 1, lst.size.width)]
        await pilot.pause()
        assert lst.pager.peek(2) == moved


async def test_a_burst_of_changes_is_one_reload(
    filled_cache: Cache, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(frozen_service(filled_cache), ticking=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        reloads: list[int] = []
        original = screen.reload
        screen.reload = lambda: (reloads.append(1), original())[1]  # type: ignore[method-assign]
        started = time.monotonic()
        for index in range(10):  # one change every 20 ms, as 20 stepping runs make them
            screen.post_message(RunsChanged(CacheChanged(frozenset({f"run-{index:04d}"}))))
            await pilot.pause(0.02)  # the input's pace, not a wait for a result
        # the last, coalesced reload is still due
        await settle(pilot, lambda: screen._pacer.pending is None, "the coalesced reload")
        elapsed = time.monotonic() - started
        assert 1 <= len(reloads) <= 2 + elapsed * screen.RELOADS_PER_SECOND, (reloads, elapsed)


async def test_a_scheduled_runs_countdown_is_redrawn_when_its_minute_turns(
    tmp_path: Any, app_factory: Callable[..., RunsApp]
) -> None:
    due = NOW + timedelta(minutes=4, seconds=30)
    run = make_run(
        1,
        "Database health check",
        RunStatus.SCHEDULED_FOR_EXECUTION,
        age=timedelta(minutes=1),
        ran=None,
    )
    cache = Cache.open(tmp_path / "cache.sqlite3")
    fill(cache, [run.model_copy(update={"scheduled_for": due})])
    clock = [NOW]
    service = RunsService(cache, client=None, now=lambda: clock[0], profile_label="demo")
    app = app_factory(service, ticking=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lst = app.screen.query_one(RunList)
        assert "in 4 min" in lst.render_line(1).text
        status = layout_columns(lst.scrollable_content_region.width).column("status")
        regions = spy_on_refresh(lst)
        clock[0] = NOW + timedelta(seconds=20)  # still "in 4 min": nothing to redraw
        lst.tick()
        assert regions == []
        clock[0] = NOW + timedelta(seconds=31)  # now "in 3 min"
        lst.tick()
        assert [(r.x, r.y, r.width) for r in regions] == [(status.x, 1, status.width)]
        await pilot.pause()
        assert "in 3 min" in lst.render_line(1).text


async def test_a_scheduled_run_with_a_start_time_shows_no_duration_and_does_not_tick(
    tmp_path: Any, app_factory: Callable[..., RunsApp]
) -> None:
    """The engine sets `started_at` on a scheduled run long before it runs: no "42s"."""
    run = make_run(
        1,
        "Database health check",
        RunStatus.SCHEDULED_FOR_EXECUTION,
        age=timedelta(minutes=1),
        ran=timedelta(seconds=42),
    )
    assert run.started_at is not None
    cache = Cache.open(tmp_path / "cache.sqlite3")
    fill(cache, [run.model_copy(update={"scheduled_for": NOW + timedelta(minutes=5)})])
    service = RunsService(cache, client=None, now=lambda: NOW, profile_label="demo")
    app = app_factory(service, ticking=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lst = app.screen.query_one(RunList)
        layout = layout_columns(lst.scrollable_content_region.width)
        duration = layout.column("duration")
        assert duration is not None
        shown = lst.current_run
        assert shown is not None
        assert cell_value(shown, duration, layout, NOW, UTC)[0] == "—"
        assert "42s" not in lst.render_line(1).text and "55s" not in lst.render_line(1).text
        regions = spy_on_refresh(lst)
        lst.tick()
        assert regions == []


@pytest.mark.parametrize("width", [40, 79, 119, 160])
def test_the_run_name_is_the_first_column(width: int) -> None:
    keys = [c.key for c in layout_columns(width).columns]
    assert keys[:2] == ["mark", "name"]


def test_at_80_columns_names_and_triggers_read_whole() -> None:
    layout = layout_columns(79)  # an 80-column terminal less the scrollbar
    assert layout.column("name").width >= len("Database health check")
    trigger = layout.column("trigger")
    run = make_run(
        1,
        "Database health check",
        RunStatus.COMPLETED_SUCCESS,
        age=timedelta(hours=1),
        ran=timedelta(seconds=5),
        trigger=Trigger(kind=TriggerKind.MANUAL, actor="carol@example.com"),
    )
    assert cell_value(run, trigger, layout, NOW, UTC)[0] == "manual · carol"
    wide = layout_columns(160)
    assert (
        cell_value(run, wide.column("trigger"), wide, NOW, UTC)[0] == "manual · carol@example.com"
    )


def test_trigger_forms_say_the_kind_once() -> None:
    assert trigger_forms("chat", "chat:#ops") == ("chat · #ops", "#ops")
    assert trigger_forms("schedule", "schedule") == ("schedule",)
    assert trigger_forms("manual", "") == ("manual",)
    assert trigger_forms("manual", "bob@example.com")[-1] == "bob"


async def test_every_way_of_setting_the_cursor_lands_on_a_row(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    """`validate_cursor` clamps once for every move (keys, clicks, code), not each action."""
    app = app_factory(service)
    async with app.run_test(size=(120, 40)) as pilot:
        lst = app.screen.query_one(RunList)
        lst.cursor = 10_000
        assert lst.cursor == lst.total - 1
        lst.cursor = -5
        assert lst.cursor == 0
        await pilot.press("k", "up", "pageup")
        assert lst.cursor == 0
        await pilot.press("G", "j", "down", "pagedown")
        assert lst.cursor == lst.total - 1
        await pilot.press("g")
        assert lst.cursor == 0


async def test_the_list_has_its_own_keys_only(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    """`inherit_bindings=False`: ScrollView's keys (sideways, ctrl+home…) are not the list's,
    not even disabled ones; its own keys are all there."""
    app = app_factory(service)
    async with app.run_test(size=(120, 40)):
        lst = app.screen.query_one(RunList)
        assert app.focused is lst
        keys = set(app.active_bindings)
        declared = set(lst._bindings.key_to_bindings)  # what the class carries, enabled or not
        assert not {"left", "right", "ctrl+home", "ctrl+end", "ctrl+pageup"} & (keys | declared)
        own = {key for binding in RunList.BINDINGS for key in binding.key.split(",")}  # type: ignore[union-attr]
        assert own <= keys
