"""The Textual messages that bring the service's events to the screens: one per event type,
each carrying the event itself (`message.event`), defined in `runs_tui.events`.

They live in their own module so screens can import them without importing the app, which
imports the screens. The app posts a fresh message to every screen on the stack, so a screen
underneath a modal is current when it comes back.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from textual.message import Message

from runs_tui.events import (
    CacheChanged,
    OutputChunk,
    OutputFollowed,
    ServiceEvent,
    SyncStateChanged,
    WaitingStarted,
)

EventT = TypeVar(
    "EventT", CacheChanged, SyncStateChanged, WaitingStarted, OutputChunk, OutputFollowed
)


class ServiceMessage(Message, Generic[EventT]):
    """A service event on its way to a screen."""

    def __init__(self, event: EventT) -> None:
        super().__init__()
        self.event: EventT = event


class RunsChanged(ServiceMessage[CacheChanged]):
    """Runs changed in the cache. A burst collapses into one: the receiver re-reads anyway."""

    def can_replace(self, message: Message) -> bool:
        """Drop this one for a newer pending one, which inherits our run ids."""
        if not isinstance(message, RunsChanged):
            return False
        message.event = message.event.merged(self.event)
        return True


class SyncStatusChanged(ServiceMessage[SyncStateChanged]):
    """The freshness the header shows changed; only the latest matters."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncStatusChanged)


class ToolOutputArrived(ServiceMessage[OutputChunk]):
    """A chunk of a running tool's output (untrusted text: render it inert)."""


class OutputNowStreamed(ServiceMessage[OutputFollowed]):
    """The stream now carries the output of the runs named (see `OutputFollowed`)."""


class RunWaiting(ServiceMessage[WaitingStarted]):
    """A run newly waits for input (the app toasts it; screens may refresh)."""


MESSAGE_FOR: dict[type[Any], type[ServiceMessage[Any]]] = {
    CacheChanged: RunsChanged,
    SyncStateChanged: SyncStatusChanged,
    OutputChunk: ToolOutputArrived,
    OutputFollowed: OutputNowStreamed,
    WaitingStarted: RunWaiting,
}


def message_for(event: ServiceEvent) -> ServiceMessage[Any]:
    """The message that carries `event` to a screen."""
    return MESSAGE_FOR[type(event)](event)
