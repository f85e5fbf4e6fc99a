"""Live notices from the other replicas: `LISTEN` on the store's channel, re-published on this
replica's bus, so every replica's `/stream` announces every change, and every output chunk to
the clients following that run, whichever replica made it.

The store sends the notifications inside its writing transactions (they go out on commit) and
stamps each with the writing replica's id; a replica skips its own, which its engine already
published. A notification carries a change's seq and run id, or an output chunk (or, when the
chunk would not fit PostgreSQL's 8000-byte payload, a pointer to its TOOL_OUTPUT event, read
back here). After a lost connection the relay reconnects and announces the current change
seq: clients pull the change feed from their cursor, so nothing that committed meanwhile is
missed, only its live chunks.

The listener is a thread with a connection of its own (psycopg's blocking `notifies()`), handing
each notice to the event loop with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url

from runs_tui.backend.bus import Bus
from runs_tui.backend.store import RunStore

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # how often the listener looks up from `notifies()` to see if it must stop
RECONNECT_SECONDS = 1.0
READY_TIMEOUT = 30.0


class Relay:
    """Started and stopped on the server's loop; `on_change(run_id)` runs on that loop too."""

    def __init__(self, store: RunStore, bus: Bus, on_change: Callable[[str], None]) -> None:
        self._store = store
        self._bus = bus
        self._on_change = on_change
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Returns once the first `LISTEN` is in place, so no change after it is missed."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._listen, name="runs-tui-relay", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._ready.wait, READY_TIMEOUT)

    async def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, POLL_SECONDS * 4)
            self._thread = None

    # the listener thread ------------------------------------------------------------------

    def _listen(self) -> None:
        import psycopg

        conninfo = (
            make_url(self._store.url)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
        )
        channel = self._store.channel()
        first = True
        while not self._stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f'LISTEN "{channel}"')
                    self._ready.set()
                    if (
                        not first
                    ):  # what committed while we were away reaches clients through the feed
                        self._hand_over(self._announce, None, self._store.max_seq())
                    first = False
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=POLL_SECONDS):
                            self._handle(note.payload)
            except Exception:  # the database went away: retry until stopped
                log.warning("relay: lost the notification connection; reconnecting", exc_info=True)
                self._stopping.wait(RECONNECT_SECONDS)

    def _handle(self, payload: str) -> None:
        try:
            notice: dict[str, Any] = json.loads(payload)
        except ValueError:
            return
        if notice.get("o") == self._store.origin:
            return
        if notice.get("k") == "c":
            self._hand_over(self._announce, notice.get("r"), int(notice.get("s", 0)))
        elif notice.get("k") == "o":
            self._relay_output(notice)

    def _relay_output(self, notice: dict[str, Any]) -> None:
        run_id, step_id, chunk = str(notice.get("r", "")), str(notice.get("p", "")), notice.get("c")
        if not self._bus.wants_output(run_id):
            return  # nobody here follows that run: not even worth reading a stored chunk
        if chunk is None:  # too big for the payload: read it where it was stored
            found = self._store.output_chunk(run_id, int(notice.get("e", 0)))
            if found is None:
                return
            step_id, chunk = found
        self._hand_over(self._bus.publish_output, run_id, step_id, str(chunk))

    def _hand_over(self, callback: Callable[..., None], *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(callback, *args)

    # on the loop ----------------------------------------------------------------------------

    def _announce(self, run_id: str | None, seq: int) -> None:
        self._bus.publish_change(seq)
        if run_id:
            try:
                self._on_change(run_id)
            except Exception:  # the lease loop catches what this missed
                log.exception("relay: handling the change of run %s failed", run_id)
