"""The inbox screen: opened by one key, answered in place with the detail's prompt, live, and
the cursor kept on its item while the list changes under it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from runs_tui.action_log import Outcome
from runs_tui.cache import Cache
from runs_tui.events import CacheChanged, WaitingStarted
from runs_tui.messages import RunsChanged, RunWaiting
from runs_tui.models.responders import Identity
from runs_tui.screens.inbox import InboxScreen
from runs_tui.widgets.inbox_list import InboxList
from runs_tui.widgets.prompt import ChoicePicker, PromptPanel
from ui.conftest import settle
from ui.detail_fixtures import Scripted, answered_elsewhere, screen_text, scripted, summary_of
from ui.fake_backend import reply
from ui.inbox_fixtures import inbox_runs, waiting_run


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


async def _open_inbox(app, pilot) -> InboxScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.press("i")
    await settle(pilot, lambda: isinstance(app.screen, InboxScreen), "the inbox")
    return app.screen


def _ids(screen: InboxScreen) -> list[str]:
    return [item.run_id for item in screen.inbox_list.items]


async def _changed(app, pilot, world: Scripted, *details) -> None:  # type: ignore[no-untyped-def]
    """The backend changes these runs and the app hears of it; settled once the inbox shows
    the change (its re-reads are coalesced on a timer)."""
    for detail in details:
        world.backend.put(detail)
    await world.service.sync_now()
    ids = frozenset(detail.id for detail in details)
    screen = app.screen
    app.screen.post_message(RunsChanged(CacheChanged(ids)))
    wanted = {(d.id, s.prompt.prompt_id) for d in details for s in [d.waiting_step()] if s}

    def shown() -> bool:
        listed = {(i.run_id, i.prompt_id) for i in screen.inbox_list.items}
        gone = {d.id for d in details} - {run_id for run_id, _ in wanted}
        return wanted <= listed and not any(i.run_id in gone for i in screen.inbox_list.items)

    await settle(pilot, shown, "the inbox to show the change")


async def test_i_opens_the_inbox_in_order_with_the_key_in_the_header(app_factory, world) -> None:
    world.seed(*inbox_runs())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "◆ 4 waiting for input (i)" in screen_text(app)
        screen = await _open_inbox(app, pilot)
        assert _ids(screen) == ["run-c", "run-b", "run-d", "run-a"]
        text = screen_text(app)
        assert "4 steps wait for a person" in text
        assert "2m 00s left" in text and "45m 00s left" in text and "no deadline" in text
        assert "◆ 4 waiting for input (i)" in text
        # The selected item's prompt is shown, not focused: Enter takes it up.
        prompt = screen.query_one(PromptPanel)
        assert prompt.armed and prompt.step_id == "s3" and prompt.prompt_id == "p-run-c"
        assert isinstance(app.focused, InboxList)


async def test_enter_answers_in_place_then_moves_to_the_next(app_factory, world) -> None:
    runs = inbox_runs()
    world.seed(*runs)
    first = runs[2]  # run-c, the soonest deadline: a complete prompt
    world.backend.script("respond", reply(200, first, then=answered_elsewhere(first, "operator")))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_inbox(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.focused, ChoicePicker)
        await pilot.press("enter")  # done
        await settle(pilot)
        sent = world.backend.requests("respond")
        assert len(sent) == 1
        assert sent[0].path == "/runs/run-c/steps/s3/response"
        assert sent[0].body["value"] == "done" and sent[0].body["prompt_id"] == "p-run-c"
        # The answered item left; the cursor is on the next one, the focus on the list.
        assert screen.inbox_list.selected is not None
        assert screen.inbox_list.selected.run_id == "run-b"
        assert isinstance(app.focused, InboxList)
        assert screen.query_one(PromptPanel).prompt_id == "p-run-b"
        entry = app.action_log.entries()[0]
        assert entry.outcome is Outcome.OK and entry.run_id == "run-c"
        assert entry.command == "runs-tui runs respond run-c --step s3 --value done"


async def test_the_cursor_stays_on_its_item_when_others_arrive_and_leave(
    app_factory, world
) -> None:
    runs = inbox_runs()
    world.seed(*runs)
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_inbox(app, pilot)
        await pilot.press("down", "down")
        assert screen.inbox_list.selected.run_id == "run-d"
        urgent = waiting_run(
            "run-z",
            "Page: DB failover",
            waited=timedelta(seconds=5),
            expires_in=timedelta(seconds=30),
        )
        await _changed(app, pilot, world, urgent)
        assert _ids(screen)[0] == "run-z"
        assert screen.inbox_list.selected.run_id == "run-d"
        assert screen.query_one(PromptPanel).prompt_id == "p-run-d"
        # run-b answered elsewhere: it leaves, the cursor still on run-d.
        await _changed(app, pilot, world, answered_elsewhere(runs[1]))
        assert ("run-b", "p-run-b") not in {
            (i.run_id, i.prompt_id) for i in screen.inbox_list.items
        }
        assert ("run-b", "p-next") in {(i.run_id, i.prompt_id) for i in screen.inbox_list.items}
        assert screen.inbox_list.selected.run_id == "run-d"


async def test_an_item_answered_elsewhere_says_so_until_the_operator_moves(
    app_factory, world
) -> None:
    runs = inbox_runs()
    world.seed(*runs)
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_inbox(app, pilot)
        await pilot.press("enter")  # into run-c's prompt
        await settle(pilot)
        await pilot.press("right")  # a draft: failed
        await _changed(app, pilot, world, answered_elsewhere(runs[2], "cli-oncall", "done"))
        listing = screen.inbox_list
        assert listing.selected is None and listing.gone is not None
        assert listing.gone.words.startswith("answered ‘done’ by cli-oncall at 14:23:20")
        assert "answered ‘done’ by cli-oncall" in screen_text(app)
        prompt = screen.query_one(PromptPanel)
        assert not prompt.armed  # disarmed, never re-pointed
        assert "cli-oncall answered ‘done’" in prompt.disarmed_text
        await pilot.press("enter")
        await settle(pilot)
        assert world.backend.requests("respond") == []
        assert isinstance(app.focused, InboxList)
        await pilot.press("down")
        assert listing.gone is None
        assert listing.selected is not None and listing.selected.key != runs[2].id


async def test_a_forbidden_item_says_why_and_takes_no_answer(app_factory, world) -> None:
    world.seed(*inbox_runs())
    world.service.identity = Identity("operator", frozenset({"sre"}))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_inbox(app, pilot)
        assert screen.inbox_list.selected.run_id == "run-c"
        text = screen_text(app)
        assert "You may not answer this one: only group:dba may answer this step." in text
        assert not screen.query_one(PromptPanel).armed
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.focused, InboxList)
        assert world.backend.requests("respond") == []


async def test_a_run_that_starts_waiting_is_listed_live(app_factory, world) -> None:
    world.seed(*inbox_runs()[:1])
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_inbox(app, pilot)
        assert _ids(screen) == ["run-a"]
        newcomer = waiting_run("run-n", "New one", waited=timedelta(seconds=1))
        world.backend.put(newcomer)
        await world.service.sync_now()
        app.screen.post_message(RunWaiting(WaitingStarted(summary_of(newcomer))))
        await settle(pilot, lambda: "run-n" in _ids(screen), "the new run listed")
        assert screen.inbox_list.selected.run_id == "run-a"


async def test_an_item_listed_before_its_question_was_fetched_keeps_the_cursor(
    app_factory, world
) -> None:
    """Offline at first: the list knows run-a waits, its detail is not cached. Once fetched,
    the same line gets its question and the cursor stays on it (not "asked again")."""
    from runs_tui.models import ChangesPage

    runs = inbox_runs()
    world.seed(*runs[1:])
    world.cache.apply_changes(
        ChangesPage(changes=[summary_of(runs[0])], deleted=[], next_cursor=50_000, has_more=False)
    )
    world.backend.seed(runs[0])
    world.backend.down("detail")
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_inbox(app, pilot)
        unfetched = next(i for i in screen.inbox_list.items if i.run_id == "run-a")
        assert not unfetched.known
        assert "1 waiting run could not be fetched" in screen_text(app)
        assert "(question not fetched)" in screen_text(app)
        assert screen.inbox_list.select(unfetched.key)
        await pilot.press("enter")
        await settle(pilot)
        assert world.backend.requests("respond") == []  # nothing to answer without the question
        world.backend.up("detail")
        await pilot.press("u")
        await settle(pilot, lambda: screen.inbox_list.selected.known, "the question fetched")
        assert screen.inbox_list.gone is None
        assert screen.inbox_list.selected.run_id == "run-a"
        assert screen.query_one(PromptPanel).prompt_id == "p-run-a"


async def test_time_left_is_current_the_moment_the_inbox_is_uncovered(app_factory, world) -> None:
    """Covered by a run's detail the inbox does not repaint, but what it shows when it comes
    back is the time left now, not when it was covered."""
    from ui.detail_fixtures import NOW

    clock = {"now": NOW}
    world.service._now = lambda: clock["now"]
    world.seed(*inbox_runs())
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_inbox(app, pilot)
        assert "2m 00s left" in screen_text(app)
        app.open_run("run-d")
        await settle(pilot)
        assert app.screen is not screen
        clock["now"] = NOW + timedelta(seconds=75)
        app.pop_screen()
        await settle(pilot, lambda: app.screen is screen, "the inbox again")
        text = screen_text(app)
        assert "45s left" in text and "2m 00s left" not in text, text
