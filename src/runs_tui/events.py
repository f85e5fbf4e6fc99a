"""What the dashboard hears about: the one vocabulary of live events.

The syncer emits `OutputChunk` and `OutputFollowed` as they are; the service turns the
syncer's own notices (a pass started, ended or failed, the stream went up or down) into
`CacheChanged`, `WaitingStarted` and `SyncStateChanged`, since only it knows the sync status
the header shows. The app hands
each event to the screens in one Textual message per event type (`runs_tui.messages`), which
carries the event itself: no layer copies another's fields into a parallel class.

Plain frozen values, no I/O and no Textual: the CLI and the sync tests import them too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runs_tui.models.domain import RunSummary

if TYPE_CHECKING:
    from runs_tui.service import SyncStatus


@dataclass(frozen=True)
class CacheChanged:
    """Runs were added, changed or removed in the cache (`full`: after a full resync)."""

    run_ids: frozenset[str] = frozenset()
    full: bool = False

    def merged(self, other: CacheChanged) -> CacheChanged:
        """One event for both: the receiver re-reads the runs of either."""
        return CacheChanged(self.run_ids | other.run_ids, self.full or other.full)


@dataclass(frozen=True)
class SyncStateChanged:
    """How fresh the cache is changed (live, syncing, offline…): the header's words."""

    status: SyncStatus


@dataclass(frozen=True)
class WaitingStarted:
    """A run newly waits for input: the UI toasts it."""

    run: RunSummary


@dataclass(frozen=True)
class OutputChunk:
    """A chunk of a running tool's output, as the backend streamed it (untrusted text)."""

    run_id: str
    step_id: str
    chunk: str


@dataclass(frozen=True)
class OutputFollowed:
    """The live stream now carries these runs' tool output (the backend sends output only to
    clients that ask): a screen showing one of them fetches once, for what came before."""

    run_ids: frozenset[str]


ServiceEvent = CacheChanged | SyncStateChanged | WaitingStarted | OutputChunk | OutputFollowed
ServiceSink = Callable[[ServiceEvent], Awaitable[None] | None]
