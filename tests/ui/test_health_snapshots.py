"""How the health screen looks (120×40 and 80×24, with and without NO_COLOR), and a run
header with its flow's recent record.

Fixed data (`health_fixtures`), frozen clock, times in UTC. Regenerate with
`--snapshot-update tests/ui/test_health_snapshots.py` and look at them.
"""

from __future__ import annotations

from typing import Any

import pytest

from runs_tui.cache import Cache
from runs_tui.screens.detail import RunDetailScreen
from runs_tui.screens.health import HealthScreen
from ui.conftest import frozen_service, settle
from ui.health_fixtures import health_runs
from ui.ui_data import fill

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


@pytest.mark.parametrize("size", SIZES)
def test_health_looks(size, no_color: bool, snap_compare, app_factory, empty_cache: Cache) -> None:
    """Last 7 days, getting worse first, the hostile title inert, the panel on the top line."""
    fill(empty_cache, health_runs())
    app = app_factory(frozen_service(empty_cache), live=False)

    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        await pilot.press("H")
        await settle(pilot, lambda: isinstance(pilot.app.screen, HealthScreen), "health")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_run_header_record_looks(size, snap_compare, app_factory, empty_cache: Cache) -> None:
    """A failed run of Database failover: its header says how its flow did lately."""
    runs = health_runs()
    fill(empty_cache, runs)
    failed = [r for r in runs if r.name == "Database failover"][-2]
    app = app_factory(frozen_service(empty_cache), live=False)

    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        pilot.app.push_screen(RunDetailScreen(failed.id))
        await settle(pilot, lambda: isinstance(pilot.app.screen, RunDetailScreen), "detail")

    assert snap_compare(app, terminal_size=size, run_before=run_before)
