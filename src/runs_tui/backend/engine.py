"""The run engine: drives runs through the lifecycle, executes steps on outposts, waits for
people, and records every change through the `RunStore`.

CONTRACT SKELETON — implemented by the engine work. The HTTP API depends only on the methods
below. All methods run on the server's asyncio loop.
"""

from __future__ import annotations

from runs_tui.backend.bus import Bus
from runs_tui.backend.clock import Clock
from runs_tui.backend.store import RunStore
from runs_tui.models.domain import (
    DefinitionSummary,
    PromptResponse,
    RunDetail,
    RunSummary,
    StartRunRequest,
)
from runs_tui.models.lifecycle import RunKind


class EngineError(Exception):
    """Base of the refusals the API turns into HTTP answers."""


class DefinitionNotFound(EngineError):
    pass


class InvalidRequest(EngineError):
    """422: a missing required input, a value the prompt does not allow..."""


class Conflict(EngineError):
    """409: the run or step is not in a state that allows the action."""

    def __init__(self, message: str, current: dict[str, object]) -> None:
        super().__init__(message)
        self.current = current  # e.g. {"status": ..., "answered_by": ..., "answered_at": ...}


class Engine:
    def __init__(self, store: RunStore, bus: Bus, clock: Clock, definitions_dir: str | None = None) -> None:
        """`definitions_dir=None` loads the demo set shipped as package data."""
        raise NotImplementedError

    async def start(self) -> None:
        """Resume unfinished runs and start the schedule loop."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop background tasks (not runs' state: they resume on the next start)."""
        raise NotImplementedError

    def definitions(self, kind: RunKind) -> list[DefinitionSummary]:
        raise NotImplementedError

    async def start_run(self, kind: RunKind, definition_id: str, request: StartRunRequest) -> RunSummary:
        """Raises DefinitionNotFound, InvalidRequest (missing required input)."""
        raise NotImplementedError

    async def respond(self, run_id: str, step_id: str, response: PromptResponse) -> RunDetail:
        """Raises RunNotFound, Conflict (step not waiting: current has who/when answered),
        InvalidRequest (value not allowed by the prompt)."""
        raise NotImplementedError

    async def cancel(self, run_id: str, actor: str = "") -> RunSummary:
        """Cooperative cancel: stops the running tool; Conflict for a run finished otherwise;
        a no-op success for a run already cancelled."""
        raise NotImplementedError
