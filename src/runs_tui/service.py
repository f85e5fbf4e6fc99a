"""`RunsService`: the one object the screens talk to.

Why a facade: screens must stay testable against a cache filled in a test, without a network,
and must never import httpx or sqlite. So every backend action, sync and export goes through
here; built with `client=None` the service serves the cache only and every action raises
`Unreachable`, which the screens already know how to explain.

After each action the cache is brought up to date (a sync pass and the run's detail), so what the
screen shows next is the result of the action, not the state before it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runs_tui import run_ids
from runs_tui.drafts import Drafts
from runs_tui.errors import ClientError, NotFound, StateConflict, Unreachable
from runs_tui.events import (
    CacheChanged,
    OutputChunk,
    OutputFollowed,
    ServiceEvent,
    ServiceSink,
    SyncStateChanged,
    WaitingStarted,
)
from runs_tui.flow_health import HealthReport
from runs_tui.formatting import age_words, clock_words
from runs_tui.idempotency import new_idempotency_key
from runs_tui.inbox import Inbox, build_inbox
from runs_tui.models.domain import (
    ApiErrorBody,
    AuditPage,
    EventType,
    Me,
    RespondRequest,
    RunDetail,
    RunSummary,
    StartRunRequest,
    Step,
    Trigger,
    TriggerKind,
)
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.models.health import HealthWindow, RecentRecord, window_span
from runs_tui.models.prompt_fields import FieldValue
from runs_tui.models.responders import Identity, answer_refusal
from runs_tui.models.status import StatusGroup
from runs_tui.sync import (
    LinkChanged,
    Synced,
    Syncer,
    SyncFailed,
    SyncResult,
    SyncStarted,
)

if TYPE_CHECKING:
    from runs_tui.cache import Cache, CachedDetail
    from runs_tui.client import RunsClient  # imported on first use: see `connect`

log = logging.getLogger(__name__)

NO_BACKEND = "no backend configured"

__all__ = [
    "CacheChanged",
    "ComparedRun",
    "RunsService",
    "ServiceEvent",
    "SyncMode",
    "SyncStateChanged",
    "SyncStatus",
    "OutputChunk",
    "OutputFollowed",
    "WaitingStarted",
]


# --- sync status -------------------------------------------------------------------------------


class SyncMode(StrEnum):
    LIVE = "live"
    SYNCING = "syncing"
    OFFLINE = "offline"
    IDLE = "idle"
    LOCAL_ONLY = "local-only"


@dataclass(frozen=True)
class SyncStatus:
    """What the header says about freshness: how current is what the operator sees?"""

    state: SyncMode
    offline_since: datetime | None = None
    last_synced: datetime | None = None
    last_error: str | None = None

    def describe(self, now: datetime) -> str:
        """Words for the header. Offline, how old the data on screen is, as a time ("offline
        since 17:54 — data from 17:53"): "last synced just now" next to "offline" read as a
        contradiction, since the last success is usually right before the backend went."""
        if self.state is SyncMode.LIVE:
            return "live"
        if self.state is SyncMode.SYNCING:
            return "syncing…"
        data = (
            f"data from {clock_words(self.last_synced, now)}"
            if self.last_synced
            else "nothing synced yet"
        )
        if self.state is SyncMode.OFFLINE:
            since = f" since {clock_words(self.offline_since, now)}" if self.offline_since else ""
            return f"offline{since} — {data}"
        if self.state is SyncMode.LOCAL_ONLY:
            return "local cache only" + (f" — {data}" if self.last_synced else "")
        return (
            f"last synced {age_words(self.last_synced, now)}"
            if self.last_synced
            else "not synced yet"
        )


@dataclass(frozen=True)
class ComparedRun:
    """One run of a comparison as fetched (`RunsService.fetch_for_compare`)."""

    run_id: str
    detail: RunDetail | None
    fetched_at: datetime | None = None
    fresh: bool = False
    """Confirmed by the backend just now."""
    deleted: bool = False
    """The backend answered that the run no longer exists."""
    problem: str | None = None
    """Why the backend could not confirm it (unreachable, no backend), in words."""


def _local_now() -> datetime:
    return datetime.now(UTC).astimezone()


class RunsService:
    """Cache + (optionally) client and syncer + exports, behind one small async API."""

    def __init__(
        self,
        cache: Cache,
        client: RunsClient | None = None,
        *,
        profile_label: str = "",
        backend_label: str = "",
        refresh_interval: float = 5.0,
        now: Callable[[], datetime] | None = None,
        actor: str = "",
        syncer: Syncer | None = None,
        connect: Callable[[], RunsClient] | None = None,
    ) -> None:
        """`connect` makes the client later, on first need (see `connect`), instead of
        `client` now: the dashboard paints from the cache before it imports httpx."""
        self.cache = cache
        self.client = client
        self.profile_label = profile_label
        self.backend_label = backend_label
        self.actor = actor
        self.identity: Identity | None = None
        """Who the backend says this token is, once asked; None while unknown (nothing is
        refused before sending then: the backend still decides)."""
        self._followed: frozenset[str] = frozenset()  # runs whose tool output is streamed
        self._identity_final = False  # asked, and the answer will not change by asking again
        self.drafts = Drafts()  # the prompt's unsent answers, per run and step, for the session
        self._now = now or _local_now
        self._refresh_interval = refresh_interval
        self._connect = None if client else connect
        self._refused: ClientError | None = None
        self._connecting = threading.Lock()
        self.syncer = syncer or (self._syncer_for(client) if client else None)
        self._last_status: SyncStatus | None = None
        self._closed = False

    def _syncer_for(self, client: RunsClient) -> Syncer:
        return Syncer(self.cache, client, poll_interval=self._refresh_interval)

    @property
    def connects_later(self) -> bool:
        """A deferred client is still to be made (by `connect`, or the live sync)."""
        return self._connect is not None

    def connect(self) -> None:
        """Make the deferred client and its syncer now (a no-op when there is none to make).

        Why deferred: the client's imports (httpx, its TLS and retry machinery) are a fifth of
        the dashboard's start, and its first frame comes from the cache alone. Safe to call
        from a worker thread before the live sync starts (`run_live` does so)."""
        with self._connecting:
            if self._refused is not None:
                raise self._refused
            if self._connect is None or self._closed:
                return
            make, self._connect = self._connect, None
            try:
                client = make()
            except ClientError as error:  # a configuration the client refuses (`Refused`)
                self._refused = error
                raise
            self.syncer = self._syncer_for(client)
            self.client = client

    def now(self) -> datetime:
        return self._now()

    async def aclose(self) -> None:
        """Close the syncer's cache connection and the HTTP client (not `cache`: the caller's).

        Idempotent: the app closes the service when it unmounts and its owner (the CLI, a test)
        closes it again; the syncer's worker thread must not be shut down twice."""
        if self._closed:
            return
        self._closed = True
        if self.syncer is not None:
            self.syncer.close()
        if self.client is not None:
            await self.client.aclose()

    # status and sync --------------------------------------------------------------------------

    def sync_status(self) -> SyncStatus:
        state = self.cache.sync_state()
        offline_since = state.offline_since
        last_synced = state.last_success
        last_error = state.last_error if offline_since else None
        if self.syncer is None and self._connect is None:
            return SyncStatus(SyncMode.LOCAL_ONLY, None, last_synced, None)
        if offline_since is not None:
            mode = SyncMode.OFFLINE
        elif self.syncer is None:  # the client is made once the first frame is up
            mode = SyncMode.IDLE
        elif self.syncer.syncing:
            mode = SyncMode.SYNCING
        elif self.syncer.live:
            mode = SyncMode.LIVE
        else:
            mode = SyncMode.IDLE
        return SyncStatus(mode, offline_since, last_synced, last_error)

    async def sync_now(self) -> SyncResult:
        """A full pass now (definitions included); raises `ClientError` for the UI to explain."""
        return await self._require_syncer().sync_once(definitions=True)

    def follow_output(self, run_id: str | None) -> None:
        """Stream the tool output of `run_id` (the run on screen) and of no other run; None:
        of none. The backend sends a client only the output it asked for."""
        self._followed = frozenset({run_id} if run_id else ())
        if self.syncer is not None:
            self.syncer.watch_output(self._followed)

    def unfollow_output(self, run_id: str) -> None:
        """Stop streaming `run_id`'s output, unless another run is followed meanwhile."""
        if self._followed == {run_id}:
            self.follow_output(None)

    async def run_live(self, on_event: ServiceSink) -> None:
        """Until cancelled: keep the cache live and report what changed as service events.
        A deferred client is made first, on a thread (its imports would freeze the UI)."""
        if self._connect is not None:
            await asyncio.to_thread(self.connect)
        if self.syncer is None:
            await _deliver(on_event, SyncStateChanged(self.sync_status()))
            return
        self.syncer.watch_output(self._followed)  # a run opened before the client was made

        async def translate(event: Any) -> None:
            if isinstance(event, Synced) and self.identity is None and not self._identity_final:
                await self._learn_identity()
            for service_event in self._translate(event):
                await _deliver(on_event, service_event)

        await self.syncer.run_live(translate)

    def _translate(self, event: Any) -> list[ServiceEvent]:
        if isinstance(event, OutputChunk | OutputFollowed):
            return [event]
        events: list[ServiceEvent] = []
        if isinstance(event, Synced):
            result = event.result
            if result.touched or result.full_resync:
                events.append(CacheChanged(result.touched, full=result.full_resync))
            events.extend(WaitingStarted(run) for run in result.waiting_started)
        if isinstance(event, (Synced, SyncStarted, SyncFailed, LinkChanged)):
            status = self.sync_status()
            if status != self._last_status:
                self._last_status = status
                events.append(SyncStateChanged(status))
        return events

    async def refresh_detail(self, run_id: str) -> CachedDetail | None:
        """Fresh detail when the backend answers; the cached copy (with its age) otherwise."""
        with suppress(ClientError):  # refused: the cached copy, as with no backend at all
            self.connect()
        if self.syncer is None:
            return self.cache.get_detail(run_id)
        return await self.syncer.refresh_detail(run_id)

    # comparing two runs ----------------------------------------------------------------------

    def previous_run(self, run_id: str) -> RunSummary | None:
        """The cached run of the same flow or guide created just before `run_id`."""
        return self.cache.previous_run(run_id)

    async def fetch_for_compare(self, run_id: str) -> ComparedRun:
        """One side of a comparison: the fresh detail when the backend answers; offline the
        cached copy, said to be one; a run the backend no longer has is `deleted` (and its
        cached copy is not offered: a comparison must never show a gone run as current)."""
        try:
            cached = await self.refresh_detail(run_id)
        except NotFound:
            return ComparedRun(run_id, None, deleted=True)
        except ClientError as error:
            stale = self.cache.get_detail(run_id)
            return ComparedRun(
                run_id,
                stale.detail if stale else None,
                fetched_at=stale.fetched_at if stale else None,
                problem=error.explain(),
            )
        if cached is None:
            return ComparedRun(run_id, None, problem=NO_BACKEND)
        if self.syncer is None:  # the cache alone: what it has, never confirmed
            return ComparedRun(run_id, cached.detail, cached.fetched_at, problem=NO_BACKEND)
        return ComparedRun(run_id, cached.detail, cached.fetched_at, fresh=True)

    # run ids ----------------------------------------------------------------------------------

    def find_cached_run(self, text: str) -> RunSummary | None:
        """The cached run `text` names (an id, or a unique prefix of at least four characters);
        None when the cache knows none. Raises `AmbiguousRunId`. Instant: the palette calls it
        as the operator types."""
        text = text.strip()
        return run_ids.pick(
            text, self.cache.runs_with_id_prefix(text, run_ids.CANDIDATES_SHOWN + 1)
        )

    async def resolve_run_id(self, text: str, *, ask_backend: bool = True) -> str:
        """The full id of the run `text` names: every command and screen that takes a run id
        comes here. The cache first; when it knows no such run (created by someone else since
        the last sync), a sync pass and the cache again. A backend that cannot be reached leaves
        the cache's answer, and an exact id is then passed on as typed, so the action itself
        reports what the backend says. Raises `RunIdNotFound`, `AmbiguousRunId`."""
        text = text.strip()
        found = self.find_cached_run(text)
        if found is not None:
            return found.id
        if ask_backend and self.syncer is not None:
            try:
                await self.syncer.sync_once(definitions=False)
            except ClientError as error:
                log.info("sync to resolve %r failed: %s", text, error.explain())
                return text
            found = self.find_cached_run(text)
            if found is not None:
                return found.id
        raise run_ids.RunIdNotFound(text)

    async def fetch_identity(self) -> Identity | None:
        """Ask the backend who this operator's token is (`GET /me`) and keep it in
        `identity`, so `answer_refusal` can speak before a person types. Once per session: a
        token's identity does not change while it is held. A failure leaves it unknown (logged,
        not raised): the backend still decides when the answer is sent."""
        if self.identity is not None or self._identity_final:
            return self.identity
        try:
            me = await self._require_client().me()
        except ClientError as error:
            # A backend without /me (older, or another implementation) will not grow one:
            # stop asking. Unreachable: ask again after the next sync.
            self._identity_final = not isinstance(error, Unreachable)
            log.info("could not ask the backend who this token is: %s", error.explain())
            return None
        self.identity = Identity(me.name, frozenset(me.groups))
        return self.identity

    async def client_me(self) -> Me:
        """`GET /me`, raising what the call raises (the CLI's `whoami` reports it)."""
        me = await self._require_client().me()
        self.identity = Identity(me.name, frozenset(me.groups))
        return me

    async def _learn_identity(self) -> None:
        """`fetch_identity` for the live sync: whatever goes wrong asking, the sync goes on
        (an unknown identity only means the backend alone refuses)."""
        try:
            await self.fetch_identity()
        except Exception:
            self._identity_final = True
            log.exception("asking the backend who this token is failed")

    async def audit(self, since: int = 0, limit: int = 100) -> AuditPage:
        """A page of the backend's audit log (`GET /audit`)."""
        return await self._require_client().audit(since, limit)

    def answer_refusal(self, run: RunDetail, step: Step) -> str | None:
        """Why this operator may not answer `step`'s prompt (responders, four eyes), said
        before they type; None when they may, or while the identity is unknown."""
        if self.identity is None or step.prompt is None:
            return None
        prompt = step.prompt
        return answer_refusal(
            self.identity,
            responders=prompt.responders,
            allow_self=prompt.allow_self,
            started_by=run.trigger.actor,
        )

    # the health of flows and guides -----------------------------------------------------------

    def health(
        self,
        window: HealthWindow,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> HealthReport:
        """Every flow and guide's figures over the window ending now (or a custom one), from
        the cache alone: instant, and offline too."""
        span = window_span(window, self.now(), start, end)
        return HealthReport(window, span, self.cache.health(span))

    async def read_health(
        self,
        window: HealthWindow,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> HealthReport:
        """`health` in a thread, on a connection of its own (a `Cache` is one thread's): over
        a big cache the figures take a while, and the dashboard keeps answering meanwhile."""
        span = window_span(window, self.now(), start, end)

        def read() -> HealthReport:
            from runs_tui.cache import Cache

            with Cache.open(self.cache.path) as own:
                return HealthReport(window, span, own.health(span))

        return await asyncio.to_thread(read)

    def definition_record(self, run: RunSummary, limit: int = 10) -> RecentRecord:
        """How the run's flow or guide has done lately ("3 of the last 10 runs failed")."""
        return self.cache.recent_record(run.kind, run.name, limit)

    # the inbox ---------------------------------------------------------------------------------

    INBOX_FETCHES_AT_ONCE = 4
    """Details fetched side by side for the inbox: enough to fill it quickly, few enough not to
    hammer a backend that a hundred waiting runs would otherwise get a hundred requests from."""

    def waiting_runs(self) -> list[RunSummary]:
        """Every cached run in the WAITING group, whatever the list's filter (the inbox's)."""
        waiting = RunFilter(statuses=StatusGroup.WAITING.statuses, time=TimeRange(TimePreset.ALL))
        return list(self.cache.iter_runs(waiting, self.now()))

    def inbox(self, problems: Iterable[str] = ()) -> Inbox:
        """The inbox from the cache alone (instant, and offline): the waiting runs' cached
        details, current or not; a run whose detail was never fetched is listed unfetched."""

        def cached(run: RunSummary) -> RunDetail | None:
            found = self.cache.get_detail(run.id)
            return found.detail if found is not None else None

        return build_inbox(self.waiting_runs(), cached, self.answer_refusal, problems)

    def inbox_stale(self) -> list[str]:
        """Waiting runs whose cached detail is missing or older than the list's row."""
        stale: list[str] = []
        for run in self.waiting_runs():
            found = self.cache.get_detail(run.id)
            if found is None or found.detail.version < run.version:
                stale.append(run.id)
        return stale

    async def refresh_inbox(self, run_ids: Iterable[str] | None = None) -> Inbox:
        """Fetch the details the inbox lacks (`run_ids`, default: `inbox_stale()`), a few at
        a time, then the inbox from the cache. What could not be fetched is said in
        `Inbox.problems`; what the cache had is still listed."""
        wanted = list(self.inbox_stale() if run_ids is None else run_ids)
        with suppress(ClientError):
            self.connect()
        if not wanted:
            return self.inbox()
        if self.syncer is None:
            return self.inbox([f"{_runs(len(wanted))} not fetched: {NO_BACKEND}"])
        syncer = self.syncer
        gate = asyncio.Semaphore(self.INBOX_FETCHES_AT_ONCE)
        failures: list[str] = []

        async def fetch(run_id: str) -> None:
            async with gate:
                try:
                    await syncer.refresh_detail(run_id)
                except NotFound:
                    pass  # deleted since the list was synced: the next sync drops it
                except ClientError as error:
                    failures.append(error.explain())

        await asyncio.gather(*(fetch(run_id) for run_id in wanted))
        problems = (
            [f"{_runs(len(failures))} could not be fetched: {failures[0]}"] if failures else []
        )
        return self.inbox(problems)

    # actions ----------------------------------------------------------------------------------

    async def respond(
        self,
        run_id: str,
        step_id: str,
        value: str,
        note: str = "",
        idempotency_key: str | None = None,
        *,
        prompt_id: str | None = None,
        values: dict[str, FieldValue] | None = None,
    ) -> RunDetail:
        """Answer a waiting step. Pass the key generated when the user pressed enter, so a
        retried send is the same answer, and the `prompt_id` of the prompt the user saw, so the
        backend refuses (409) an answer to an asking that was not on screen. On 409 the cache is
        refreshed before re-raising. `values`: a typed prompt's answer, by field (checked with
        `prompt_fields.check_answer` by the caller, as the backend will)."""
        client = self._require_client()
        request = RespondRequest(
            value=value, values=values, note=note, answered_by=self.actor, prompt_id=prompt_id
        )
        try:
            detail = await client.respond(
                run_id, step_id, request, idempotency_key or new_idempotency_key()
            )
        except StateConflict:
            await self._settle(run_id)
            raise
        self.drafts.drop(run_id, step_id)
        await self._settle(run_id)
        return detail

    async def cancel(self, run_id: str, idempotency_key: str | None = None) -> RunSummary:
        """Cancel as this operator: the backend records the token's identity, as with answers
        (asked first, once, so `cancel_words` knows whether the cancel on record is ours)."""
        client = self._require_client()
        await self.fetch_identity()
        try:
            summary = await client.cancel(
                run_id, idempotency_key or new_idempotency_key(), self.actor
            )
        except StateConflict:
            await self._settle(run_id)
            raise
        await self._settle(run_id)
        return summary

    def cancel_words(self, run_id: str, summary: RunSummary) -> str:
        """What to tell the operator after a cancel: done, or that someone else had already
        cancelled the run (the backend answers a repeated cancel with success, so without this
        the operator would believe their own key press stopped it)."""
        cancel = self.cancel_record(run_id)
        me = self.identity.name if self.identity is not None else self.actor
        if cancel is not None and cancel[0] and cancel[0] != me:
            who, when = cancel
            at = clock_words(when, self.now())
            return f"Already cancelled by {who} at {at} — nothing more was done."
        return f"Cancelled — the run is now {summary.status.label}."

    def cancel_record(self, run_id: str) -> tuple[str, datetime] | None:
        """(who, when) of the run's cancel, from its cached detail's status events."""
        cached = self.cache.get_detail(run_id)
        if cached is None:
            return None
        for event in cached.detail.events:
            if event.type is EventType.STATUS_CHANGED and event.data.get("to") == "cancelled":
                return str(event.data.get("actor") or ""), event.at
        return None

    async def delete(self, ids: Iterable[str]) -> tuple[list[str], list[ApiErrorBody]]:
        """Delete finished runs: (deleted ids, refusals with their reasons)."""
        client = self._require_client()
        result = await client.delete_runs(list(ids), new_idempotency_key())
        await self._settle(None)
        return result.deleted, result.refused

    async def rerun(self, run_id: str) -> RunSummary:
        """A new run of the same flow or guide with the same inputs, started by this user."""
        client = self._require_client()
        source = await self._run_for_rerun(client, run_id)
        request = StartRunRequest(
            inputs=dict(source.inputs),
            trigger=Trigger(kind=TriggerKind.MANUAL, actor=self.actor),
            rerun_of=source.id,
        )
        summary = await client.start_run(
            source.kind, source.definition_id, request, new_idempotency_key()
        )
        await self._settle(summary.id)
        return summary

    async def _run_for_rerun(self, client: RunsClient, run_id: str) -> RunSummary:
        cached = self.cache.get_run(run_id)
        if cached is not None:
            return cached
        fetched = await client.get_run(run_id)
        if fetched is None:
            raise NotFound(f"run {run_id}")
        return fetched

    async def _settle(self, run_id: str | None) -> None:
        """Bring the cache up to date after an action; a failure here does not undo the action
        (the sync status reports it), so it is logged, not raised."""
        syncer = self._require_syncer()
        try:
            await syncer.sync_once(definitions=False)
            if run_id is not None:
                await syncer.refresh_detail(run_id)
        except ClientError as error:
            log.info("refresh after action failed: %s", error.explain())

    def _require_client(self) -> RunsClient:
        self.connect()
        if self.client is None:
            raise Unreachable(NO_BACKEND)
        return self.client

    def _require_syncer(self) -> Syncer:
        self.connect()
        if self.syncer is None:
            raise Unreachable(NO_BACKEND)
        return self.syncer

    # exports ----------------------------------------------------------------------------------

    def export_run(self, run_id: str, fmt: str, path: str | Path | None = None) -> Path:
        """Write one run's export from the cache (fetch its detail first); returns the path.
        Safe on a worker thread: it reads through a connection of its own."""
        from runs_tui import exports

        with self._export_cache() as cache:
            return exports.export_run(
                cache, run_id, exports.ExportFormat(fmt), _optional_path(path)
            )

    def export_list(self, run_filter: RunFilter, fmt: str, path: str | Path | None = None) -> Path:
        """Write the filtered list as it is in the cache now; returns the path.
        Safe on a worker thread: it reads through a connection of its own."""
        from runs_tui import exports

        with self._export_cache() as cache:
            return exports.export_list(
                cache, run_filter, self.now(), exports.ExportFormat(fmt), _optional_path(path)
            )

    @contextmanager
    def _export_cache(self) -> Iterator[Cache]:
        """A second connection to the cache file, closed after the export. Why: the screens run
        exports on a worker thread (a million runs would freeze the UI) and a `Cache` is for
        one thread at a time; SQLite's WAL lets the UI keep reading through `cache` meanwhile."""
        from runs_tui.cache import Cache

        cache = Cache.open(self.cache.path)
        try:
            yield cache
        finally:
            cache.close()


def _runs(count: int) -> str:
    return f"{count} waiting run{'s' if count != 1 else ''}"


def _optional_path(path: str | Path | None) -> Path | None:
    return None if path is None else Path(path)


async def _deliver(sink: ServiceSink, event: ServiceEvent) -> None:
    outcome = sink(event)
    if inspect.isawaitable(outcome):
        await outcome
