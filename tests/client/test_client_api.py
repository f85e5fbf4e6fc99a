"""Every endpoint of the client against the real backend, and each refusal as its typed error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from client.backend_fixtures import FAST_RETRY, Backend
from runs_tui.client import RunsClient, new_idempotency_key
from runs_tui.errors import Gone, Invalid, NotFound, StateConflict, Unauthorized
from runs_tui.models.domain import RespondRequest, RunDetail, StartRunRequest, StreamEventType
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus


async def test_health_and_definitions(client: RunsClient) -> None:
    assert await client.health() is True
    assert [d.id for d in await client.definitions(RunKind.GUIDE)] == ["checklist"]
    assert await client.definitions(RunKind.FLOW) == []


async def test_a_wrong_token_is_unauthorized(backend: Backend) -> None:
    async with RunsClient(backend.url, backend.token + "x", retry=FAST_RETRY) as wrong:
        with pytest.raises(Unauthorized) as caught:
            await wrong.changes(None)
    assert caught.value.status == 401
    assert "token" in caught.value.explain()


async def test_change_feed_pages_and_an_expired_cursor_is_gone(
    backend: Backend, client: RunsClient, make_run: Callable[..., RunDetail]
) -> None:
    seeded = backend.seed(make_run, 5)
    first = await client.changes(None, limit=3)
    assert [r.id for r in first.changes] == [r.id for r in seeded[:3]] and first.has_more
    rest = await client.changes(first.next_cursor, limit=3)
    assert [r.id for r in rest.changes] == [r.id for r in seeded[3:]] and not rest.has_more
    backend.store.delete_runs([r.id for r in seeded])  # five tombstones, three retained
    with pytest.raises(Gone):
        await client.changes(rest.next_cursor)


async def test_run_detail_uses_the_etag(backend: Backend, client: RunsClient) -> None:
    run_id = backend.start_checklist()
    tagged = await client.get_run_tagged(run_id)
    assert tagged is not None and tagged.detail.id == run_id and tagged.etag
    assert await client.get_run(run_id, tagged.etag) is None
    backend.until_waiting(run_id)
    changed = await client.get_run_tagged(run_id, tagged.etag)
    assert changed is not None and changed.etag != tagged.etag
    with pytest.raises(NotFound):
        await client.get_run("no-such-run")


async def test_respond_refusals_are_typed(backend: Backend, client: RunsClient) -> None:
    run_id = backend.start_checklist()
    step = backend.waiting_step(run_id)
    with pytest.raises(Invalid) as invalid:
        await client.respond(run_id, step, RespondRequest(value="green"), new_idempotency_key())
    assert invalid.value.reason and invalid.value.explain() == f"Invalid: {invalid.value.reason}"
    detail = await client.respond(
        run_id, step, RespondRequest(value="red", answered_by="ann"), new_idempotency_key()
    )
    assert detail.id == run_id
    with pytest.raises(StateConflict) as conflict:
        await client.respond(
            run_id, step, RespondRequest(value="blue", answered_by="bob"), new_idempotency_key()
        )
    assert conflict.value.current["answered_by"] == "ann"
    assert "ann" in conflict.value.explain()


async def test_cancel_delete_and_rerun_style_start(
    backend: Backend, client: RunsClient, make_run: Callable[..., RunDetail]
) -> None:
    run_id = backend.start_checklist()
    cancelled = await client.cancel(run_id, new_idempotency_key())
    assert cancelled.status is RunStatus.CANCELLED
    [finished, other] = backend.seed(make_run, 2)
    with pytest.raises(StateConflict) as conflict:
        await client.cancel(finished.id, new_idempotency_key())
    assert conflict.value.current["status"] == "completed_success"
    await client.delete_run(finished.id)
    with pytest.raises(NotFound):
        await client.delete_run(finished.id)
    started = await client.start_run(
        RunKind.GUIDE, "checklist", StartRunRequest(inputs={"host": "h"}), new_idempotency_key()
    )
    result = await client.delete_runs([other.id, started.id, "ghost"])
    assert result.deleted == [other.id]
    assert [(r.run_id, r.code) for r in result.refused] == [
        (started.id, "conflict"),
        ("ghost", "not_found"),
    ]
    with pytest.raises(Invalid):
        await client.start_run(RunKind.GUIDE, "checklist", StartRunRequest(), new_idempotency_key())


async def test_list_runs_filters_by_status_group(
    backend: Backend, client: RunsClient, make_run: Callable[..., RunDetail]
) -> None:
    backend.seed(make_run, 2, status=RunStatus.COMPLETED_FAILURE)
    backend.seed(make_run, 3, status=RunStatus.COMPLETED_SUCCESS)
    page = await client.list_runs(
        statuses={RunStatus.COMPLETED_FAILURE}, kind=RunKind.FLOW, limit=10
    )
    assert len(page.runs) == 2 and {r.status for r in page.runs} == {RunStatus.COMPLETED_FAILURE}


async def test_stream_delivers_a_change_notice(backend: Backend, client: RunsClient) -> None:
    opened = asyncio.Event()
    seen: list[StreamEventType] = []

    async def listen() -> None:
        async for kind, data in client.stream(on_open=opened.set):
            seen.append(kind)
            if kind is StreamEventType.CHANGE:
                assert isinstance(data["seq"], int)
                return

    listener = asyncio.create_task(listen())
    await asyncio.wait_for(opened.wait(), 10)
    await asyncio.to_thread(backend.start_checklist)
    await asyncio.wait_for(listener, 10)
    assert seen[-1] is StreamEventType.CHANGE


async def test_respond_sends_values_only_for_a_typed_answer(
    backend: Backend, client: RunsClient
) -> None:
    """`values` answers by field; a one-field answer goes out as the `value` it always was."""
    assert "values" not in RespondRequest(value="red").model_dump_json(exclude={"values"})
    run_id = backend.start_checklist()
    step = backend.waiting_step(run_id)
    with pytest.raises(Invalid) as invalid:
        await client.respond(
            run_id, step, RespondRequest(values={"value": "green"}), new_idempotency_key()
        )
    assert invalid.value.reason.startswith("value: must be one of")  # the field, named
    detail = await client.respond(
        run_id, step, RespondRequest(values={"value": "blue"}), new_idempotency_key()
    )
    answered = next(s for s in detail.steps if s.id == step)
    assert answered.response is not None and answered.response.values == {"value": "blue"}
