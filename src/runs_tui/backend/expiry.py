"""Prompt deadlines: the timers that wake the engine when a prompt's `expires_at` passes.

Why timers and not a field checked on read: an expired prompt must *change the run* (the step
fails, takes its defaults, or is skipped, and the run goes on) even when nobody looks at it. The
timer only wakes the engine; the engine then reads the run fresh and applies the expiry with the
same compare-and-set as an answer, so an answer racing the deadline and two replicas' timers
firing together still give exactly one outcome: a timer that finds the prompt answered (or
another asking on the step) does nothing. That is also why arming a deadline twice, or on every
replica, is harmless; missing one is not, so the engine arms every deadline it sees (entering
the wait, at start, on takeover sweeps).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from runs_tui.backend.clock import Clock
from runs_tui.models.domain import RunDetail
from runs_tui.models.prompt_fields import OnExpiry

NO_ANSWER = "no answer before the deadline"
SKIPPED_NO_ANSWER = f"skipped: {NO_ANSWER}"

Fire = Callable[[str, str, str], Awaitable[None]]
"""`fire(run_id, step_id, prompt_id)`: apply the expiry if that asking still waits."""


def deadline_of(run: RunDetail) -> tuple[str, str, datetime] | None:
    """(step id, prompt id, deadline) of the prompt `run` waits on, when it has a deadline."""
    step = run.waiting_step()
    if step is None or step.prompt is None or not run.status.is_waiting:
        return None
    prompt = step.prompt
    if prompt.expires_at is None or prompt.prompt_id is None:
        return None
    return step.id, prompt.prompt_id, prompt.expires_at


def on_expiry_of(value: OnExpiry | None) -> OnExpiry:
    """A deadline without a stated `on_expiry` fails the step (the loader says so too)."""
    return value or OnExpiry.FAIL


class ExpiryTimers:
    """One timer per run at most: the asking it waits for. Re-arming for the same asking keeps
    the running timer; a new asking replaces it."""

    def __init__(self, clock: Clock, fire: Fire) -> None:
        self._clock = clock
        self._fire = fire
        self._timers: dict[str, tuple[str, asyncio.Task[None]]] = {}

    def arm(self, run: RunDetail) -> bool:
        """Start the timer for the prompt `run` waits on; False when it has no deadline."""
        found = deadline_of(run)
        if found is None:
            self.cancel(run.id)
            return False
        step_id, prompt_id, deadline = found
        current = self._timers.get(run.id)
        if (
            current is not None
            and current[0] == prompt_id
            and not current[1].done()
            and current[1] is not asyncio.current_task()  # a timer woken early re-arms itself
        ):
            return True
        self.cancel(run.id)
        task = asyncio.create_task(
            self._wait(run.id, step_id, prompt_id, deadline), name=f"expiry-{run.id}"
        )
        self._timers[run.id] = (prompt_id, task)
        task.add_done_callback(lambda done: self._forget(run.id, done))
        return True

    def armed(self, run_id: str) -> bool:
        return run_id in self._timers

    def cancel(self, run_id: str) -> None:
        timer = self._timers.pop(run_id, None)
        if timer is not None and timer[1] is not asyncio.current_task():
            timer[1].cancel()

    async def close(self) -> None:
        tasks = [task for _, task in self._timers.values()]
        self._timers.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _wait(self, run_id: str, step_id: str, prompt_id: str, deadline: datetime) -> None:
        await self._clock.sleep(max(0.0, (deadline - self._clock.now()).total_seconds()))
        await self._fire(run_id, step_id, prompt_id)

    def _forget(self, run_id: str, task: asyncio.Task[None]) -> None:
        current = self._timers.get(run_id)
        if current is not None and current[1] is task:
            del self._timers[run_id]
