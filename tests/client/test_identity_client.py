"""The client and the service against a real backend with a team config (issue 13): `me()`,
`Forbidden` for a prompt's rules, `X-Runs-Client`, and `RunsService.answer_refusal` speaking
before a send, in the backend's words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from client.backend_fixtures import FAST_RETRY
from runs_tui.backend.clock import FakeClock
from runs_tui.backend.server import EmbeddedBackend
from runs_tui.cache import Cache
from runs_tui.client import RunsClient
from runs_tui.errors import Forbidden
from runs_tui.idempotency import new_idempotency_key
from runs_tui.models.domain import RespondRequest, RunDetail, StartRunRequest
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.responders import Identity
from runs_tui.service import RunsService

DEFINITIONS = str(Path(__file__).parents[1] / "backend" / "who_definitions")


@pytest.fixture
def approvals(backend_db: str, backend_token: str, team: Any) -> Iterator[EmbeddedBackend]:
    clock = FakeClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    with EmbeddedBackend(
        db_url=backend_db,
        token=backend_token,
        clock=clock,
        definitions_dir=DEFINITIONS,
        config=team.path,
    ) as backend:
        backend.clock = clock  # type: ignore[attr-defined]
        backend.team = team  # type: ignore[attr-defined]
        yield backend


def _waiting(backend: EmbeddedBackend, starter: str) -> RunDetail:
    request = StartRunRequest.model_validate({"trigger": {"actor": starter}})
    run_id = backend.run(
        backend.engine.start_run(RunKind.GUIDE, "approvals", request, identity=Identity(starter))
    ).id
    for _ in range(100):
        run = backend.store.get_run(run_id)
        if run.status.is_waiting:
            return run
        backend.run(backend.clock.advance(1))  # type: ignore[attr-defined]
    raise AssertionError("the run never waited")


def _client(backend: EmbeddedBackend, name: str, client_name: str | None = None) -> RunsClient:
    token = backend.team.token(name)  # type: ignore[attr-defined]
    return RunsClient(backend.url, token, retry=FAST_RETRY, client_name=client_name)


async def test_me_and_a_forbidden_answer_is_typed(approvals: EmbeddedBackend) -> None:
    run = _waiting(approvals, "ann")
    step = run.waiting_step()
    assert step is not None and step.prompt is not None
    async with _client(approvals, "dana-sre") as dana:
        me = await dana.me()
        assert (me.name, me.groups) == ("dana-sre", ["oncall"])
        with pytest.raises(Forbidden) as refused:
            request = RespondRequest(value="done", prompt_id=step.prompt.prompt_id)
            await dana.respond(run.id, step.id, request, new_idempotency_key())
    assert refused.value.rule == "responders" and refused.value.status == 403
    assert refused.value.explain() == (
        "You may not answer: only group:dba, carol may answer this step"
    )


async def test_the_client_names_itself_in_the_audit(approvals: EmbeddedBackend) -> None:
    run = _waiting(approvals, "ann")
    step = run.waiting_step()
    assert step is not None
    async with _client(approvals, "bob", client_name="dashboard") as bob:
        await bob.respond(run.id, step.id, RespondRequest(value="done"), new_idempotency_key())
        page = await bob.audit()
    assert [(e.action.value, e.actor, e.client) for e in page.entries] == [
        ("answer", "bob", "dashboard")
    ]


async def test_the_service_says_you_may_not_before_sending(
    approvals: EmbeddedBackend, tmp_path: Path
) -> None:
    run = _waiting(approvals, "ann")
    step = run.waiting_step()
    assert step is not None
    cache = Cache.open(tmp_path / "cache.sqlite3")
    service = RunsService(cache, _client(approvals, "ann"), actor="ann")
    try:
        assert service.answer_refusal(run, step) is None  # unknown identity: nothing said
        identity = await service.fetch_identity()
        assert identity is not None and identity.name == "ann"
        assert service.answer_refusal(run, step) == "only group:dba, carol may answer this step"
        with pytest.raises(Forbidden) as refused:  # the backend says the same words
            await service.respond(run.id, step.id, "done", prompt_id=step.prompt.prompt_id)  # type: ignore[union-attr]
        assert refused.value.message == service.answer_refusal(run, step)
    finally:
        await service.aclose()
        cache.close()
