"""Service events reach the screens in one message per event type, carrying the event itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

from runs_tui import sync
from runs_tui.events import CacheChanged, OutputChunk, ServiceEvent, SyncStateChanged
from runs_tui.messages import MESSAGE_FOR, RunsChanged, SyncStatusChanged, message_for
from runs_tui.service import SyncMode, SyncStatus
from runs_tui.widgets.tool_output import ToolOutput


def test_every_service_event_has_its_message_and_rides_in_it() -> None:
    assert set(MESSAGE_FOR) == set(get_args(ServiceEvent))
    event = OutputChunk("run-1", "step-1", "[bold]x")
    assert message_for(event).event is event


def test_a_burst_of_cache_changes_collapses_into_one_with_every_run() -> None:
    older = RunsChanged(CacheChanged(frozenset({"a"})))
    newer = RunsChanged(CacheChanged(frozenset({"b"}), full=True))
    assert older.can_replace(newer)
    assert newer.event == CacheChanged(frozenset({"a", "b"}), full=True)
    status = SyncStateChanged(SyncStatus(SyncMode.LIVE, last_synced=datetime.now(UTC)))
    assert not older.can_replace(SyncStatusChanged(status))


def test_tool_output_names_the_widget_only() -> None:
    """The streamed chunk is `OutputChunk`; `ToolOutput` is the widget that shows it."""
    assert not hasattr(sync, "ToolOutput")
    assert ToolOutput.__module__ == "runs_tui.widgets.tool_output"
