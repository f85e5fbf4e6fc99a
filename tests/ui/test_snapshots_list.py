"""How the list screens look, at 120×40 and 80×24 (SVGs under __snapshots__/test_snapshots_list/).

Deterministic: fixed runs, a frozen clock, times in UTC, a steady input cursor, and a fixed
export folder. Regenerate with `pytest tests/ui/test_snapshots_list.py --snapshot-update` and look
at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runs_tui.app import RunsApp
from runs_tui.cache import Cache
from runs_tui.service import SyncMode, SyncStateChanged, SyncStatus

from .conftest import frozen_service
from .ui_data import NOW

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


EXPORT_DIR = Path("/home/operator/exports")  # the export dialog shows it: fixed, not tmp_path
Builder = Callable[[Cache], RunsApp]


@pytest.fixture
def build(app_factory: Callable[..., RunsApp]) -> Builder:
    """The app over `cache`, through the factory every UI test uses."""
    return lambda cache: app_factory(frozen_service(cache), export_dir=EXPORT_DIR)


@pytest.mark.parametrize("size", SIZES)
def test_default_list(
    snap_compare: Callable[..., bool],
    build: Builder,
    filled_cache: Cache,
    size: tuple[int, int],
    no_color: bool,
) -> None:
    """The cursor row in reverse video and every status legible under NO_COLOR."""
    assert snap_compare(build(filled_cache), press=["j"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_filtered_list(
    snap_compare: Callable[..., bool], build: Builder, filled_cache: Cache, size: tuple[int, int]
) -> None:
    assert snap_compare(
        build(filled_cache), press=["5", "slash", *"disk", "enter"], terminal_size=size
    )


@pytest.mark.parametrize("size", SIZES)
def test_marks(
    snap_compare: Callable[..., bool], build: Builder, filled_cache: Cache, size: tuple[int, int]
) -> None:
    assert snap_compare(
        build(filled_cache),
        press=["j", "j", "j", "j", "j", "j", "space", "space", "j", "space"],
        terminal_size=size,
    )


@pytest.mark.parametrize("size", SIZES)
def test_empty_cache(
    snap_compare: Callable[..., bool], build: Builder, empty_cache: Cache, size: tuple[int, int]
) -> None:
    assert snap_compare(build(empty_cache), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_offline(
    snap_compare: Callable[..., bool],
    build: Builder,
    filled_cache: Cache,
    size: tuple[int, int],
    no_color: bool,
) -> None:
    status = SyncStatus(
        SyncMode.OFFLINE,
        offline_since=NOW.replace(hour=14, minute=2),
        last_synced=NOW.replace(hour=14, minute=27),
        last_error="connection refused",
    )

    async def go_offline(pilot: Any) -> None:
        await pilot.app.service.feed(SyncStateChanged(status))
        await pilot.pause()

    assert snap_compare(build(filled_cache), terminal_size=size, run_before=go_offline)


@pytest.mark.parametrize("size", SIZES)
def test_filter_screen(
    snap_compare: Callable[..., bool], build: Builder, filled_cache: Cache, size: tuple[int, int]
) -> None:
    assert snap_compare(build(filled_cache), press=["f"], terminal_size=size)


FILTER_ROWS = ["filter-status", "filter-kind", "filter-time", "filter-name"]


@pytest.mark.parametrize("row", FILTER_ROWS)
@pytest.mark.parametrize("size", SIZES)
def test_filter_screen_focus(
    snap_compare: Callable[..., bool],
    build: Builder,
    filled_cache: Cache,
    size: tuple[int, int],
    row: str,
    no_color: bool,
) -> None:
    """Each row of the filter screen focused: never blank, and the focus visible without colour."""
    tabs = ["tab"] * FILTER_ROWS.index(row)
    assert snap_compare(build(filled_cache), press=["f", *tabs], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_filter_screen_bad_date(
    snap_compare: Callable[..., bool], build: Builder, filled_cache: Cache, size: tuple[int, int]
) -> None:
    async def bad_date(pilot: Any) -> None:
        await pilot.press("f")
        await pilot.pause()
        screen = pilot.app.screen
        screen.query_one("#time-custom").value = True
        screen.query_one("#filter-from").value = "2025-02-30"
        screen.query_one("#filter-from").focus()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(build(filled_cache), terminal_size=size, run_before=bad_date)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(
    snap_compare: Callable[..., bool], build: Builder, filled_cache: Cache, size: tuple[int, int]
) -> None:
    assert snap_compare(build(filled_cache), press=["question_mark"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_export_dialog(
    snap_compare: Callable[..., bool], build: Builder, filled_cache: Cache, size: tuple[int, int]
) -> None:
    assert snap_compare(build(filled_cache), press=["e"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_delete_confirmation(
    snap_compare: Callable[..., bool], build: Builder, filled_cache: Cache, size: tuple[int, int]
) -> None:
    assert snap_compare(build(filled_cache), press=["5", "x", "d"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_cancel_confirmation(
    snap_compare: Callable[..., bool], build: Builder, filled_cache: Cache, size: tuple[int, int]
) -> None:
    assert snap_compare(build(filled_cache), press=["c"], terminal_size=size)
