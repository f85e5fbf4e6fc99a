"""How the comparison looks (120×40 and 80×24): a failed run beside the previous successful
run of its flow, opened with `=` from the list; the same after `f` (the first difference);
and a comparison whose second run was deleted meanwhile.

Fixed data, frozen clock (`NOW`), times in UTC, the real service stack over the scripted
backend (`detail_fixtures.scripted`), so the SVGs are the same on every machine. Regenerate with
`--snapshot-update` on this file only and look at the changed ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from runs_tui.cache import Cache
from runs_tui.models.domain import RunDetail
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.screens.compare import CompareScreen
from ui.conftest import settle
from ui.detail_fixtures import Scripted, failure_detail, scripted, success_detail

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]
ALL_TIME = RunFilter(time=TimeRange(TimePreset.ALL))


def previous_success() -> RunDetail:
    """The flow's run before the failure: the same steps until the remediation parted."""
    run = success_detail("run-success-before")
    earlier = timedelta(hours=1)
    return run.model_copy(
        update={"created_at": run.created_at - earlier, "started_at": run.created_at - earlier}
    )


def _compare(*keys: str, delete: str | None = None) -> Callable[[Any], Awaitable[None]]:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        if delete is not None:
            pilot.app.world.backend.remove(delete)
        await pilot.press("equals_sign")  # the failed run is the newest: under the cursor
        await settle(pilot, lambda: isinstance(pilot.app.screen, CompareScreen), "compare")
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


SCENARIOS: dict[str, Callable[[Any], Awaitable[None]]] = {
    "failed_vs_previous_success": _compare(),
    "first_difference": _compare("f"),
    "deleted_meanwhile": _compare(delete="run-success-before"),
}


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_compare_looks(
    scenario: str, size: tuple[int, int], snap_compare: Any, app_factory: Any, world: Scripted
) -> None:
    world.seed(previous_success(), failure_detail())
    app = app_factory(world.service, live=False, initial_filter=ALL_TIME)
    app.world = world  # type: ignore[attr-defined]
    assert snap_compare(app, terminal_size=size, run_before=SCENARIOS[scenario])
