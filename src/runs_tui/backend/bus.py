"""In-process fan-out of live notices from the engine to `/stream` subscribers.

The engine publishes; each SSE connection owns a bounded queue. A slow subscriber loses notices
rather than slowing the engine: a lost change notice costs nothing, because the client pulls the
change feed from its cursor, which never skips.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from runs_tui.models.domain import StreamEventType


@dataclass(frozen=True)
class Notice:
    type: StreamEventType
    data: dict[str, Any]


@dataclass
class Bus:
    queue_size: int = 1000
    _subscribers: set[asyncio.Queue[Notice]] = field(default_factory=set)

    def publish(self, type: StreamEventType, **data: Any) -> None:
        """Never blocks; drops the notice for a subscriber whose queue is full."""
        notice = Notice(type, data)
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(notice)
            except asyncio.QueueFull:
                pass

    def publish_change(self, seq: int) -> None:
        self.publish(StreamEventType.CHANGE, seq=seq)

    def publish_output(self, run_id: str, step_id: str, chunk: str) -> None:
        self.publish(StreamEventType.OUTPUT, run_id=run_id, step_id=step_id, chunk=chunk)

    async def subscribe(self) -> AsyncIterator[Notice]:
        with self.subscription() as queue:
            while True:
                yield await queue.get()

    @contextmanager
    def subscription(self) -> Iterator[asyncio.Queue[Notice]]:
        """A subscriber's queue, for readers that wait with a timeout: cancelling a
        `queue.get()` is harmless, cancelling an async generator's step would end it."""
        queue: asyncio.Queue[Notice] = asyncio.Queue(self.queue_size)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
