"""The engine's store calls, off the event loop and in order per run.

Every store call is a synchronous transaction. Made on the loop, 1,000 active runs' saves kept
the loop busy most of the time, so `/health`, `/stream` and answers waited seconds behind them
(issue 12's profile). Here they run on a small thread pool; each run's calls form a chain (the
next starts when the previous ended), so a run's writes commit in the order the engine made
them and a read queued after them sees them all: fencing and compare-and-set checks happen in
the store exactly as before, only on another thread.

`threads=0` runs every call inline, on the loop, as before: what fake-time tests need, since a
hop to a thread would let fake time run ahead of a write that has not happened yet.

SQLite gets one thread (it has one writer anyway; more would only queue in its busy handler)
that commits in groups: whatever calls are queued when it looks run in one transaction, each in
a savepoint (`RunStore.batched`), and their callers hear back once that committed. A commit
is most of a small write's cost there, so 1,000 runs' writes take a few commits a second
instead of hundreds. PostgreSQL gets a few threads and one transaction per call (one
transaction holding many runs' row locks and the change sequence could deadlock with a peer
replica's), so one run waiting on a row lock does not hold the others up.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, TypeVar

T = TypeVar("T")
MAX_BATCH = 256

Batch = Callable[[], AbstractContextManager[None]]


class RunWriter:
    def __init__(self, threads: int, batch: Batch | None = None) -> None:
        """`batch`: a transaction for a group of calls (`RunStore.batched`); with it, one
        thread that commits in groups, whatever `threads` says (if not 0)."""
        self._threads = threads
        self._batch = batch
        self._pool: Executor | None = None  # made on first use, again after close()
        self._tails: dict[str, asyncio.Future[Any]] = {}

    @property
    def inline(self) -> bool:
        return self._threads <= 0

    async def call(self, run_id: str, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` after the run's earlier calls have ended; its result or its exception.
        Cancelling the caller does not cancel the call: a write that began is let finish, and
        the run's next call still waits for it."""
        return await asyncio.shield(self.submit(run_id, fn, *args))

    def submit(self, run_id: str, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue `fn(*args)` behind the run's earlier calls without waiting for it (streamed
        output: the tool goes on while its chunk is written). Inline, it runs now."""
        loop = asyncio.get_running_loop()
        if self.inline:
            done: asyncio.Future[T] = loop.create_future()
            try:
                done.set_result(fn(*args))
            except Exception as error:  # handed to whoever awaits it, like the pooled path
                done.set_exception(error)
            return done
        previous = self._tails.get(run_id)
        future = asyncio.ensure_future(self._after(previous, fn, args))
        self._tails[run_id] = future
        future.add_done_callback(lambda f: self._forget(run_id, f))
        return future

    async def drain(self, run_id: str) -> None:
        """Wait until every call queued for the run so far has ended (whatever its outcome)."""
        tail = self._tails.get(run_id)
        if tail is not None:
            await asyncio.wait([tail])

    async def unordered(self, fn: Callable[..., T], *args: Any) -> T:
        """A call that belongs to no single run (claims, schedules): off the loop, unchained."""
        if self.inline:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(self._executor(), fn, *args)

    async def close(self) -> None:
        """Wait for every queued call, then stop the threads (a later call starts new ones)."""
        while self._tails:
            await asyncio.wait(list(self._tails.values()))
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True)

    def _executor(self) -> Executor:
        if self._pool is None:
            self._pool = (
                GroupCommitter(self._batch)
                if self._batch is not None
                else ThreadPoolExecutor(self._threads, thread_name_prefix="engine-store")
            )
        return self._pool

    async def _after(
        self, previous: asyncio.Future[Any] | None, fn: Callable[..., T], args: tuple[Any, ...]
    ) -> T:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        return await asyncio.get_running_loop().run_in_executor(self._executor(), fn, *args)

    def _forget(self, run_id: str, future: asyncio.Future[Any]) -> None:
        if self._tails.get(run_id) is future:
            del self._tails[run_id]
        if not future.cancelled():
            future.exception()  # retrieved: a failed output write is logged by its caller


class GroupCommitter(Executor):
    """One thread; each round runs every call queued so far inside one `batch()` transaction
    and settles their futures after it committed (a failed commit fails them all)."""

    def __init__(self, batch: Batch) -> None:
        self._batch = batch
        self._queue: queue.SimpleQueue[
            tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None
        ]
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="engine-store-batch", daemon=True)
        self._thread.start()
        self.rounds = 0  # batches committed (a figure for benchmarks)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        call = fn if not kwargs else (lambda *a: fn(*a, **kwargs))
        self._queue.put((future, call, args))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._queue.put(None)
        if wait:
            self._thread.join()

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            items = [first]
            while len(items) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this round
                    break
                items.append(item)
            self._round(items)

    def _round(self, items: list[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self._batch():
                for future, call, args in items:
                    if not future.set_running_or_notify_cancel():
                        outcomes.append((False, None))
                        continue
                    try:
                        outcomes.append((True, call(*args)))
                    except Exception as error:  # the call's own refusal: its savepoint is undone
                        outcomes.append((False, error))
        except Exception as error:  # the commit failed: nothing of the round was written
            for future, _, _ in items:
                if not future.done():
                    future.set_exception(error)
            return
        self.rounds += 1
        for (future, _, _), (ok, value) in zip(items, outcomes, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            elif value is not None:
                future.set_exception(value)
