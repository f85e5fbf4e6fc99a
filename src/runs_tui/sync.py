"""Keeps the local cache converging on the backend: change feed, live stream, run details.

Why it is shaped this way:
- The cache is the UI's only source, so the sync must be safe to kill at any moment: every page
  (its rows, its tombstones and the new cursor) is committed by the cache in one transaction,
  and the next sync simply resumes from the stored cursor.
- The live stream is only a doorbell. A change notice makes us pull the feed from our cursor,
  which never skips; a burst of notices collapses into one pull; a lost notice costs nothing.
  While the stream is down we poll, and reconnect with backoff, so a backend restart or a flaky
  tunnel heals by itself.
- The syncer writes through its own connection to the cache file, from one worker thread: the
  UI's event loop never waits for a sync's writes (SQLite's WAL lets the UI read meanwhile),
  and the next page is fetched while the current one is parsed and written there (its cursor
  is read off the end of its body). A first sync into an empty cache, and a full resync
  after a 410, bulk-load in large pages (see `cache/bulk.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from runs_tui.backoff import jittered_backoff
from runs_tui.cache import Cache
from runs_tui.cache.feed import CURRENT_STEP_AT, STATUS_AT, FetchedPage, RowPage, read_fetched
from runs_tui.errors import ClientError, Gone, ServerError
from runs_tui.events import OutputChunk, OutputFollowed
from runs_tui.models.domain import RunSummary, StreamEventType
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

if TYPE_CHECKING:
    from runs_tui.cache import CachedDetail
    from runs_tui.client import RunsClient  # httpx: the dashboard imports it after its first paint

log = logging.getLogger(__name__)

T = TypeVar("T")

PAGE_SIZE = 1000
BULK_PAGE_SIZE = 10_000
"""Pages of a bulk load (a first sync): the server's maximum. Fewer round trips, and staged
pages are cheap to commit whatever their size (measured in benchmarks/bench_sync.py)."""
DEFINITIONS_MAX_AGE = 300.0  # seconds: flows and guides change rarely


# --- what the syncer reports -------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    """What one `sync_once` brought into the cache."""

    changed: frozenset[str] = frozenset()
    deleted: frozenset[str] = frozenset()
    waiting_started: tuple[RunSummary, ...] = ()
    pages: int = 0
    full_resync: bool = False
    cursor: int | None = None

    @property
    def touched(self) -> frozenset[str]:
        return self.changed | self.deleted


@dataclass(frozen=True)
class SyncStarted:
    pass


@dataclass(frozen=True)
class Synced:
    result: SyncResult


@dataclass(frozen=True)
class SyncFailed:
    error: ClientError


@dataclass(frozen=True)
class LinkChanged:
    """The live stream went up (`live=True`) or down."""

    live: bool


SyncEvent = SyncStarted | Synced | SyncFailed | LinkChanged | OutputChunk | OutputFollowed
EventSink = Callable[[Any], Awaitable[None] | None]


class Sleeper(Protocol):
    def __call__(self, seconds: float) -> Awaitable[None]: ...


@dataclass
class Backoff:
    """Jittered exponential delays for reconnecting the stream; reset once connected. At
    least half the ceiling each time (`jittered_backoff`'s floor), so a backend that refuses
    at once is not hammered."""

    base: float = 0.5
    cap: float = 30.0
    rng: Callable[[], float] = random.random
    failures: int = field(default=0, init=False)

    def next_delay(self) -> float:
        self.failures += 1
        return jittered_backoff(self.failures, self.base, self.cap, self.rng, floor=0.5)

    def reset(self) -> None:
        self.failures = 0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _InlineCache:
    """Cache calls made right here, on the caller's thread, through the caller's instance."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def run(self, action: Callable[[Cache], T]) -> T:
        return action(self._cache)

    def close(self) -> None:
        pass


class _ThreadedCache:
    """The syncer's own connection to the cache file, used only from one worker thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runs-tui-sync")
        self._cache: Cache | None = None
        self._closed = False

    async def run(self, action: Callable[[Cache], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, action)

    def _call(self, action: Callable[[Cache], T]) -> T:
        if self._cache is None:
            self._cache = Cache.open(self._path)
        return action(self._cache)

    def close(self) -> None:
        """Idempotent; waits for a write in progress to commit."""
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._close_cache).result()
        self._executor.shutdown(wait=True)

    def _close_cache(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None


STOP_LISTENING_SECONDS = 5.0

_WAITING = frozenset(status.value for status in RunStatus if status.is_waiting)


def _apply_page(
    cache: Cache, fetched: FetchedPage, notice_waiting: bool
) -> tuple[RowPage, list[RunSummary]]:
    """Parse and apply one page (one transaction), on the writer's thread; first note the
    runs it moves into a waiting status (or to a new waiting step) compared with the cache."""
    try:
        page = fetched.rows()
    except ValueError as error:
        raise ServerError(f"the backend's answer was incomplete or malformed ({error})") from None
    waiting: set[str] = set()
    if notice_waiting:
        for row in page.rows:
            if row[STATUS_AT] not in _WAITING:
                continue
            before = cache.get_run(row[0])
            moved = before is None or not before.status.is_waiting
            if moved or before.current_step_id != row[CURRENT_STEP_AT]:  # type: ignore[union-attr]
                waiting.add(row[0])
    cache.apply_rows(page)
    return page, page.summaries(waiting) if waiting else []


def _store_fetched(
    cache: Cache, run_id: str, fetched: Any, cached: Any, at: datetime
) -> CachedDetail | None:
    if fetched is not None:
        cache.store_detail(fetched.detail, fetched.etag, at)
    elif cached is not None:
        cache.store_detail(cached.detail, cached.etag, at)  # confirmed fresh now
    return cache.get_detail(run_id)


class Syncer:
    """Brings one cache up to date with one backend. One `sync_once` at a time (a lock)."""

    def __init__(
        self,
        cache: Cache,
        client: RunsClient,
        *,
        page_size: int | None = None,
        poll_interval: float = 5.0,
        reconnect: Backoff | None = None,
        now: Callable[[], datetime] = _utc_now,
        sleep: Sleeper = asyncio.sleep,
        own_connection: bool = True,
    ) -> None:
        """`own_connection=False` writes through `cache` itself, on the event loop's thread.
        `page_size` fixes the feed's page size; by default it is `PAGE_SIZE`, and
        `BULK_PAGE_SIZE` while a first sync bulk-loads an empty cache."""
        self.cache = cache
        self._db: _InlineCache | _ThreadedCache = (
            _ThreadedCache(cache.path) if own_connection else _InlineCache(cache)
        )
        self.client = client
        self.page_size = page_size
        self.poll_interval = poll_interval
        self.reconnect = reconnect or Backoff()
        self._now = now
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._sink: EventSink | None = None
        self._definitions_fetched_at: float | None = None
        self.syncing = False
        self.live = False
        # The last moment the stream vouched for the cache: a heartbeat with no pull pending
        # or failed. Quiet systems pull rarely, so this, not the last pull, dates the data.
        self.current_as_of: datetime | None = None
        self._pulled_cleanly = False
        self._outputs: frozenset[str] = frozenset()  # runs whose tool output the stream carries
        self._resubscribe = asyncio.Event()  # the wanted outputs changed: reconnect now
        self._subscribed = asyncio.Event()  # the stream open carries `_outputs`

    def close(self) -> None:
        """Release the syncer's own cache connection and its thread."""
        self._db.close()

    # one pass -------------------------------------------------------------------------------

    async def sync_once(self, *, definitions: bool | None = None) -> SyncResult:
        """Pull every change since the stored cursor (a full resync after 410), then record the
        outcome in the cache's sync state. `definitions`: force (True) or skip (False) the
        flows/guides refresh; by default they are refreshed when older than a few minutes."""
        async with self._lock:
            self.syncing = True
            await self._emit(SyncStarted())
            failure: ClientError | None = None
            try:
                result = await self._sync_changes()
                if self._definitions_due(definitions):
                    await self.refresh_definitions()
            except ClientError as error:
                failure = error
            finally:
                # Once, before any outcome is told (a listener reads it), and also when the
                # pass is cancelled midway (the stream dropped).
                self.syncing = False
            if failure is not None:
                message, at = failure.explain(), self._now()
                await self._db.run(lambda cache: cache.record_sync_error(message, at))
                await self._emit(SyncFailed(failure))
                raise failure
            at = self._now()
            await self._db.run(lambda cache: cache.record_sync_success(at))
            await self._emit(Synced(result))
            return result

    async def _sync_changes(self) -> SyncResult:
        state = await self._db.run(lambda cache: cache.sync_state())
        if state.resync_in_progress:
            return await self._full_resync(resume_from=state.cursor)
        bulk = state.bulk_loading
        if state.cursor is None:
            bulk = await self._db.run(lambda cache: cache.begin_bulk_load())
        try:
            result = await self._pull(
                state.cursor, notice_waiting=state.cursor is not None, resync=False, bulk=bulk
            )
        except Gone:
            log.info("sync cursor %s expired on the backend: full resync", state.cursor)
            return await self._full_resync(resume_from=None)
        await self._db.run(lambda cache: cache.finish_bulk_load())
        return result

    async def _full_resync(self, resume_from: int | None) -> SyncResult:
        """Re-read everything; the cache then drops runs the server no longer has. Resumable:
        a resync interrupted by a kill continues from the cursor its pages committed."""
        if resume_from is None:
            await self._db.run(lambda cache: cache.begin_full_resync())
        bulk = (await self._db.run(lambda cache: cache.sync_state())).bulk_loading
        try:
            result = await self._pull(resume_from, notice_waiting=False, resync=True, bulk=bulk)
        except Gone:
            if resume_from is None:
                raise
            await self._db.run(lambda cache: cache.begin_full_resync())
            result = await self._pull(None, notice_waiting=False, resync=True, bulk=bulk)
        removed = await self._db.run(lambda cache: cache.finish_full_resync())
        if removed:
            log.info("full resync removed %d runs the backend no longer has", removed)
        return SyncResult(result.changed, result.deleted, (), result.pages, True, result.cursor)

    async def _pull(
        self, cursor: int | None, *, notice_waiting: bool, resync: bool, bulk: bool = False
    ) -> SyncResult:
        """Page through the feed until `has_more` is false, prefetching the next page."""
        changed: set[str] = set()
        deleted: set[str] = set()
        waiting: list[RunSummary] = []
        pages = 0
        size = self.page_size or (BULK_PAGE_SIZE if bulk else PAGE_SIZE)

        def fetch(after: int | None) -> asyncio.Future[FetchedPage]:
            return asyncio.ensure_future(
                self.client.changes_parsed(after, size, read_fetched, resync=resync)
            )

        pending = fetch(cursor)
        try:
            while True:
                fetched = await pending
                _check_progress(cursor, fetched)
                if fetched.has_more:  # on the wire while this page is parsed and applied
                    pending = fetch(fetched.next_cursor)
                    await _let_run(pending)
                page, noticed = await self._db.run(
                    partial(_apply_page, fetched=fetched, notice_waiting=notice_waiting)
                )
                waiting.extend(noticed)
                pages += 1
                changed.update(row[0] for row in page.rows)
                deleted.update(page.deleted)
                cursor = page.next_cursor
                if not page.has_more:
                    return SyncResult(
                        frozenset(changed), frozenset(deleted), tuple(waiting), pages, False, cursor
                    )
        finally:
            if not pending.done():
                pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, ClientError):
                await pending  # a prefetch we no longer need: reap it, whatever its outcome

    # definitions and details ------------------------------------------------------------------

    def _definitions_due(self, forced: bool | None) -> bool:
        if forced is not None:
            return forced
        fetched = self._definitions_fetched_at
        return fetched is None or time.monotonic() - fetched > DEFINITIONS_MAX_AGE

    async def refresh_definitions(self) -> None:
        flows, guides = await asyncio.gather(
            self.client.definitions(RunKind.FLOW), self.client.definitions(RunKind.GUIDE)
        )
        await self._db.run(lambda cache: cache.replace_definitions([*flows, *guides]))
        self._definitions_fetched_at = time.monotonic()

    async def refresh_detail(self, run_id: str) -> CachedDetail | None:
        """Fetch a run's detail unless the cached copy's ETag still matches (304)."""
        cached = await self._db.run(lambda cache: cache.get_detail(run_id))
        fetched = await self.client.get_run_tagged(run_id, cached.etag if cached else None)
        at = self._now()
        return await self._db.run(lambda cache: _store_fetched(cache, run_id, fetched, cached, at))

    # live -------------------------------------------------------------------------------------

    def watch_output(self, run_ids: Collection[str]) -> None:
        """Have the stream carry the tool output of `run_ids` (and no other run's). The
        backend sends output only to the clients that ask for it, so a new set means a new
        connection, made at once (`output_subscribed` says when it is up)."""
        wanted = frozenset(run_ids)
        if wanted != self._outputs:
            self._outputs = wanted
            self._subscribed.clear()
            self._resubscribe.set()

    async def output_subscribed(self, wait: float) -> bool:
        """Whether the open stream carries the watched runs' output, waiting up to `wait`
        seconds for it (False while offline). Listeners also hear `OutputFollowed`."""
        if not self._subscribed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), wait)
        return self._subscribed.is_set()

    async def run_live(self, on_event: EventSink) -> None:
        """Until cancelled: listen on the stream and pull on notices; while it is down, poll
        at `poll_interval` and reconnect with backoff. Never raises a `ClientError`."""
        self._sink = on_event
        try:
            while True:
                with contextlib.suppress(ClientError):
                    if await self._listen_until_resubscribed():
                        continue  # asked for other runs' output: reconnect at once
                await self._vouch_for_cache()
                await self._set_live(False)
                await self._poll_for(self.reconnect.next_delay())
        finally:
            self.live = False
            self._sink = None

    async def _listen_until_resubscribed(self) -> bool:
        """`_listen` until the link drops (False, or its `ClientError`) or `watch_output`
        asks for other runs' output (True)."""
        self._resubscribe.clear()
        listening = asyncio.ensure_future(self._listen())
        asked = asyncio.ensure_future(self._resubscribe.wait())
        try:
            await asyncio.wait({listening, asked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            asked.cancel()
            if not listening.done():
                listening.cancel()  # bounded: a stuck socket must not hold the loop's stop
                await asyncio.wait({listening}, timeout=STOP_LISTENING_SECONDS)
        self._subscribed.clear()
        if listening.done() and not listening.cancelled() and listening.exception() is not None:
            raise listening.exception()  # type: ignore[misc]  # the link's ClientError
        return self._resubscribe.is_set()

    async def _listen(self) -> None:
        """One stream connection: a catch-up pull on open, then a pull per burst of notices."""
        wake = asyncio.Event()
        self._pulled_cleanly = False
        puller = asyncio.create_task(self._pull_when_woken(wake))
        outputs = self._outputs
        try:
            async for kind, data in self.client.stream(
                on_open=lambda: self._opened(wake, outputs), outputs=outputs
            ):
                if kind is StreamEventType.CHANGE:
                    wake.set()
                elif kind is StreamEventType.OUTPUT:
                    await self._emit(_output_chunk(data))
                elif self._pulled_cleanly and not wake.is_set() and not self.syncing:
                    self.current_as_of = self._now()  # a heartbeat, nothing left to pull
        finally:
            puller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await puller

    async def _opened(self, wake: asyncio.Event, outputs: frozenset[str]) -> None:
        self.reconnect.reset()
        wake.set()
        if outputs == self._outputs:
            self._subscribed.set()
        await self._set_live(True)
        if outputs:
            await self._emit(OutputFollowed(outputs))

    async def _pull_when_woken(self, wake: asyncio.Event) -> None:
        """Notices that arrive during a pull set `wake` again: one more pull covers them all."""
        while True:
            await wake.wait()
            wake.clear()
            self._pulled_cleanly = False
            with contextlib.suppress(ClientError):
                await self.sync_once()
                self._pulled_cleanly = True

    async def _vouch_for_cache(self) -> None:
        """The stream just dropped: what it vouched for counts as synced, so offline the
        header says "data from" the drop, not from the last change an idle backend made."""
        vouched, self.current_as_of = self.current_as_of, None
        if vouched is not None:
            await self._db.run(lambda cache: cache.record_sync_success(vouched))

    async def _poll_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            with contextlib.suppress(ClientError):
                await self.sync_once()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await self._sleep(min(self.poll_interval, remaining))

    async def _set_live(self, live: bool) -> None:
        if self.live != live:
            self.live = live
            await self._emit(LinkChanged(live))

    async def _emit(self, event: SyncEvent) -> None:
        """Report to the live listener, if any; a failing listener never breaks the sync."""
        sink = self._sink
        if sink is None:
            return
        try:
            outcome = sink(event)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:  # the UI's problem must not stop the sync
            log.exception("sync event listener failed on %s", type(event).__name__)


def _check_progress(cursor: int | None, page: FetchedPage) -> None:
    """A server that hands back a cursor that does not advance would loop us forever."""
    if page.has_more and cursor is not None and page.next_cursor <= cursor:
        raise ServerError(f"the backend repeated sync cursor {page.next_cursor} (sync stopped)")


async def _let_run(task: asyncio.Future[Any]) -> None:
    """Give a freshly created request task a few turns, so its request is on the wire before
    we block the loop applying the current page."""
    for _ in range(8):
        if task.done():
            return
        await asyncio.sleep(0)


def _output_chunk(data: dict[str, Any]) -> OutputChunk:
    return OutputChunk(
        str(data.get("run_id", "")), str(data.get("step_id", "")), str(data.get("chunk", ""))
    )
