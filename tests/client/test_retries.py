"""The retry policy, through a transport that drops, delays, truncates and fails requests on
their way to the real backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from client.backend_fixtures import Backend
from client.faults import FaultTransport, SleepRecorder, answer, delay, drop, stall, truncate
from runs_tui.client import RetryPolicy, RunsClient, new_idempotency_key
from runs_tui.errors import ServerError, Unreachable
from runs_tui.models.domain import RunDetail, StartRunRequest
from runs_tui.models.lifecycle import RunKind

POLICY = RetryPolicy(
    attempts=4, base_delay=0.05, max_delay=0.4, total_budget=20.0, retry_after_cap=5.0
)


@pytest.fixture
def faults() -> FaultTransport:
    return FaultTransport()


@pytest.fixture
def waits() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def flaky(
    backend: Backend, faults: FaultTransport, waits: SleepRecorder
) -> AsyncIterator[RunsClient]:
    async with RunsClient(
        backend.url, backend.token, retry=POLICY, transport=faults, sleep=waits
    ) as client:
        yield client


async def test_get_survives_drops_truncation_and_gateway_errors(
    backend: Backend,
    flaky: RunsClient,
    faults: FaultTransport,
    waits: SleepRecorder,
    make_run: Callable[..., RunDetail],
) -> None:
    seeded = backend.seed(make_run, 3)
    faults.add(drop(), path="/changes").add(truncate(40), path="/changes").add(
        answer(502), path="/changes"
    )
    page = await flaky.changes(None)
    assert [r.id for r in page.changes] == [r.id for r in seeded]
    assert len(faults.requests_to("/changes")) == 4
    assert len(waits.waits) == 3 and all(0 <= w <= POLICY.max_delay for w in waits.waits)


async def test_a_slow_answer_times_out_and_the_retry_gets_through(backend: Backend) -> None:
    faults = FaultTransport().add(delay(1.0), path="/flows")
    timeout = httpx.Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0)
    async with RunsClient(
        backend.url, backend.token, retry=POLICY, timeout=timeout, transport=faults
    ) as client:
        assert await client.definitions(RunKind.FLOW) == []
    # the delayed attempt itself completed (the injected delay is not a timeout); a stall is:
    faults = FaultTransport().add(stall(0.01), path="/flows", times=2)
    async with RunsClient(backend.url, backend.token, retry=POLICY, transport=faults) as client:
        assert await client.definitions(RunKind.FLOW) == []
    assert len(faults.requests_to("/flows")) == 3


async def test_get_retries_are_bounded_by_count(
    flaky: RunsClient, faults: FaultTransport, waits: SleepRecorder
) -> None:
    faults.add(drop(), path="/changes", times=None)
    with pytest.raises(Unreachable) as caught:
        await flaky.changes(None)
    assert len(faults.requests_to("/changes")) == POLICY.attempts
    assert len(waits.waits) == POLICY.attempts - 1
    assert caught.value.explain() == "Backend unreachable: cannot connect"


async def test_retries_are_bounded_by_total_time(backend: Backend, faults: FaultTransport) -> None:
    """Retry-After asks for 2 s each time; a 3 s budget allows one wait, not three."""
    policy = RetryPolicy(attempts=10, total_budget=3.0, retry_after_cap=5.0)
    faults.add(answer(503, retry_after="2"), path="/changes", times=None)
    waits = SleepRecorder()
    async with RunsClient(
        backend.url, backend.token, retry=policy, transport=faults, sleep=waits
    ) as client:
        with pytest.raises(ServerError) as caught:
            await client.changes(None)
    assert caught.value.status == 503
    assert waits.waits == [2.0]


async def test_retry_after_is_honoured_and_capped(
    flaky: RunsClient, faults: FaultTransport, waits: SleepRecorder
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    faults.add(answer(503, retry_after="1"), path="/flows").add(
        answer(429, retry_after=later), path="/flows"
    )
    faults.add(answer(503, retry_after="3600"), path="/flows")
    assert await flaky.definitions(RunKind.FLOW) == []
    assert waits.waits[0] == 1.0
    assert 1.0 < waits.waits[1] <= 3.0
    assert waits.waits[2] == POLICY.retry_after_cap


async def test_a_500_is_not_retried_even_for_get(
    flaky: RunsClient, faults: FaultTransport, waits: SleepRecorder
) -> None:
    faults.add(answer(500), path="/flows")
    with pytest.raises(ServerError) as caught:
        await flaky.definitions(RunKind.FLOW)
    assert caught.value.status == 500 and waits.waits == []


async def test_post_without_a_key_is_never_retried(
    backend: Backend,
    flaky: RunsClient,
    faults: FaultTransport,
    waits: SleepRecorder,
    make_run: Callable[..., RunDetail],
) -> None:
    [run] = backend.seed(make_run, 1)
    faults.add(answer(503, retry_after="0"), path="/runs/delete")
    with pytest.raises(ServerError):
        await flaky.delete_runs([run.id])
    faults.add(drop(), path="/runs/delete")
    with pytest.raises(Unreachable):
        await flaky.delete_runs([run.id])
    assert len(faults.requests_to("/runs/delete")) == 2 and waits.waits == []
    assert run.id in backend.versions()


async def test_post_with_a_key_is_retried_with_the_same_key(
    backend: Backend, flaky: RunsClient, faults: FaultTransport
) -> None:
    faults.add(answer(503), path="/guides/checklist/runs").add(
        drop(), path="/guides/checklist/runs"
    )
    key = new_idempotency_key()
    started = await flaky.start_run(
        RunKind.GUIDE, "checklist", StartRunRequest(inputs={"host": "h"}), key
    )
    sent = faults.requests_to("/guides/checklist/runs")
    assert len(sent) == 3 and {r.headers["Idempotency-Key"] for r in sent} == {key}
    assert list(backend.versions()) == [started.id]


async def test_redirects_are_not_followed(flaky: RunsClient, faults: FaultTransport) -> None:
    faults.add(
        answer(307, headers={"Location": "https://elsewhere.example/api/v1/flows"}, body=b""),
        path="/flows",
    )
    with pytest.raises(ServerError) as caught:
        await flaky.definitions(RunKind.FLOW)
    assert "redirect" in caught.value.explain()
    assert [r.url.host for r in faults.seen] == ["127.0.0.1"]
