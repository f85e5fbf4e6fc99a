"""Batches a tool's streamed output before it reaches the store and the live stream.

A chatty tool prints thousands of lines a second; one store transaction per line would stall
the loop. The sink holds at most `flush_bytes` of text and flushes when that fills or
`flush_interval` after the first unflushed write (timed by the injected clock). Past the cap it
drops output: the store marks the truncation, and nothing unbounded is kept in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from runs_tui.backend.clock import Clock

OUTPUT_CAP_BYTES = 1024 * 1024
FLUSH_BYTES = 16 * 1024
FLUSH_INTERVAL = 0.1


class OutputSink:
    def __init__(
        self,
        clock: Clock,
        deliver: Callable[[str], None],
        *,
        cap_bytes: int = OUTPUT_CAP_BYTES,
        flush_bytes: int = FLUSH_BYTES,
        flush_interval: float = FLUSH_INTERVAL,
    ) -> None:
        self._clock = clock
        self._deliver = deliver
        self._cap_bytes = cap_bytes
        self._flush_bytes = flush_bytes
        self._flush_interval = flush_interval
        self._buffer: list[str] = []
        self._buffered_bytes = 0
        self._delivered_bytes = 0
        self._timer: asyncio.Task[None] | None = None
        self.dropped_bytes = 0
        self.flushes = 0

    @property
    def over_cap(self) -> bool:
        return self._delivered_bytes > self._cap_bytes

    def write(self, text: str) -> None:
        if not text:
            return
        size = len(text.encode("utf-8", "replace"))
        if self.over_cap:
            self.dropped_bytes += size
            return
        self._buffer.append(text)
        self._buffered_bytes += size
        if self._buffered_bytes >= self._flush_bytes:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.ensure_future(self._flush_later())

    def flush(self) -> None:
        """Delivers what is buffered; past the cap, one byte over is enough for the marker."""
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._timer = None
        if not self._buffer:
            return
        chunk = "".join(self._buffer)
        self._buffer.clear()
        room = self._cap_bytes + 1 - self._delivered_bytes
        if self._buffered_bytes > room:
            kept = chunk.encode("utf-8", "replace")[:room].decode("utf-8", "ignore")
            self.dropped_bytes += self._buffered_bytes - len(kept.encode("utf-8"))
            chunk = kept
            self._delivered_bytes = self._cap_bytes + 1
        else:
            self._delivered_bytes += self._buffered_bytes
        self._buffered_bytes = 0
        if chunk:
            self.flushes += 1
            self._deliver(chunk)

    async def _flush_later(self) -> None:
        await self._clock.sleep(self._flush_interval)
        self.flush()

    def close(self) -> None:
        """Flushes the rest; synchronous so it is safe while the owning task is cancelled."""
        self.flush()
