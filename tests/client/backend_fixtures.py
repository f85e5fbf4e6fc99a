"""The real reference backend for client and sync tests, under a fake clock so runs move only
when a test says so, with a small tombstone retention so a 410 is easy to provoke."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from runs_tui.backend.clock import FakeClock
from runs_tui.backend.server import EmbeddedBackend
from runs_tui.client import RetryPolicy, RunsClient
from runs_tui.models.domain import RunDetail, StartRunRequest
from runs_tui.models.lifecycle import RunKind

DEFINITIONS = str(Path(__file__).parent / "definitions")
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
FAST_RETRY = RetryPolicy(
    attempts=4, base_delay=0.01, max_delay=0.05, total_budget=5.0, retry_after_cap=2.0
)


class Backend:
    """An `EmbeddedBackend` and the few moves tests make on it."""

    def __init__(self, embedded: EmbeddedBackend, clock: FakeClock) -> None:
        self.embedded = embedded
        self.clock = clock
        self.url = embedded.url
        self.token = embedded.token
        self.store = embedded.store
        self.team: Any = None  # the `team` fixture: other people's tokens

    def start_checklist(self, host: str = "db-1") -> str:
        request = StartRunRequest(inputs={"host": host})
        return self.embedded.run(
            self.embedded.engine.start_run(RunKind.GUIDE, "checklist", request)
        ).id

    def until_waiting(self, run_id: str) -> RunDetail:
        for _ in range(100):
            run = self.store.get_run(run_id)
            if run.status.is_waiting:
                return run
            self.embedded.run(self.clock.advance(1))
        raise AssertionError(f"run {run_id} never waited: {self.store.get_run(run_id).status}")

    def waiting_step(self, run_id: str) -> str:
        run = self.until_waiting(run_id)
        return next(step.id for step in run.steps if step.status == "waiting_for_input")

    def seed(
        self, make_run: Callable[..., RunDetail], count: int, **fields: Any
    ) -> list[RunDetail]:
        runs = [make_run(index=i, **fields) for i in range(count)]
        self.store.seed_history(runs)
        return runs

    def versions(self) -> dict[str, int]:
        """Every run the server has, id → version, read through the store's own feed."""
        found: dict[str, int] = {}
        cursor = None
        while True:
            page = self.store.changes(cursor, 10_000)
            for run in page.changes:
                found[run.id] = run.version
            for run_id in page.deleted:
                found.pop(run_id, None)
            cursor = page.next_cursor
            if not page.has_more:
                return found


@pytest.fixture
def backend(backend_db: str, backend_token: str, team: Any) -> Iterator[Backend]:
    """The shared token is ann's (the tests' operator); `team` has everyone else's."""
    clock = FakeClock(START)
    embedded = EmbeddedBackend(
        db_url=backend_db,
        token=backend_token,
        clock=clock,
        definitions_dir=DEFINITIONS,
        heartbeat_seconds=0.3,
        tombstone_retention=3,
        config=team.path,
        identity="ann",
    )
    with embedded:
        backend = Backend(embedded, clock)
        backend.team = team
        yield backend


@pytest.fixture
async def client(backend: Backend) -> AsyncIterator[RunsClient]:
    async with RunsClient(backend.url, backend.token, retry=FAST_RETRY) as runs_client:
        yield runs_client
