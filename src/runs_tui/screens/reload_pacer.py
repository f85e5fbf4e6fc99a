"""`ReloadPacer`: at most a few re-reads a second, however many changes arrive.

Why: 20 runs stepping at once send 20 `RunsChanged` in a second; a list or inbox that re-read
the cache and redrew for each would spend the terminal's bandwidth on frames nobody reads. The
first change reloads at once; the ones within the next 1/`per_second` seconds share one reload
at its end, which sees them all. Used by every screen that lists runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from textual.timer import Timer


class _Timers(Protocol):
    def set_timer(self, delay: float, callback: Callable[[], None]) -> Timer: ...


class ReloadPacer:
    def __init__(self, owner: _Timers, reload: Callable[[], None], per_second: float) -> None:
        self._owner = owner
        self._reload = reload
        self.per_second = per_second
        self.pending: Timer | None = None  # a reload is due and will see every change since
        self._last = 0.0

    def request(self) -> None:
        """Reload now, or once the pace allows (one reload covers every request meanwhile)."""
        if self.pending is not None:
            return
        wait = self._last + 1 / self.per_second - time.monotonic()
        if wait <= 0:
            self._run()
        else:
            self.pending = self._owner.set_timer(wait, self._run)

    def _run(self) -> None:
        self.pending = None
        self._last = time.monotonic()
        self._reload()
