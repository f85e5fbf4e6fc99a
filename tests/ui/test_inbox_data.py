"""The inbox as the service builds it: order, words, refusals, the cache alone and fetching."""

from __future__ import annotations

from datetime import timedelta

from runs_tui.cache import Cache
from runs_tui.inbox import Urgency
from runs_tui.models.responders import Identity

from .conftest import frozen_service
from .detail_fixtures import NOW, answered_elsewhere, scripted, store, summary_of
from .inbox_fixtures import inbox_runs, waiting_run


async def test_order_is_soonest_deadline_then_longest_waiting(empty_cache: Cache) -> None:
    store(empty_cache, *inbox_runs())
    inbox = frozen_service(empty_cache).inbox()
    assert [item.run_id for item in inbox.items] == ["run-c", "run-b", "run-d", "run-a"]
    assert inbox.problems == ()


async def test_words_for_time_left_and_waited(empty_cache: Cache) -> None:
    store(empty_cache, *inbox_runs())
    items = {item.run_id: item for item in frozen_service(empty_cache).inbox().items}
    assert items["run-c"].time_left_words(NOW) == "2m 00s left"
    assert items["run-c"].urgency(NOW) is Urgency.URGENT
    assert items["run-b"].urgency(NOW) is Urgency.LATER
    assert items["run-a"].time_left_words(NOW) == "no deadline"
    assert items["run-c"].time_left_words(NOW + timedelta(minutes=3)) == "expired 1m 00s ago"
    assert items["run-d"].waited_words(NOW) == "2h 00m"
    assert items["run-b"].question == "Rotate the certificate of api.example.com now?"


async def test_refusals_come_from_the_prompt_rules(empty_cache: Cache) -> None:
    store(empty_cache, *inbox_runs())
    service = frozen_service(empty_cache)
    assert all(item.may_answer for item in service.inbox().items)  # identity unknown yet
    service.identity = Identity("operator", frozenset({"sre"}))
    items = {item.run_id: item for item in service.inbox().items}
    assert items["run-a"].may_answer
    assert items["run-c"].refusal == "only group:dba may answer this step"
    assert "four-eyes" in (items["run-d"].refusal or "")


async def test_a_waiting_run_without_cached_detail_is_listed_unfetched(empty_cache: Cache) -> None:
    runs = inbox_runs()
    store(empty_cache, *runs)
    from runs_tui.models import ChangesPage

    lone = waiting_run("run-e", "Only in the list", waited=timedelta(minutes=1))
    empty_cache.apply_changes(
        ChangesPage(changes=[summary_of(lone)], deleted=[], next_cursor=99_999, has_more=False)
    )
    service = frozen_service(empty_cache)
    items = {item.run_id: item for item in service.inbox().items}
    assert not items["run-e"].known and items["run-e"].question is None
    assert service.inbox_stale() == ["run-e"]
    inbox = await service.refresh_inbox()
    assert inbox.problems == ("1 waiting run not fetched: no backend configured",)


async def test_refresh_fetches_stale_details_from_the_backend(empty_cache: Cache) -> None:
    first = waiting_run("run-a", "Disk cleanup", waited=timedelta(minutes=3))
    world = scripted(empty_cache)
    try:
        world.seed(first)
        answered = answered_elsewhere(first)
        world.backend.put(answered)
        await world.service.sync_now()
        assert world.service.inbox_stale() == ["run-a"]
        inbox = await world.service.refresh_inbox()
        assert [item.prompt_id for item in inbox.items] == ["p-next"]
        assert world.service.inbox_stale() == []
    finally:
        await world.service.aclose()


async def test_a_detail_that_cannot_be_fetched_is_said_and_the_cache_still_listed(
    empty_cache: Cache,
) -> None:
    first = waiting_run("run-a", "Disk cleanup", waited=timedelta(minutes=3))
    world = scripted(empty_cache)
    try:
        world.seed(first)
        world.backend.put(first.model_copy(update={"version": 2}))
        await world.service.sync_now()
        world.backend.down("detail")
        inbox = await world.service.refresh_inbox()
        assert [item.run_id for item in inbox.items] == ["run-a"]
        assert inbox.problems and inbox.problems[0].startswith("1 waiting run could not be fetched")
    finally:
        await world.service.aclose()
