"""In-process fan-out of live notices from the engine to `/stream` subscribers.

The engine publishes; each SSE connection owns a bounded queue. A slow subscriber loses notices
rather than slowing the engine: when its queue is full, what it holds is dropped for one
`change` notice with the latest seq (a *resync*), and a change notice costs nothing to lose,
because the client pulls the change feed from its cursor, which never skips. Only live output
chunks are lost then; the run's detail has them all.

Tool output goes only to the subscribers that asked for that run (`/stream?output=RUN_ID`):
a dashboard follows the one run it shows, and 500 dashboards watching the list must not each
receive every chunk of every executing run. Change notices reach everyone.

Cheap per client, since 500 clients share one loop (issue 12's profile: two futures and a timer
per event per client, and one JSON encoding per client): a notice is encoded once, when the
first subscriber sends it (`Notice.frame`); a subscriber waits on one future per wake-up, not
per notice, and takes everything queued meanwhile in one batch (one socket write).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from runs_tui.models.domain import StreamEventType

DEFAULT_QUEUE_SIZE = 1000


@dataclass(frozen=True)
class Notice:
    type: StreamEventType
    data: dict[str, Any]

    @cached_property
    def frame(self) -> str:
        """The notice as one server-sent event, encoded once however many clients send it."""
        return f"event: {self.type.value}\ndata: {json.dumps(self.data)}\n\n"


HEARTBEAT = Notice(StreamEventType.HEARTBEAT, {})


class Subscription:
    """One subscriber's queue: bounded, collapsing to a resync notice when full."""

    def __init__(self, bus: Bus, size: int, outputs: frozenset[str] = frozenset()) -> None:
        self._bus = bus
        self._size = size
        self.outputs = outputs  # the runs whose tool output this subscriber asked for
        self._items: deque[Notice] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.resyncs = 0  # how often this subscriber fell behind and was sent a resync

    def put(self, notice: Notice) -> None:
        if len(self._items) >= self._size:
            # behind: what it holds goes; one resync (the latest seq, this notice's too) stays
            self._items.clear()
            self._items.append(self._bus.resync_notice())
            self.resyncs += 1
        else:
            self._items.append(notice)
        self._wake()

    async def next_batch(self, timeout: float) -> list[Notice]:
        """Every notice queued, waiting up to `timeout` seconds for one; [] after a quiet
        `timeout` or once the bus is closed."""
        if not self._items and not self.closed:
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(timeout, _settle, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
        batch = list(self._items)
        self._items.clear()
        return batch

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None:
            _settle(self._waiter)


@dataclass
class Bus:
    queue_size: int = DEFAULT_QUEUE_SIZE
    _subscribers: set[Subscription] = field(default_factory=set)
    _output_subscribers: dict[str, set[Subscription]] = field(default_factory=dict)
    _last_seq: int = 0

    def publish(self, type: StreamEventType, **data: Any) -> None:
        """To every subscriber. Never blocks; one whose queue is full gets a resync instead."""
        notice = Notice(type, data)
        for subscriber in list(self._subscribers):
            subscriber.put(notice)

    def publish_change(self, seq: int) -> None:
        self._last_seq = max(self._last_seq, seq)
        self.publish(StreamEventType.CHANGE, seq=seq)

    def publish_output(self, run_id: str, step_id: str, chunk: str) -> None:
        """Only to the subscribers that asked for `run_id`'s output: usually none."""
        listeners = self._output_subscribers.get(run_id)
        if not listeners:
            return
        notice = Notice(
            StreamEventType.OUTPUT, {"run_id": run_id, "step_id": step_id, "chunk": chunk}
        )
        for subscriber in list(listeners):
            subscriber.put(notice)

    def wants_output(self, run_id: str) -> bool:
        """Whether any subscriber asked for `run_id`'s output. Safe to ask from another thread
        (a dict lookup); a subscriber arriving meanwhile may miss that one chunk, as it would
        have by subscribing a moment later."""
        return bool(self._output_subscribers.get(run_id))

    def resync_notice(self) -> Notice:
        """A change notice with the highest seq published: pull the feed from your cursor."""
        return Notice(StreamEventType.CHANGE, {"seq": self._last_seq})

    def close(self) -> None:
        """Wake every subscriber for good (the server stops)."""
        for subscriber in list(self._subscribers):
            subscriber.close()

    @contextmanager
    def subscription(self, outputs: Iterable[str] = ()) -> Iterator[Subscription]:
        """Change notices, and the tool output of the runs in `outputs`."""
        subscriber = Subscription(self, self.queue_size, frozenset(outputs))
        self._subscribers.add(subscriber)
        for run_id in subscriber.outputs:
            self._output_subscribers.setdefault(run_id, set()).add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
            for run_id in subscriber.outputs:
                listeners = self._output_subscribers.get(run_id, set())
                listeners.discard(subscriber)
                if not listeners:
                    self._output_subscribers.pop(run_id, None)


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
