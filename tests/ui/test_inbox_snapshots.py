"""How the inbox and the action log look (120×40 and 80×24, with and without NO_COLOR).

Fixed data, frozen clock (`NOW`), times in UTC; the operator's identity is known, so one item
says it may not be answered. Regenerate with `--snapshot-update -k inbox_snapshots` and look.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from runs_tui.action_log import Action, cancel_command, delete_command, respond_command
from runs_tui.cache import Cache
from runs_tui.events import CacheChanged
from runs_tui.messages import RunsChanged
from runs_tui.models.responders import Identity
from runs_tui.screens.action_log import ActionLogScreen
from runs_tui.screens.inbox import InboxScreen
from ui.conftest import settle
from ui.detail_fixtures import Scripted, answered_elsewhere, scripted
from ui.inbox_fixtures import inbox_runs, waiting_run

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    built.service.identity = Identity("operator", frozenset({"sre"}))
    yield built
    built.close()


def _runs() -> list[Any]:
    hostile = waiting_run(
        "run-h",
        "[bold]Hostile[/] \x1b]0;PWNED\x07 name",
        waited=timedelta(seconds=40),
        expires_in=timedelta(minutes=12),
        question="Proceed? \x1b[2J [red]markup[/]",
    )
    return [*inbox_runs(), hostile]


async def _inbox(pilot: Any) -> None:
    await pilot.pause()
    await pilot.press("i")
    await settle(pilot, lambda: isinstance(pilot.app.screen, InboxScreen), "the inbox")


@pytest.mark.parametrize("size", SIZES)
def test_inbox_looks(size, no_color: bool, snap_compare, app_factory, world) -> None:
    """Soonest deadline first, time left in words, hostile text inert, and the selected item's
    prompt under the list (the cursor on the hostile run, the second)."""
    world.seed(*_runs())
    app = app_factory(world.service, live=False)

    async def run_before(pilot: Any) -> None:
        await _inbox(pilot)
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_inbox_forbidden_item_looks(size, snap_compare, app_factory, world) -> None:
    """The cursor on run-d, which the operator started: the four-eyes rule, said."""
    world.seed(*_runs())
    app = app_factory(world.service, live=False)

    async def run_before(pilot: Any) -> None:
        await _inbox(pilot)
        await pilot.press("down", "down", "down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_inbox_answered_elsewhere_looks(size, snap_compare, app_factory, world) -> None:
    """The selected item was answered by someone else: its line says so, the prompt disarmed."""
    runs = _runs()
    world.seed(*runs)
    app = app_factory(world.service, live=False)

    async def run_before(pilot: Any) -> None:
        await _inbox(pilot)
        await pilot.press("down")  # run-h, the hostile one: a confirm the operator may answer
        await pilot.press("enter", "right")
        await settle(pilot)
        world.backend.put(answered_elsewhere(runs[4], "cli-oncall", "approve"))
        await world.service.sync_now()
        pilot.app.screen.post_message(RunsChanged(CacheChanged(frozenset({"run-h"}))))
        screen = pilot.app.screen
        await settle(pilot, lambda: screen.inbox_list.gone is not None, "the gone line")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_action_log_looks(size, no_color: bool, snap_compare, app_factory, world) -> None:
    world.seed(*inbox_runs())
    app = app_factory(world.service, live=False)

    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        record = pilot.app.record_action
        record(
            Action.ANSWER,
            respond_command("run-a", "s3", "approve", "logs rotated; ok"),
            run_id="run-a",
            run_name="Disk cleanup on db-1",
        )
        record(
            Action.CANCEL,
            cancel_command("run-c"),
            "run already finished: Completed Success",
            run_id="run-c",
            run_name="Restart web tier",
        )
        record(
            Action.BULK_DELETE,
            delete_command(["run-0001", "run-0002", "run-0003"]),
            run_name="3 runs",
        )
        await pilot.press("L")
        await settle(pilot, lambda: isinstance(pilot.app.screen, ActionLogScreen), "the log")

    assert snap_compare(app, terminal_size=size, run_before=run_before)
