"""Test harness for the engine: a real RunStore on a temp SQLite file, FakeClock, real Bus.

Runs driven by sim tools advance with fake time only; runs that start real subprocesses wait in
real time without advancing the fake clock (so a clock-timed timeout cannot fire early).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from runs_tui.backend.bus import Bus
from runs_tui.backend.clock import FakeClock
from runs_tui.backend.engine import Engine
from runs_tui.backend.store import RunStore
from runs_tui.models.domain import (
    EventType,
    PromptResponse,
    RunDetail,
    StartRunRequest,
    StepStatus,
    Trigger,
)
from runs_tui.models.lifecycle import RunKind, is_legal
from runs_tui.models.status import RunStatus


class Harness:
    def __init__(
        self,
        tmp_path: Path,
        definitions_dir: Path | str | None = None,
        pace: float = 0.5,
        db_name: str = "runs.db",
    ) -> None:
        self.clock = FakeClock()
        self.store = RunStore(f"sqlite:///{tmp_path / db_name}", clock=self.clock)
        self.store.create_schema()
        self.bus = Bus()
        self.engine = Engine(self.store, self.bus, self.clock, definitions_dir, pace_seconds=pace)

    def restart_engine(
        self, definitions_dir: Path | str | None = None, pace: float = 0.5
    ) -> Engine:
        self.engine = Engine(self.store, self.bus, self.clock, definitions_dir, pace_seconds=pace)
        return self.engine

    async def start(
        self, kind: RunKind, definition_id: str, trigger: Trigger | None = None, **inputs: str
    ) -> str:
        request = StartRunRequest(
            inputs=inputs, trigger=trigger or Trigger(actor="alice@example.com")
        )
        return (await self.engine.start_run(kind, definition_id, request)).id

    def run(self, run_id: str) -> RunDetail:
        return self.store.get_run(run_id)

    async def advance_until(
        self,
        run_id: str,
        predicate: Callable[[RunDetail], bool],
        fake_seconds: float = 900,
        step: float = 0.25,
    ) -> RunDetail:
        """Advance fake time in small steps until the predicate holds for the stored run."""
        elapsed = 0.0
        while True:
            for _ in range(20):
                await asyncio.sleep(0)
            run = self.run(run_id)
            if predicate(run):
                return run
            if elapsed >= fake_seconds:
                raise AssertionError(f"run never satisfied the predicate; now {run.status.label}")
            await self.clock.advance(step)
            elapsed += step

    async def until_status(
        self, run_id: str, *statuses: RunStatus, fake_seconds: float = 900
    ) -> RunDetail:
        return await self.advance_until(run_id, lambda run: run.status in statuses, fake_seconds)

    async def until_finished(self, run_id: str, fake_seconds: float = 900) -> RunDetail:
        return await self.advance_until(run_id, lambda run: run.status.is_terminal, fake_seconds)

    async def wait_real(
        self, run_id: str, predicate: Callable[[RunDetail], bool], seconds: float = 40
    ) -> RunDetail:
        deadline = time.monotonic() + seconds
        while True:
            run = self.run(run_id)
            if predicate(run):
                return run
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; run is {run.status.label}")
            await asyncio.sleep(0.01)

    async def answer(self, run_id: str, value: str, who: str = "alice@example.com") -> RunDetail:
        run = self.run(run_id)
        step = waiting_step(run)
        return await self.engine.respond(run_id, step, PromptResponse(value=value, answered_by=who))


def waiting_step(run: RunDetail) -> str:
    return next(step.id for step in run.steps if step.status is StepStatus.WAITING_FOR_INPUT)


def status_path(run: RunDetail) -> list[RunStatus]:
    """The statuses the run went through, from its events."""
    path = [RunStatus.PENDING]
    for event in run.events:
        if event.type is EventType.STATUS_CHANGED:
            assert RunStatus(event.data["from"]) is path[-1], f"event chain broken at {event.data}"
            path.append(RunStatus(event.data["to"]))
    return path


def assert_legal(run: RunDetail) -> list[RunStatus]:
    path = status_path(run)
    for current, target in zip(path, path[1:]):
        assert is_legal(run.kind, current, target), f"illegal {current.label} → {target.label}"
    assert path[-1] is run.status
    return path
