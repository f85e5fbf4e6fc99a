"""The run engine: drives runs through the lifecycle, executes steps on outposts, waits for
people, and records every change through the `RunStore`.

Shape: each run that can make progress has one *driver* task. The driver looks at the run's
stored state, does the next thing (a status change, a step), saves, and loops; it ends when the
run waits for input or finishes. Because the next action is derived from stored state alone,
resuming after a restart is the same code as normal progress. `respond` and `cancel` take the
run's lock, so they never interleave with a driver's save; the driver does its slow work (tools,
sleeps) outside the lock. All store calls are synchronous on the loop: each is one short
transaction, and it keeps runs deterministic under `FakeClock`.

Replicas (docs/deployment.md): a driver runs only while this replica holds the run's lease
(`store.Lease`: replica id + epoch), and every driver save is fenced on it. `respond` and
`cancel` read the run fresh and save with a compare-and-set on its version, so two replicas
acting at once cannot both apply; an answer hands the run to the replica that took it. On a
shared database (PostgreSQL) a lease loop renews this replica's leases, stops drivers of runs
that are no longer its own, and takes over runs whose lease expired (a replica died). A step
found running on takeover is re-run when its tool is declared `idempotent`, failed otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from runs_tui.backend.audit import audit_event
from runs_tui.backend.bus import Bus
from runs_tui.backend.clock import Clock
from runs_tui.backend.decider import Decider, RulesDecider, TriageResult
from runs_tui.backend.definitions import (
    Definition,
    DefinitionSet,
    FlowDefinition,
    GuideDefinition,
    StepDefinition,
    load_definitions,
)
from runs_tui.backend.expiry import (
    NO_ANSWER,
    SKIPPED_NO_ANSWER,
    ExpiryTimers,
    deadline_of,
    on_expiry_of,
)
from runs_tui.backend.outposts import (
    LocalOutpost,
    MissingVariable,
    OutputSink,
    ToolResult,
    render_argv,
)
from runs_tui.backend.outposts.templates import render_lenient
from runs_tui.backend.store import Lease, RunNotFound, RunStore, StaleWrite
from runs_tui.backend.writer import RunWriter
from runs_tui.models.domain import (
    API_CLIENT,
    AuditAction,
    AutomationType,
    DefinitionSummary,
    Event,
    EventType,
    Prompt,
    PromptKind,
    PromptResponse,
    RunDetail,
    RunSummary,
    StartRunRequest,
    Step,
    StepPhase,
    StepStatus,
    ToolInvocation,
    Trigger,
    TriggerKind,
    Variable,
    VariableDirection,
)
from runs_tui.models.lifecycle import TRANSITIONS, RunKind, check_transition
from runs_tui.models.prompt_fields import (
    LEGACY_FIELD,
    FieldValue,
    InvalidAnswer,
    OnExpiry,
    answer_text,
    canonical_text,
    check_answer,
    defaults_of,
)
from runs_tui.models.responders import SYSTEM, Identity, answer_refusal
from runs_tui.models.status import RunStatus, StatusGroup

log = logging.getLogger(__name__)

EXECUTING_FROM_WAITING = {
    RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: RunStatus.EXECUTING_TRIAGE,
    RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: RunStatus.EXECUTING_REMEDIATION,
}
BEFORE_EXECUTION = frozenset(
    {RunStatus.PENDING, RunStatus.IDENTIFYING_TOOLS, RunStatus.SCHEDULED_FOR_EXECUTION}
)
INTERRUPTED = "interrupted: the backend stopped while this step ran"
RERUN_MARKER = "\n[… the backend driving this step stopped; re-running the idempotent tool …]\n"
DEFAULT_LEASE_TIMEOUT = 15.0
CAS_ATTEMPTS = 5
RESPONDERS_RULE = "responders"
FOUR_EYES_RULE = "four_eyes"


class EngineError(Exception):
    """Base of the refusals the API turns into HTTP answers."""


class DefinitionNotFound(EngineError):
    pass


class InvalidRequest(EngineError):
    """422: a missing required input, a value the prompt does not allow... `details` go out in
    the error body (for an answer: the field in error and the reason)."""

    def __init__(self, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


class Conflict(EngineError):
    """409: the run or step is not in a state that allows the action."""

    def __init__(self, message: str, current: dict[str, object]) -> None:
        super().__init__(message)
        self.current = current  # e.g. {"status": ..., "answered_by": ..., "answered_at": ...}


class Forbidden(EngineError):
    """403: the caller may not answer this prompt (`rule`: `responders` or `four_eyes`)."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


class StepNotFound(RunNotFound):
    """404 like a missing run: the run has no step with that id."""


class Engine:
    def __init__(
        self,
        store: RunStore,
        bus: Bus,
        clock: Clock,
        definitions_dir: str | Path | None = None,
        *,
        definitions: DefinitionSet | None = None,
        decider: Decider | None = None,
        pace_seconds: float = 0.5,
        schedule_tick_seconds: float = 1.0,
        replica_id: str | None = None,
        lease_timeout: float = DEFAULT_LEASE_TIMEOUT,
        write_threads: int = 0,
    ) -> None:
        """`definitions_dir=None` loads the demo set shipped as package data. `pace_seconds`
        is how long a run lingers in each bookkeeping status (so people can see it move).
        `lease_timeout`: the longest a run stays without a driver after its replica dies; a
        lease lasts two thirds of it and is renewed every fifth of it. `write_threads`: store
        calls run on that many threads (SQLite: one, committing in groups), in order per run
        (`writer.RunWriter`); 0 keeps them inline on the loop, which fake-time tests need."""
        self._store = store
        self._bus = bus
        self._clock = clock
        self._definitions = definitions or load_definitions(definitions_dir)
        self._outpost = LocalOutpost(clock, self._definitions.tools)
        self._decider: Decider = decider or RulesDecider()
        self._pace = pace_seconds
        self._schedule_tick = schedule_tick_seconds
        self.replica_id = replica_id or uuid.uuid4().hex[:12]
        self.lease_timeout = lease_timeout
        self._leases: dict[str, Lease] = {}
        self._leased_at: dict[str, float] = {}  # monotonic time each lease was taken
        self._lease_task: asyncio.Task[None] | None = None
        self._heartbeat: _Heartbeat | None = None
        self._drivers: dict[str, asyncio.Task[None]] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._cache: dict[str, RunDetail] = {}
        self._schedule_task: asyncio.Task[None] | None = None
        self._writer = RunWriter(write_threads, batch=None if store.shared else store.batched)
        self._expiry = ExpiryTimers(clock, self._expire)
        self._sweeps = 0

    # --- public API ---------------------------------------------------------------------------

    @property
    def loaded_definitions(self) -> DefinitionSet:
        """The flows, guides and shared tools this engine runs (demo.seed_history draws on them)."""
        return self._definitions

    async def start(self) -> None:
        """Take over the runs that need a driver and start the schedule loop. Alone on SQLite
        (the server refuses a second backend on the file) that is every unfinished run; on a
        shared database only those whose lease expired, never a live replica's."""
        self._store.origin = self.replica_id
        await self._claim(live_too=not self._store.shared)
        await self._arm_waiting()
        if self._store.shared and self._lease_task is None:
            self._lease_task = asyncio.create_task(self._lease_loop(), name="engine-leases")
            self._heartbeat = _Heartbeat(self, asyncio.get_running_loop())
        if self._definitions.scheduled() and self._schedule_task is None:
            self._schedule_task = asyncio.create_task(self._schedule_loop(), name="engine-schedule")

    async def stop(self) -> None:
        """Stop background tasks (not runs' state: they resume on the next start) and give the
        leases back, so a peer replica takes the runs over at once."""
        tasks = [
            task
            for task in [self._schedule_task, self._lease_task, *self._drivers.values()]
            if task is not None
        ]
        self._schedule_task = self._lease_task = None
        if self._heartbeat is not None:
            await asyncio.to_thread(self._heartbeat.stop)
            self._heartbeat = None
        self._drivers.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._expiry.close()
        await self._writer.close()  # the writes cancelled drivers began end first
        self._cache.clear()
        if self._leases:
            self._leases.clear()
            self._leased_at.clear()
            try:
                self._store.release_leases(self.replica_id)
            except Exception:  # the leases then expire on their own
                log.exception("could not release the leases of replica %s", self.replica_id)

    def remote_change(self, run_id: str) -> None:
        """Another replica changed this run (a notification): forget the cached copy, and stop
        driving the run if it is no longer ours (cancelled or taken over there)."""
        self._cache.pop(run_id, None)
        if run_id not in self._drivers:
            self._drop_lease(run_id)  # answered or cancelled there: its driver lives there now
            return
        current = self._store.lease_of(run_id)
        if (
            current is None
            or current.status.is_terminal
            or current.lease != self._leases.get(run_id)
        ):
            self._abandon(run_id)

    def driving(self) -> set[str]:
        """The runs this replica drives right now."""
        return {run_id for run_id, task in self._drivers.items() if not task.done()}

    def active_run_count(self) -> int:
        """Runs not finished yet (the demo traffic keeps this bounded)."""
        page = self._store.list_runs(statuses=StatusGroup.ACTIVE.statuses, limit=1)
        return page.total if page.total is not None else len(page.runs)

    def definitions(self, kind: RunKind) -> list[DefinitionSummary]:
        return [definition.summary() for definition in self._definitions.of_kind(kind)]

    async def start_run(
        self,
        kind: RunKind,
        definition_id: str,
        request: StartRunRequest,
        *,
        identity: Identity | None = None,
        client: str = API_CLIENT,
    ) -> RunSummary:
        """Raises DefinitionNotFound, InvalidRequest (missing required input). With `identity`
        (the API's caller) the trigger's actor is that identity, whatever the request says: the
        four-eyes rule compares answerers with it."""
        definition = self._definitions.get(kind, definition_id)
        if definition is None:
            raise DefinitionNotFound(f"no {kind.value} with id {definition_id!r}")
        inputs = validated_inputs(definition, request.inputs)
        trigger = request.trigger
        if identity is not None:
            trigger = trigger.model_copy(update={"actor": identity.name})
        extra: list[Event] = []
        if request.rerun_of is not None:
            extra.append(
                audit_event(
                    self._now(),
                    AuditAction.RERUN,
                    trigger.actor,
                    client,
                    details=_declared(
                        {"rerun_of": request.rerun_of}, request.trigger.actor, trigger
                    ),
                )
            )
        declared = request.trigger.actor if request.trigger.actor != trigger.actor else ""
        stored = await self._create_run(
            definition,
            inputs,
            trigger,
            scheduled_for=None,
            extra_events=extra,
            declared_by=declared,
        )
        return _summary(stored)

    async def respond(
        self,
        run_id: str,
        step_id: str,
        response: PromptResponse,
        prompt_id: str | None = None,
        *,
        values: Mapping[str, object] | None = None,
        identity: Identity | None = None,
        client: str = API_CLIENT,
    ) -> RunDetail:
        """Raises RunNotFound, Conflict (step not waiting, or waiting on another asking than
        `prompt_id`: current has who/when answered and what waits now), Forbidden (the prompt's
        responders or four-eyes rule), InvalidRequest (an answer the prompt's fields refuse:
        details name the field and the reason). `values`, a typed answer by field, wins over
        `response.value` (a one-field prompt's answer). Nothing is recorded on a refusal.
        `identity` is the authenticated caller (the API's); without one (the engine's own
        callers) `response.answered_by` is taken as the name."""
        who = identity or Identity(response.answered_by or "operator")
        async with self._locked(run_id):
            for _ in range(CAS_ATTEMPTS):
                run = await self._editable(run_id, fresh=True)  # another replica may have answered
                step = _find_step(run, step_id)
                if (
                    step.status is not StepStatus.WAITING_FOR_INPUT
                    or not run.status.is_waiting
                    or step.prompt is None
                ):
                    raise Conflict(
                        f"step {step_id} is not waiting for input", _conflict_state(run, step)
                    )
                if prompt_id is not None and prompt_id != step.prompt.prompt_id:
                    raise Conflict(
                        f"step {step_id} no longer shows that prompt", _conflict_state(run, step)
                    )
                refusal = _forbidden(who, step.prompt, run.trigger.actor)
                if refusal is not None:
                    raise refusal
                checked = checked_answer(step.prompt, response.value, values)
                answer = PromptResponse(
                    value=answer_text(checked),
                    values=checked,
                    note=response.note,
                    answered_by=who.name,
                    answered_at=self._now(),
                    client=client,
                )
                events = self._apply_response(run, step, answer, prompt_id)
                events.insert(1, _answer_audit(answer, step.id, prompt_id, response.answered_by))
                self._transition(run, EXECUTING_FROM_WAITING[run.status], events)
                try:
                    stored = await self._save_taking_lease(run, events)
                except StaleWrite:
                    continue  # changed between the read and the write: look again
                self._expiry.cancel(run_id)
                self._spawn(run_id)
                return stored
            raise Conflict(
                f"run {run_id} kept changing; try again",
                {"status": (await self._current(run_id)).status.value},
            )

    async def _expire(self, run_id: str, step_id: str, prompt_id: str) -> None:
        """The deadline of `prompt_id` passed: apply its `on_expiry`, unless the asking was
        answered, cancelled or replaced meanwhile (here or on another replica). The same lock,
        fresh read and compare-and-set as `respond`, so exactly one of them wins."""
        try:
            async with self._locked(run_id):
                for _ in range(CAS_ATTEMPTS):
                    run = await self._editable(run_id, fresh=True)
                    step = _find_step(run, step_id)
                    found = deadline_of(run)
                    if found is None or found[:2] != (step_id, prompt_id):
                        return
                    if found[2] > self._now():  # woken early (a clock step back): wait again
                        self._remember(run)
                        self._expiry.arm(run)
                        return
                    events: list[Event] = []
                    self._apply_expiry(run, step, events)
                    self._transition(run, EXECUTING_FROM_WAITING[run.status], events)
                    try:
                        await self._save_taking_lease(run, events)
                    except StaleWrite:
                        continue
                    self._spawn(run_id)
                    return
        except RunNotFound:  # deleted meanwhile (StepNotFound too)
            return
        except Exception:  # a timer must not die silently: the sweep arms it again
            log.exception("run %s: applying the expiry of step %s failed", run_id, step_id)

    def _apply_expiry(self, run: RunDetail, step: Step, events: list[Event]) -> None:
        """`fail`: the step fails; `default`: the defaults are the answer, by the system;
        `skip`: the step is skipped. Always an `input_expired` event first, never taken for an
        answer."""
        prompt = step.prompt
        assert prompt is not None and prompt.expires_at is not None
        on_expiry = on_expiry_of(prompt.on_expiry)
        events.append(
            self._event(
                EventType.INPUT_EXPIRED,
                step.id,
                prompt_id=prompt.prompt_id,
                on_expiry=on_expiry.value,
                deadline=prompt.expires_at.isoformat(),
            )
        )
        if on_expiry is OnExpiry.DEFAULT:
            try:
                values = defaults_of(prompt.effective_fields())
            except InvalidAnswer as missing:  # the loader refuses this; a changed definition
                error = f"{NO_ANSWER}, and field {missing.field!r} has no default"
                self._finish_step(run, step, StepStatus.FAILED, events, error=error)
                return
            answer = PromptResponse(
                value=answer_text(values),
                values=values,
                answered_by=SYSTEM,
                answered_at=self._now(),
                expired=True,
            )
            events += self._apply_response(run, step, answer, prompt.prompt_id)
        elif on_expiry is OnExpiry.SKIP:
            self._finish_step(run, step, StepStatus.SKIPPED, events, error=SKIPPED_NO_ANSWER)
        else:
            self._finish_step(run, step, StepStatus.FAILED, events, error=NO_ANSWER)

    async def _arm_waiting(self, *, unknown_only: bool = False) -> None:
        """Arm the deadline of every waiting run (at start: runs that waited while no backend
        ran, overdue ones fire at once; on a shared database, every few lease sweeps: runs set
        waiting by a replica that died since). `unknown_only`: skip runs already armed here."""
        waiting = frozenset(s for s in RunStatus if s.is_waiting)
        offset = 0
        while True:
            page = await self._writer.unordered(
                partial(self._store.list_runs, statuses=waiting, limit=500, offset=offset)
            )
            for summary in page.runs:
                if unknown_only and self._expiry.armed(summary.id):
                    continue
                try:
                    self._expiry.arm(await self._current(summary.id))
                except RunNotFound:
                    continue
            if len(page.runs) < 500:
                return
            offset += 500

    async def cancel(
        self, run_id: str, actor: str = "", *, client: str = API_CLIENT, declared_by: str = ""
    ) -> RunSummary:
        """Cooperative cancel: stops the running tool; Conflict for a run finished otherwise;
        a no-op success for a run already cancelled (nothing audited: nothing was done).
        `declared_by`: the name the request gave, when the API's caller is someone else."""
        async with self._locked(run_id):
            for _ in range(CAS_ATTEMPTS):
                run = await self._editable(run_id, fresh=True)  # another replica may have moved it
                if run.status is RunStatus.CANCELLED:
                    return _summary(run)
                if run.status.is_terminal:
                    raise Conflict(
                        f"run already finished: {run.status.label}", {"status": run.status.value}
                    )
                driver = self._drivers.pop(run_id, None)
                if driver is not None and driver is not asyncio.current_task():
                    driver.cancel()
                    await asyncio.gather(driver, return_exceptions=True)
                    run = await self._editable(run_id, fresh=True)
                events: list[Event] = []
                for step in run.steps:
                    self._cancel_step(step, events)
                # The action, then its effect: nothing follows a run's final status event.
                details = {"declared_by": declared_by} if declared_by else {}
                events.append(
                    audit_event(
                        self._now(),
                        AuditAction.CANCEL,
                        actor or "operator",
                        client,
                        details=details,
                    )
                )
                self._transition(run, RunStatus.CANCELLED, events, actor=actor or "operator")
                run.error = f"cancelled by {actor or 'operator'}"
                run.summary = _cancel_summary(run)
                try:
                    stored = await self._save(
                        run, events, fenced=False
                    )  # the owner, wherever, stops on the notice
                except StaleWrite:
                    continue
                self._drop_lease(run_id)
                self._expiry.cancel(run_id)
                return _summary(stored)
            raise Conflict(
                f"run {run_id} kept changing; try again",
                {"status": (await self._current(run_id)).status.value},
            )

    # --- run creation -------------------------------------------------------------------------

    async def _create_run(
        self,
        definition: Definition,
        inputs: dict[str, str],
        trigger: Trigger,
        scheduled_for: datetime | None,
        extra_events: list[Event] | None = None,
        declared_by: str = "",
    ) -> RunDetail:
        """`declared_by`: the actor the request named, kept in `run_created` when the
        authenticated one replaced it (a chat bot's channel, a script's claim)."""
        run, events = self._new_run(definition, inputs, trigger, scheduled_for)
        if declared_by:
            events[0].data["declared_by"] = declared_by
        events += extra_events or []
        insert = partial(
            self._store.insert_run,
            run,
            events,
            owner=self.replica_id,
            lease_until=self._lease_until(),
        )
        stored = await self._writer.call(run.id, insert)
        self._launch(stored)
        return stored

    def _launch(self, stored: RunDetail) -> None:
        """A run this replica just inserted (epoch 1): announce it and drive it."""
        self._hold(stored.id, Lease(self.replica_id, 1))
        self._remember(stored)
        self._bus.publish_change(stored.seq)
        self._spawn(stored.id)

    def _new_run(
        self,
        definition: Definition,
        inputs: dict[str, str],
        trigger: Trigger,
        scheduled_for: datetime | None,
    ) -> tuple[RunDetail, list[Event]]:
        now = self._now()
        run = RunDetail(
            id=uuid.uuid4().hex,
            kind=definition.kind,
            definition_id=definition.id,
            name=definition.title,
            status=RunStatus.PENDING,
            trigger=trigger,
            created_at=now,
            updated_at=now,
            scheduled_for=scheduled_for,
            inputs=inputs,
            version=1,
            seq=0,
            steps=_initial_steps(definition),
            variables=[
                Variable(name=name, value=value, direction=VariableDirection.INPUT, updated_at=now)
                for name, value in inputs.items()
            ],
        )
        events = [
            self._event(EventType.RUN_CREATED, trigger=trigger.kind.value, actor=trigger.actor)
        ]
        events += [
            self._event(EventType.VARIABLE_SET, name=name, value=value, direction="input")
            for name, value in inputs.items()
        ]
        return run, events

    # --- drivers ------------------------------------------------------------------------------

    def _spawn(self, run_id: str) -> None:
        existing = self._drivers.get(run_id)
        if existing is not None and not existing.done() and existing is not asyncio.current_task():
            return
        task = asyncio.create_task(self._drive(run_id), name=f"run-{run_id}")
        self._drivers[run_id] = task
        task.add_done_callback(lambda done: self._forget_driver(run_id, done))

    def _forget_driver(self, run_id: str, task: asyncio.Task[None]) -> None:
        if self._drivers.get(run_id) is task:
            del self._drivers[run_id]

    def _resume(self, run: RunDetail) -> None:
        self._remember(run)
        if not run.status.is_waiting:
            self._spawn(run.id)

    # --- leases -------------------------------------------------------------------------------

    async def _claim(self, live_too: bool = False) -> int:
        """Take over runs without a live driver (see `RunStore.claim_runs`) and drive them."""
        claim = partial(
            self._store.claim_runs,
            self.replica_id,
            self._lease_until(),
            now=self._now(),
            live_too=live_too,
            limit=None if live_too else 200,
            exclude=frozenset(self.driving()),
        )
        claimed = await self._writer.unordered(claim)
        for run, lease in claimed:
            self._abandon(
                run.id
            )  # our own lease lapsed (a long pause): the old driver is fenced anyway
            self._hold(run.id, lease)
            self._resume(run)
        if claimed and self._store.shared:
            log.info("replica %s took over %d run(s)", self.replica_id, len(claimed))
        return len(claimed)

    async def _lease_loop(self) -> None:
        """Sweep every fifth of the lease timeout: a lease lasts two thirds of it, so a dead
        replica's run is taken over within 2/3 + 1/5 of the timeout. (Renewal runs in a thread,
        `_Heartbeat`, so a loop kept busy or waiting on a lock does not lose its leases.)"""
        while True:
            await self._clock.sleep(self.lease_timeout / 5)
            try:
                await self._claim()
                self._sweeps += 1
                if self._sweeps % 5 == 0:  # about once a lease timeout
                    await self._arm_waiting(unknown_only=True)
            except Exception:  # the database may be away for a moment; try again
                log.exception("replica %s: taking over expired leases failed", self.replica_id)

    def _check_renewed(self, renewed: dict[str, int], asked_at: float) -> None:
        """On the loop, after a renewal: stop driving the runs it did not renew at our epoch
        (cancelled or taken over elsewhere), unless the lease was taken after the renewal began."""
        for run_id in self.driving():
            lease = self._leases.get(run_id)
            if lease is not None and self._leased_at.get(run_id, 0.0) >= asked_at:
                continue
            if lease is None or renewed.get(run_id) != lease.epoch:
                self._abandon(run_id)

    def _hold(self, run_id: str, lease: Lease) -> None:
        self._leases[run_id] = lease
        self._leased_at[run_id] = time.monotonic()

    def _abandon(self, run_id: str) -> None:
        """Stop driving a run that is no longer ours, writing nothing (a running tool stops)."""
        task = self._drivers.pop(run_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        self._drop_lease(run_id)
        self._cache.pop(run_id, None)

    def _drop_lease(self, run_id: str) -> None:
        self._leases.pop(run_id, None)
        self._leased_at.pop(run_id, None)

    def _lease_until(self) -> datetime:
        return self._now() + timedelta(seconds=self.lease_timeout * 2 / 3)

    async def _drive(self, run_id: str) -> None:
        """Advance the run until it waits or finishes; a bug fails the run instead of hanging it."""
        try:
            while await self._advance(run_id):
                pass
        except asyncio.CancelledError:
            raise
        except StaleWrite as lost:  # cancelled or taken over elsewhere: that side records it
            log.info("run %s: replica %s stops driving it: %s", run_id, self.replica_id, lost)
            self._cache.pop(run_id, None)
        except Exception as error:  # the run must end visibly, whatever broke
            log.exception("run %s: engine error", run_id)
            await self._fail_run(run_id, f"engine error: {type(error).__name__}: {error}")

    async def _advance(self, run_id: str) -> bool:
        """One move; False when the driver should stop (waiting, finished)."""
        status = (await self._current(run_id)).status
        if status.is_terminal or status.is_waiting:
            return False
        if status in (
            RunStatus.PENDING,
            RunStatus.IDENTIFYING_TOOLS,
            RunStatus.READY_FOR_EXECUTION,
            RunStatus.DECIDING_REMEDIATION,
            RunStatus.READY_FOR_REMEDIATION,
            RunStatus.SUMMARIZING,
        ):
            await self._clock.sleep(self._pace)
        if status is RunStatus.SCHEDULED_FOR_EXECUTION:
            await self._wait_until_due(run_id)
        if status in (RunStatus.EXECUTING_TRIAGE, RunStatus.EXECUTING_REMEDIATION):
            return await self._execute_next_step(run_id)
        async with self._locked(run_id):
            run = await self._editable(run_id)
            events: list[Event] = []
            self._bookkeeping_move(run, events)
            await self._save(run, events)
        return True

    def _bookkeeping_move(self, run: RunDetail, events: list[Event]) -> None:
        """The status changes that run no step: startup, decision, summary."""
        definition = self._definition_of(run)
        if run.status is RunStatus.PENDING:
            run.started_at = self._now()
            self._transition(run, RunStatus.IDENTIFYING_TOOLS, events)
        elif run.status is RunStatus.IDENTIFYING_TOOLS:
            self._identify_tools(run, definition, events)
        elif run.status is RunStatus.SCHEDULED_FOR_EXECUTION:
            run.started_at = self._now()
            self._transition(run, RunStatus.READY_FOR_EXECUTION, events)
        elif run.status is RunStatus.READY_FOR_EXECUTION:
            first = (
                RunStatus.EXECUTING_TRIAGE
                if run.kind is RunKind.FLOW
                else RunStatus.EXECUTING_REMEDIATION
            )
            self._transition(run, first, events)
        elif run.status is RunStatus.DECIDING_REMEDIATION:
            assert isinstance(definition, FlowDefinition)
            self._decide(run, definition, events)
        elif run.status is RunStatus.READY_FOR_REMEDIATION:
            self._transition(run, RunStatus.EXECUTING_REMEDIATION, events)
        elif run.status is RunStatus.SUMMARIZING:
            self._summarize(run, definition, events)
        else:
            raise RuntimeError(f"no move from {run.status.label}")

    def _identify_tools(self, run: RunDetail, definition: Definition, events: list[Event]) -> None:
        missing = sorted(
            {
                step.tool
                for step in definition.all_steps()
                if step.tool and self._outpost.resolve(step.tool, definition.tools) is None
            }
        )
        if missing:
            names = ", ".join(f"“{name}”" for name in missing)
            run.error = f"tool {names} not available on outpost {self._outpost.name}"
            run.summary = f"The run could not start: {run.error}."
            self._transition(run, RunStatus.COMPLETED_FAILURE, events, missing_tools=missing)
        elif not any(
            step.automation is not AutomationType.INFORMATION_ONLY
            for step in definition.all_steps()
        ):
            run.summary = "Nothing to execute: the definition has no executable steps."
            self._transition(run, RunStatus.NO_STEPS, events)
        elif run.scheduled_for is not None and run.scheduled_for > self._now():
            self._transition(
                run,
                RunStatus.SCHEDULED_FOR_EXECUTION,
                events,
                scheduled_for=run.scheduled_for.isoformat(),
            )
        else:
            self._transition(run, RunStatus.READY_FOR_EXECUTION, events)

    async def _wait_until_due(self, run_id: str) -> None:
        due = (await self._current(run_id)).scheduled_for
        if due is not None:
            await self._clock.sleep(max(0.0, (due - self._now()).total_seconds()))

    # --- steps --------------------------------------------------------------------------------

    async def _execute_next_step(self, run_id: str) -> bool:
        async with self._locked(run_id):
            run = await self._editable(run_id)
            events: list[Event] = []
            phase_steps = _phase_steps(run)
            step = next((s for s in phase_steps if not s.status.is_finished), None)
            if step is None or _stopped_by_failure(run, self._definition_of(run)):
                self._finish_phase(run, events)
                await self._save(run, events)
                return True
            step_def = self._step_definition(run, step)
            if step.status is StepStatus.RUNNING:  # found on resume: its tool was lost
                self._recover_interrupted(run, step, step_def, events)
                await self._save(run, events)
                return True
            if step.status is StepStatus.WAITING_FOR_INPUT:
                self._transition(run, _waiting_status(run), events)
                self._expiry.arm(await self._save(run, events))
                return False
            if step_def.automation is AutomationType.INFORMATION_ONLY:
                self._start_step(run, step, events)
                self._finish_step(run, step, StepStatus.SUCCEEDED, events)
                await self._save(run, events)
                return True
            needs_answer = step_def.automation is AutomationType.MANUAL or (
                step_def.automation is AutomationType.SEMI_AUTOMATED and step.response is None
            )
            if needs_answer:
                self._request_input(run, step, step_def, events)
                self._expiry.arm(await self._save(run, events))
                return False
            variables = self._start_tool(run, step, step_def, events)
            await self._save(run, events)
        result = await self._run_tool(run_id, step.id, step_def, variables)
        async with self._locked(run_id):
            run = await self._with_output(run_id, step.id)
            events = []
            self._record_tool_result(run, _find_step(run, step.id), step_def, result, events)
            await self._save(run, events)
        return True

    async def _with_output(self, run_id: str, step_id: str) -> RunDetail:
        """The run to record a tool's result on: this engine's copy, with the step's output as
        streamed to the store (read after the run's queued appends), not the whole run again.
        A change made elsewhere meanwhile shows as a stale version when it is saved."""
        run = await self._editable(run_id)
        stored = await self._writer.call(run_id, self._store.step_output, run_id, step_id)
        step = _find_step(run, step_id)
        if stored is not None and step.tool is not None:
            step.tool.output = stored[0]
            step.tool.output_truncated = step.tool.output_truncated or stored[1]
        return run

    def _recover_interrupted(
        self, run: RunDetail, step: Step, step_def: StepDefinition, events: list[Event]
    ) -> None:
        """A step whose tool was running when its backend stopped: re-run it when the tool is
        declared idempotent (running it twice is harmless), otherwise fail it as interrupted:
        a tool that changes things may have done so, and only a person can tell."""
        tool = self._outpost.resolve(step_def.tool or "", self._definition_of(run).tools)
        if tool is not None and getattr(tool, "idempotent", False):
            step.status = StepStatus.PENDING
            events.append(
                self._event(
                    EventType.STEP_STARTED,
                    step.id,
                    title=step.title,
                    phase=step.phase.value,
                    rerun=True,
                    reason="the backend driving this step stopped; the tool is idempotent",
                )
            )
            marker = partial(
                self._store.append_output,
                run.id,
                step.id,
                RERUN_MARKER,
                fence=self._leases.get(run.id),
            )
            self._writer.submit(run.id, marker)  # the save that follows queues behind it
            return
        self._finish_step(run, step, StepStatus.FAILED, events, error=INTERRUPTED)
        events[-1].data["reason"] = "the tool is not declared idempotent, so it is not re-run"

    def _finish_phase(self, run: RunDetail, events: list[Event]) -> None:
        for step in _phase_steps(run):
            if step.status is StepStatus.PENDING:
                self._finish_step(
                    run, step, StepStatus.SKIPPED, events, error="skipped: an earlier step failed"
                )
        run.current_step_id = run.current_step = None
        target = (
            RunStatus.DECIDING_REMEDIATION
            if run.status is RunStatus.EXECUTING_TRIAGE
            else RunStatus.SUMMARIZING
        )
        self._transition(run, target, events)

    def _start_step(self, run: RunDetail, step: Step, events: list[Event]) -> None:
        run.current_step_id, run.current_step = step.id, step.title
        if step.started_at is None:
            step.started_at = self._now()
            events.append(
                self._event(
                    EventType.STEP_STARTED, step.id, title=step.title, phase=step.phase.value
                )
            )

    def _finish_step(
        self,
        run: RunDetail,
        step: Step,
        status: StepStatus,
        events: list[Event],
        error: str | None = None,
    ) -> None:
        step.status = status
        step.finished_at = self._now()
        step.error = error
        data: dict[str, Any] = {"status": status.value}
        if error:
            data["error"] = error
        if step.tool is not None and step.tool.exit_status is not None:
            data["exit_status"] = step.tool.exit_status
        events.append(self._event(EventType.STEP_FINISHED, step.id, **data))

    def _request_input(
        self, run: RunDetail, step: Step, step_def: StepDefinition, events: list[Event]
    ) -> None:
        assert step_def.prompt is not None
        spec = step_def.prompt
        definition = self._definition_of(run)
        choices = list(spec.choices)
        if spec.choices_from_outcomes and isinstance(definition, FlowDefinition):
            choices += [
                outcome.name for outcome in definition.outcomes if outcome.name not in choices
            ]
        now = self._now()
        variables = _variables(run)
        expires_at = (
            now + timedelta(seconds=spec.expires_after_seconds)
            if spec.expires_after_seconds is not None
            else None
        )
        step.prompt = Prompt(
            kind=spec.kind,
            question=render_lenient(spec.question, variables),
            description=render_lenient(spec.description, variables),
            choices=choices,
            allow_free_text=spec.allow_free_text,
            fields=list(spec.fields),
            requested_at=now,
            prompt_id=uuid.uuid4().hex,
            expires_at=expires_at,
            on_expiry=on_expiry_of(spec.on_expiry) if expires_at else None,
            context_steps=_context_step_ids(definition, run, spec.context_steps),
            responders=list(spec.responders),
            allow_self=spec.allow_self,
        )
        self._start_step(run, step, events)
        step.status = StepStatus.WAITING_FOR_INPUT
        events.append(
            self._event(
                EventType.INPUT_REQUESTED,
                step.id,
                kind=spec.kind.value,
                question=step.prompt.question,
                choices=choices,
                prompt_id=step.prompt.prompt_id,
                fields=[field.name for field in step.prompt.fields],
                expires_at=expires_at.isoformat() if expires_at else None,
                on_expiry=step.prompt.on_expiry.value if step.prompt.on_expiry else None,
            )
        )
        self._transition(run, _waiting_status(run), events)

    def _apply_response(
        self, run: RunDetail, step: Step, answer: PromptResponse, bound_to: str | None = None
    ) -> list[Event]:
        """`bound_to` is the prompt id the client echoed (None: it named none), kept in the record
        so an audit shows whether the answer was given to the prompt as shown."""
        assert step.prompt is not None
        step.response = answer
        events = [
            self._event(
                EventType.INPUT_RECEIVED,
                step.id,
                value=answer.value,
                values=answer.values,
                note=answer.note,
                answered_by=answer.answered_by,
                prompt_id=bound_to,
                expired=answer.expired,
            )
        ]
        for name, value in answer.values.items():
            if any(field.name == name for field in step.prompt.fields):
                self._set_variable(run, name, variable_text(value), events, step.id)
        kind = step.prompt.kind
        if kind is PromptKind.CONFIRM and answer.value == "approve":
            step.status = StepStatus.PENDING  # the driver runs the tool next
        elif kind is PromptKind.CONFIRM:
            self._finish_step(
                run, step, StepStatus.SKIPPED, events, error=f"rejected by {answer.answered_by}"
            )
        elif kind is PromptKind.COMPLETE and answer.value == "failed":
            note = f": {answer.note}" if answer.note else ""
            self._finish_step(
                run,
                step,
                StepStatus.FAILED,
                events,
                error=f"marked failed by {answer.answered_by}{note}",
            )
        else:
            self._finish_step(run, step, StepStatus.SUCCEEDED, events)
        return events

    def _start_tool(
        self, run: RunDetail, step: Step, step_def: StepDefinition, events: list[Event]
    ) -> dict[str, str]:
        definition = self._definition_of(run)
        assert step_def.tool is not None
        tool = self._outpost.resolve(step_def.tool, definition.tools)
        assert tool is not None, "checked while Identifying Tools"
        variables = _variables(run)
        config = {
            key: render_lenient(value, variables) for key, value in step_def.tool_config.items()
        }
        variables |= config
        recorded: dict[str, Any] = dict(config)
        if tool.type == "shell":
            try:
                recorded["argv"] = render_argv(tool.argv, variables)  # type: ignore[union-attr]
            except MissingVariable:
                recorded["argv"] = list(tool.argv)  # type: ignore[union-attr]
        elif tool.type == "http":
            recorded["request"] = f"{tool.method} {tool.url}"  # type: ignore[union-attr]
        self._start_step(run, step, events)
        step.status = StepStatus.RUNNING
        step.tool = ToolInvocation(
            tool=tool.name, tool_type=tool.type, outpost=self._outpost.name, input=recorded
        )
        return variables

    async def _run_tool(
        self, run_id: str, step_id: str, step_def: StepDefinition, variables: dict[str, str]
    ) -> ToolResult:
        run = await self._current(run_id)
        tool = self._outpost.resolve(step_def.tool or "", self._definition_of(run).tools)
        assert tool is not None

        lease = self._leases.get(run_id)

        def written(chunk: str, done: asyncio.Future[None]) -> None:
            if done.cancelled() or done.exception() is not None:
                return  # StaleWrite: no longer ours, the lease check stops this driver
            self._bus.publish_output(run_id, step_id, chunk)

        def deliver(chunk: str) -> None:
            append = partial(self._store.append_output, run_id, step_id, chunk, fence=lease)
            self._writer.submit(run_id, append).add_done_callback(partial(written, chunk))

        sink = OutputSink(self._clock, deliver)
        try:
            return await self._outpost.run(tool, variables, sink.write, seed=run_id)
        finally:
            sink.close()

    def _record_tool_result(
        self,
        run: RunDetail,
        step: Step,
        step_def: StepDefinition,
        result: ToolResult,
        events: list[Event],
    ) -> None:
        assert step.tool is not None
        step.tool.exit_status = result.exit_status
        step.tool.error = result.error
        output = step.tool.output
        for capture in step_def.captures:
            match = re.search(capture.regex, output, re.MULTILINE)
            if match:
                value = match.group(1) if match.groups() else match.group(0)
                self._set_variable(run, capture.variable, value, events, step.id)
        error = _tool_failure(step_def, result, output)
        self._finish_step(
            run, step, StepStatus.FAILED if error else StepStatus.SUCCEEDED, events, error=error
        )

    def _set_variable(
        self, run: RunDetail, name: str, value: str, events: list[Event], step_id: str
    ) -> None:
        now = self._now()
        run.variables = [
            v
            for v in run.variables
            if not (v.name == name and v.direction is VariableDirection.OUTPUT)
        ]
        run.variables.append(
            Variable(name=name, value=value, direction=VariableDirection.OUTPUT, updated_at=now)
        )
        events.append(
            self._event(EventType.VARIABLE_SET, step_id, name=name, value=value, direction="output")
        )

    def _cancel_step(self, step: Step, events: list[Event]) -> None:
        if step.status.is_finished:
            return
        was_started = step.status in (StepStatus.RUNNING, StepStatus.WAITING_FOR_INPUT)
        step.status = StepStatus.CANCELLED
        if was_started:
            step.finished_at = self._now()
            if step.tool is not None and step.tool.exit_status is None:
                step.tool.error = "stopped: the run was cancelled"
            events.append(
                self._event(EventType.STEP_FINISHED, step.id, status=StepStatus.CANCELLED.value)
            )

    # --- deciding and summarizing ---------------------------------------------------------------

    def _decide(self, run: RunDetail, flow: FlowDefinition, events: list[Event]) -> None:
        failed = _failed_stop_step(run, flow)
        if failed is not None:
            run.error = f"triage step “{failed.title}” failed: {failed.error or 'no detail'}"
            self._transition(run, RunStatus.SUMMARIZING, events, reason="triage failed")
            return
        decision = self._decider.decide(flow, _triage_results(run, flow))
        if decision is None:
            self._transition(run, RunStatus.SUMMARIZING, events, reason="no outcome applies")
            return
        run.outcome = decision.outcome
        run.root_cause = ", ".join(decision.root_causes) or None
        remediation = flow.remediations.get(decision.remediation or "")
        if remediation is None or not remediation.steps:
            self._transition(
                run, RunStatus.SUMMARIZING, events, outcome=decision.outcome, reason=decision.reason
            )
            return
        first = len(run.steps) + 1
        run.steps += [
            _new_step(StepPhase.REMEDIATION, index, first + index - 1, step_def)
            for index, step_def in enumerate(remediation.steps, 1)
        ]
        self._transition(
            run,
            RunStatus.READY_FOR_REMEDIATION,
            events,
            outcome=decision.outcome,
            root_causes=list(decision.root_causes),
            remediation=remediation.id,
            reason=decision.reason,
        )

    def _summarize(self, run: RunDetail, definition: Definition, events: list[Event]) -> None:
        final = final_status(run, definition)
        run.summary = summary_text(run, definition, final)
        if final is not RunStatus.COMPLETED_SUCCESS and run.error is None:
            failed = next((s for s in run.steps if s.status is StepStatus.FAILED), None)
            run.error = f"step “{failed.title}” failed: {failed.error}" if failed else None
        self._transition(run, final, events)

    async def _fail_run(self, run_id: str, error: str) -> None:
        """Walk the shortest legal path to Completed Failure, so even a failure stays legal."""
        try:
            async with self._locked(run_id):
                run = await self._editable(run_id, fresh=True)
                if run.status.is_terminal:
                    return
                events: list[Event] = []
                for step in run.steps:
                    if step.status in (StepStatus.RUNNING, StepStatus.WAITING_FOR_INPUT):
                        self._finish_step(run, step, StepStatus.FAILED, events, error=error)
                for target in failure_path(run.kind, run.status):
                    self._transition(run, target, events)
                run.error = error
                run.summary = f"The run failed: {error}."
                await self._save(run, events)
        except Exception:  # nothing more we can do than log it
            log.exception("run %s: could not record the failure", run_id)

    # --- schedules ----------------------------------------------------------------------------

    async def _schedule_loop(self) -> None:
        """Keeps one upcoming run per scheduled definition, sitting in Scheduled for Execution."""
        while True:
            for definition in self._definitions.scheduled():
                await self._ensure_upcoming(definition)
            await self._clock.sleep(self._schedule_tick)

    async def _ensure_upcoming(self, definition: Definition) -> None:
        """The store locks the schedule's row around the check and the insert, so replicas
        ticking at once create each due run exactly once."""
        interval = timedelta(seconds=definition.schedule_interval_seconds or 0)

        def make(previous_due: datetime | None) -> tuple[RunDetail, list[Event]]:
            now = self._now()
            due = previous_due + interval if previous_due else now + interval
            if due <= now:
                due = now + interval
            inputs = {
                spec.name: spec.default or ""
                for spec in definition.inputs
                if spec.default is not None
            }
            trigger = Trigger(kind=TriggerKind.SCHEDULE, actor="schedule")
            return self._new_run(definition, inputs, trigger, scheduled_for=due)

        insert = partial(
            self._store.insert_scheduled_run,
            definition.id,
            make,
            upcoming=BEFORE_EXECUTION,
            owner=self.replica_id,
            lease_until=self._lease_until(),
        )
        stored = await self._writer.unordered(insert)
        if stored is not None:
            self._launch(stored)

    # --- state plumbing ---------------------------------------------------------------------

    @asynccontextmanager
    async def _locked(self, run_id: str) -> Any:
        lock = self._locks.get(run_id)
        if lock is None:
            lock = self._locks[run_id] = asyncio.Lock()
        async with lock:
            yield

    async def _current(self, run_id: str) -> RunDetail:
        """The run as this engine last saved or read it (read after the run's queued writes)."""
        run = self._cache.get(run_id)
        if run is None:
            run = await self._writer.call(run_id, self._store.get_run, run_id)
            self._remember(run)
        return run

    async def _editable(self, run_id: str, fresh: bool = False) -> RunDetail:
        """The copy to change and save, taken out of the cache: whoever holds the run's lock
        owns it until `_save` puts the saved state back (no deep copy per move: that was a
        tenth of the loop's time at 200 runs). `fresh` re-reads the store (streamed output,
        another replica's change)."""
        if fresh:
            self._cache.pop(run_id, None)
        run = await self._current(run_id)
        self._cache.pop(run_id, None)
        return run

    def _remember(self, run: RunDetail) -> None:
        if run.status.is_terminal:
            self._cache.pop(run.id, None)
            self._drop_lease(run.id)
        else:
            self._cache[run.id] = run.model_copy(update={"events": []})

    async def _save(self, run: RunDetail, events: list[Event], *, fenced: bool = True) -> RunDetail:
        """A compare-and-set on the version `run` was read at; `fenced` (a driver's save) also
        on this replica's lease. Raises `StaleWrite` when either moved on. Not read back: the
        engine keeps `run` itself, at its new version and seq (streamed output is read fresh
        where it matters, after the tool)."""
        run.updated_at = self._now()
        fence = self._leases.get(run.id) if fenced else None
        try:
            if fenced and fence is None:
                raise StaleWrite(f"replica {self.replica_id} holds no lease on run {run.id}")
            save = partial(
                self._store.save_run,
                run,
                events,
                expected_version=run.version,
                fence=fence,
                read_back=False,
            )
            stored = await self._writer.call(run.id, save)
        except Exception:
            self._cache.pop(run.id, None)
            raise
        self._remember(stored)
        self._bus.publish_change(stored.seq)
        return stored

    async def _save_taking_lease(self, run: RunDetail, events: list[Event]) -> RunDetail:
        """`_save` for an answer: the run becomes this replica's to drive, at the next epoch.
        Read back whole: the API answers with it."""
        run.updated_at = self._now()
        save = partial(
            self._store.save_run_taking_lease,
            run,
            events,
            expected_version=run.version,
            owner=self.replica_id,
            lease_until=self._lease_until(),
        )
        try:
            stored, lease = await self._writer.call(run.id, save)
        except Exception:
            self._cache.pop(run.id, None)
            raise
        self._hold(run.id, lease)
        self._remember(stored)
        self._bus.publish_change(stored.seq)
        return stored

    def _transition(
        self, run: RunDetail, target: RunStatus, events: list[Event], **data: Any
    ) -> None:
        check_transition(run.kind, run.status, target)
        events.append(
            self._event(
                EventType.STATUS_CHANGED,
                None,
                **{"from": run.status.value, "to": target.value},
                **data,
            )
        )
        run.status = target
        if target.is_terminal:
            run.finished_at = self._now()
            run.current_step_id = run.current_step = None

    def _event(self, type: EventType, step_id: str | None = None, **data: Any) -> Event:
        return Event(seq=0, at=self._now(), type=type, step_id=step_id, data=data)

    def _now(self) -> datetime:
        return self._clock.now()

    def _definition_of(self, run: RunDetail) -> Definition:
        definition = self._definitions.get(run.kind, run.definition_id)
        if definition is None:
            raise RuntimeError(f"the definition {run.definition_id!r} is no longer loaded")
        return definition

    def _step_definition(self, run: RunDetail, step: Step) -> StepDefinition:
        return step_definition(self._definition_of(run), run, step)


class _Heartbeat:
    """Renews a replica's leases every fifth of its lease timeout from a thread of its own, and
    hands each result to the engine's loop. A thread, because the loop's store calls are
    synchronous: while one waits on a row lock held by another replica, the loop does nothing,
    and a renewal on the loop would wait too until the leases lapsed."""

    def __init__(self, engine: Engine, loop: asyncio.AbstractEventLoop) -> None:
        self._engine = engine
        self._loop = loop
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"leases-{engine.replica_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)

    def _beat(self) -> None:
        engine = self._engine
        while not self._stopping.wait(engine.lease_timeout / 5):
            asked_at = time.monotonic()
            try:
                renewed = engine._store.renew_leases(engine.replica_id, engine._lease_until())
            except Exception:  # the database may be away for a moment; try again
                log.exception("replica %s: renewing leases failed", engine.replica_id)
                continue
            if self._loop.is_closed():
                return
            self._loop.call_soon_threadsafe(engine._check_renewed, renewed, asked_at)


# --- pure helpers (no engine state) ------------------------------------------------------------


def validated_inputs(definition: Definition, given: dict[str, str]) -> dict[str, str]:
    """Defaults filled in; unknown names, missing required values and pattern misses refused."""
    specs = {spec.name: spec for spec in definition.inputs}
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise InvalidRequest(
            f"unknown input {unknown[0]!r}; {definition.title} takes: {', '.join(specs) or 'none'}"
        )
    inputs: dict[str, str] = {}
    for name, spec in specs.items():
        value = given.get(name, "").strip() or (spec.default or "")
        if not value:
            if spec.required:
                raise InvalidRequest(f"missing required input {name!r}")
            continue
        if spec.pattern and not re.fullmatch(spec.pattern, value):
            raise InvalidRequest(f"input {name!r}: {value!r} does not match {spec.pattern}")
        inputs[name] = value
    return inputs


def checked_answer(
    prompt: Prompt, value: str, values: Mapping[str, object] | None
) -> dict[str, FieldValue]:
    """The answer as recorded, checked against the prompt's fields (`check_answer`, the rule the
    dashboard and the CLI apply too); InvalidRequest with {field, reason} otherwise. A one-field
    answer (`value`) of today's kinds keeps today's leniency: spaces trimmed, a choice matched
    whatever its case."""
    given: Mapping[str, object] = (
        values
        if values is not None
        else {LEGACY_FIELD: canonical_text(value, prompt.allowed_values() or prompt.choices)}
    )
    try:
        return check_answer(prompt.effective_fields(), given)
    except InvalidAnswer as wrong:
        raise InvalidRequest(
            f"{wrong.field}: {wrong.reason}", details={"field": wrong.field, "reason": wrong.reason}
        ) from None


def variable_text(value: FieldValue) -> str:
    """A typed field's value as the variable later steps' tools read: `true`/`false`,
    choices comma-separated, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _context_step_ids(definition: Definition, run: RunDetail, keys: tuple[str, ...]) -> list[str]:
    """The run's step ids of the definition step keys a prompt names (steps not created yet,
    e.g. another remediation's, are left out)."""
    if not keys:
        return []
    by_key: dict[str, str] = {}
    for step in run.steps:
        try:
            key = step_definition(definition, run, step).key
        except (IndexError, RuntimeError):
            continue
        by_key.setdefault(key, step.id)
    return [by_key[key] for key in keys if key in by_key]


def allowed_value(prompt: Prompt, value: str) -> str:
    """The canonical spelling of an answer the prompt allows; InvalidRequest otherwise."""
    text = value.strip()
    allowed = prompt.allowed_values()
    if allowed is not None:
        for candidate in allowed:
            if candidate.lower() == text.lower():
                return candidate
        raise InvalidRequest(
            f"{value!r} is not allowed here; expected one of: {', '.join(allowed)}"
        )
    for candidate in prompt.choices:
        if candidate.lower() == text.lower():
            return candidate
    if not text:
        raise InvalidRequest("an answer is required")
    return text


def failure_path(kind: RunKind, start: RunStatus) -> list[RunStatus]:
    """The shortest chain of legal transitions from `start` to Completed Failure."""
    table = TRANSITIONS[kind]
    previous: dict[RunStatus, RunStatus] = {}
    queue = deque([start])
    while queue:
        status = queue.popleft()
        if status is RunStatus.COMPLETED_FAILURE:
            path = [status]
            while path[-1] in previous and previous[path[-1]] is not start:
                path.append(previous[path[-1]])
            return list(reversed(path))
        for target in sorted(table.get(status, ()), key=lambda s: s.value):
            if target not in previous and target is not start and not target.is_waiting:
                previous[target] = status
                queue.append(target)
    raise RuntimeError(f"no legal path from {start.label} to Completed Failure")


def final_status(run: RunDetail, definition: Definition) -> RunStatus:
    """Success: every executed step succeeded. Partial: some remediation steps failed and some
    succeeded. Failure: triage failed, all failed, or a tool failed in a guide."""
    if (
        run.kind is RunKind.FLOW
        and isinstance(definition, FlowDefinition)
        and _failed_stop_step(run, definition)
    ):
        return RunStatus.COMPLETED_FAILURE
    acting = [s for s in run.steps if s.phase is not StepPhase.TRIAGE]
    failed = [s for s in acting if s.status is StepStatus.FAILED]
    succeeded = [s for s in acting if s.status is StepStatus.SUCCEEDED]
    if not failed:
        return RunStatus.COMPLETED_SUCCESS
    if run.kind is RunKind.GUIDE and any(s.tool is not None for s in failed):
        return RunStatus.COMPLETED_FAILURE
    return RunStatus.COMPLETED_PARTIAL if succeeded else RunStatus.COMPLETED_FAILURE


def summary_text(run: RunDetail, definition: Definition, final: RunStatus) -> str:
    def count(phase: StepPhase, status: StepStatus) -> int:
        return sum(1 for s in run.steps if s.phase is phase and s.status is status)

    parts: list[str] = []
    if run.kind is RunKind.FLOW:
        triage = [s for s in run.steps if s.phase is StepPhase.TRIAGE]
        parts.append(
            f"Triage ran {steps_word(len(triage))}: "
            f"{count(StepPhase.TRIAGE, StepStatus.SUCCEEDED)} succeeded, "
            f"{count(StepPhase.TRIAGE, StepStatus.FAILED)} failed, "
            f"{count(StepPhase.TRIAGE, StepStatus.SKIPPED)} skipped."
        )
        if run.outcome:
            cause = f" Root cause: {run.root_cause}." if run.root_cause else ""
            parts.append(f"Outcome: {run.outcome}.{cause}")
        elif final is RunStatus.COMPLETED_SUCCESS:
            parts.append("No outcome called for remediation.")
    phase = StepPhase.REMEDIATION if run.kind is RunKind.FLOW else StepPhase.PROCEDURE
    acting = [s for s in run.steps if s.phase is phase]
    if acting:
        label = "Remediation" if run.kind is RunKind.FLOW else "Procedure"
        parts.append(
            f"{label}: "
            f"{count(phase, StepStatus.SUCCEEDED)} of {steps_word(len(acting))} succeeded, "
            f"{count(phase, StepStatus.FAILED)} failed, {count(phase, StepStatus.SKIPPED)} skipped."
        )
    parts.append(f"Result: {final.label}.")
    del definition
    return " ".join(parts)


def step_definition(definition: Definition, run: RunDetail, step: Step) -> StepDefinition:
    """Run steps map to definition steps by phase and position (ids are `<phase>-<n>`)."""
    index = int(step.id.rsplit("-", 1)[1]) - 1
    if isinstance(definition, GuideDefinition):
        return definition.steps[index]
    if step.phase is StepPhase.TRIAGE:
        return definition.triage[index]
    outcome = definition.outcome(run.outcome)
    remediation = definition.remediations[outcome.remediation or ""] if outcome else None
    if remediation is None:
        raise RuntimeError(f"step {step.id} has no remediation in {definition.id}")
    return remediation.steps[index]


def _initial_steps(definition: Definition) -> list[Step]:
    if isinstance(definition, GuideDefinition):
        return [_new_step(StepPhase.PROCEDURE, i, i, s) for i, s in enumerate(definition.steps, 1)]
    return [_new_step(StepPhase.TRIAGE, i, i, s) for i, s in enumerate(definition.triage, 1)]


def _new_step(phase: StepPhase, index: int, position: int, step_def: StepDefinition) -> Step:
    return Step(
        id=f"{phase.value}-{index}",
        phase=phase,
        position=position,
        title=step_def.title,
        description=step_def.description,
        automation=step_def.automation,
    )


def _phase_steps(run: RunDetail) -> list[Step]:
    phases = (
        {StepPhase.TRIAGE}
        if run.status is RunStatus.EXECUTING_TRIAGE
        else {StepPhase.REMEDIATION, StepPhase.PROCEDURE}
    )
    return [step for step in run.steps if step.phase in phases]


def _waiting_status(run: RunDetail) -> RunStatus:
    return (
        RunStatus.WAITING_FOR_USER_INPUT_TRIAGE
        if run.status is RunStatus.EXECUTING_TRIAGE
        else RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION
    )


def _failed_stops(run: RunDetail, definition: Definition) -> Iterator[Step]:
    for step in run.steps:
        if (
            step.status is StepStatus.FAILED
            and not step_definition(definition, run, step).continue_on_failure
        ):
            yield step


def _stopped_by_failure(run: RunDetail, definition: Definition) -> bool:
    phase_ids = {step.id for step in _phase_steps(run)}
    return any(step.id in phase_ids for step in _failed_stops(run, definition))


def _failed_stop_step(run: RunDetail, flow: FlowDefinition) -> Step | None:
    return next((s for s in _failed_stops(run, flow) if s.phase is StepPhase.TRIAGE), None)


def _triage_results(run: RunDetail, flow: FlowDefinition) -> dict[str, TriageResult]:
    results: dict[str, TriageResult] = {}
    for step in run.steps:
        if step.phase is StepPhase.TRIAGE:
            key = step_definition(flow, run, step).key
            results[key] = TriageResult(
                status=step.status,
                exit_status=step.tool.exit_status if step.tool else None,
                output=step.tool.output if step.tool else "",
                answer=step.response.value if step.response else None,
            )
    return results


def _tool_failure(step_def: StepDefinition, result: ToolResult, output: str) -> str | None:
    """Why the step failed, or None when its success indicator holds."""
    if result.timed_out or result.exit_status is None:
        return result.error or "the tool did not finish"
    expected = step_def.success
    if expected.exit_status is not None and result.exit_status != expected.exit_status:
        return result.error or f"exit status {result.exit_status} (expected {expected.exit_status})"
    if expected.output_contains is not None and expected.output_contains not in output:
        return f"output does not contain “{expected.output_contains}”"
    if expected.output_regex is not None and not re.search(
        expected.output_regex, output, re.MULTILINE
    ):
        return f"output does not match /{expected.output_regex}/"
    return None


def _variables(run: RunDetail) -> dict[str, str]:
    values = {"run_id": run.id}
    values |= {v.name: v.value for v in run.variables if v.direction is VariableDirection.INPUT}
    values |= {v.name: v.value for v in run.variables if v.direction is VariableDirection.OUTPUT}
    return values


def _find_step(run: RunDetail, step_id: str) -> Step:
    for step in run.steps:
        if step.id == step_id:
            return step
    raise StepNotFound(f"run {run.id} has no step {step_id!r}")


def _conflict_state(run: RunDetail, step: Step) -> dict[str, object]:
    """Who answered this step, and what the run waits on now (so a client can say both)."""
    response = step.response
    waiting = run.waiting_step()
    expired = (response is not None and response.expired) or (
        step.error is not None and NO_ANSWER in step.error
    )
    return {
        "expired": expired,
        "status": run.status.value,
        "step_status": step.status.value,
        "answered_by": response.answered_by if response else None,
        "answered_at": response.answered_at.isoformat()
        if response and response.answered_at
        else None,
        "answered_value": response.value if response else None,
        "waiting_step_id": waiting.id if waiting else None,
        "prompt_id": waiting.prompt.prompt_id if waiting and waiting.prompt else None,
    }


def _forbidden(identity: Identity, prompt: Prompt, started_by: str) -> Forbidden | None:
    """The refusal of `identity` answering `prompt` (`responders.answer_refusal`'s words), with
    the rule that refused it, or None when it may answer."""
    words = answer_refusal(
        identity, responders=prompt.responders, allow_self=prompt.allow_self, started_by=started_by
    )
    if words is None:
        return None
    four_eyes = answer_refusal(
        identity, responders=(), allow_self=prompt.allow_self, started_by=started_by
    )
    return Forbidden(words, FOUR_EYES_RULE if four_eyes else RESPONDERS_RULE)


def _answer_audit(
    answer: PromptResponse, step_id: str, prompt_id: str | None, declared: str
) -> Event:
    details: dict[str, Any] = {"value": answer.value}
    if answer.values:
        details["values"] = dict(answer.values)
    if prompt_id is not None:
        details["prompt_id"] = prompt_id
    if declared and declared != answer.answered_by:
        details["declared_by"] = declared
    assert answer.answered_at is not None
    return audit_event(
        answer.answered_at,
        AuditAction.ANSWER,
        answer.answered_by,
        answer.client,
        step_id=step_id,
        details=details,
    )


def _declared(details: dict[str, Any], declared: str, trigger: Trigger) -> dict[str, Any]:
    if declared and declared != trigger.actor:
        return {**details, "declared_by": declared}
    return details


def _cancel_summary(run: RunDetail) -> str:
    done = sum(1 for s in run.steps if s.status is StepStatus.SUCCEEDED)
    return f"Cancelled after {done} of {steps_word(len(run.steps))} succeeded."


def steps_word(count: int) -> str:
    """Counted words for summaries people read: "1 step", "3 steps", never "step(s)"."""
    return f"{count} step" if count == 1 else f"{count} steps"


def _summary(run: RunDetail) -> RunSummary:
    return RunSummary.model_validate(run.model_dump(include=set(RunSummary.model_fields)))


__all__ = [
    "Conflict",
    "DefinitionNotFound",
    "Engine",
    "EngineError",
    "Forbidden",
    "InvalidRequest",
    "RunNotFound",
    "StepNotFound",
    "allowed_value",
    "failure_path",
    "final_status",
    "validated_inputs",
]
