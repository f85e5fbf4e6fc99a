"""Textual messages the app makes out of service events, for every screen to handle.

They live in their own module (re-exported by `runs_tui.app`) so screens can import them without
importing the app, which imports the screens. The app posts a fresh copy to every screen on the
stack, so a screen underneath a modal is current when it comes back.
"""

from __future__ import annotations

from textual.message import Message

from runs_tui.models.domain import RunSummary
from runs_tui.service import SyncStatus


class RunsChanged(Message):
    """Runs changed in the cache. A burst collapses into one: the receiver re-reads anyway."""

    def __init__(self, run_ids: frozenset[str] = frozenset(), full: bool = False) -> None:
        super().__init__()
        self.run_ids = run_ids
        self.full = full

    def can_replace(self, message: Message) -> bool:
        """Drop this one for a newer pending one, which inherits our run ids."""
        if not isinstance(message, RunsChanged):
            return False
        message.run_ids = message.run_ids | self.run_ids
        message.full = message.full or self.full
        return True


class SyncStatusChanged(Message):
    def __init__(self, status: SyncStatus) -> None:
        super().__init__()
        self.status = status

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncStatusChanged)


class ToolOutputArrived(Message):
    """A chunk of a running tool's output (untrusted text: render it inert)."""

    def __init__(self, run_id: str, step_id: str, chunk: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.step_id = step_id
        self.chunk = chunk


class WaitingStartedMessage(Message):
    """A run newly waits for input (the app toasts it; screens may refresh)."""

    def __init__(self, run: RunSummary) -> None:
        super().__init__()
        self.run = run
