"""The engine's store calls, off the event loop and in order per run.

Every store call is a synchronous transaction. Made on the loop, 1,000 active runs' saves kept
the loop busy most of the time, so `/health`, `/stream` and answers waited seconds behind them
(issue 12's profile). Here they run on a small thread pool; each run's calls form a chain (the
next starts when the previous ended), so a run's writes commit in the order the engine made
them and a read queued after them sees them all: fencing and compare-and-set checks happen in
the store exactly as before, only on another thread.

`threads=0` runs every call inline, on the loop, as before: what fake-time tests need, since a
hop to a thread would let fake time run ahead of a write that has not happened yet.

SQLite gets one thread (it has one writer anyway; more would only queue in its busy handler);
PostgreSQL a few, so one run waiting on a row lock does not hold the others up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class RunWriter:
    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None  # made on first use, again after close()
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

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="engine-store")
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
