"""A scheduled run at 80×24 without colour: its due time, and no duration until it runs.

The engine keeps one upcoming run of each scheduled definition (the demo's Database health
check, every 15 min) in Scheduled for execution, with `started_at` already set; the list
used to show that as a ticking duration ("42s") for a run that had not run."""

from __future__ import annotations

import re
import time
from typing import Any

from .backend_process import BackendProcess
from .conftest import TerminalFactory

DURATION = re.compile(r"\b\d+s\b|\b\d+m \d\ds\b")


def upcoming(backend: BackendProcess) -> dict[str, Any]:
    """The backend's own record of the scheduled run, once the engine has made it."""
    deadline = time.monotonic() + 30
    while True:
        runs = backend.request("GET", "/runs", params={"limit": 50}).json()["runs"]
        found = [r for r in runs if r["status"] == "scheduled_for_execution"]
        if found:
            return dict(found[0])
        assert time.monotonic() < deadline, "the engine made no scheduled run"
        time.sleep(0.2)


def row_of(screen: str, name: str) -> str:
    return next((line for line in screen.splitlines() if name in line), "")


def ticked_past(screen: str, name: str, seconds: int) -> bool:
    """The row of `name` shows a duration of at least `seconds` (a live run's clock)."""
    found = re.search(r"\b(\d+)s\b", row_of(screen, name))
    return found is not None and int(found.group(1)) >= seconds


def test_a_scheduled_run_shows_when_it_is_due_and_no_duration(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    run = upcoming(e2e_backend)
    assert run["started_at"] is not None  # the engine's start time, long before it runs
    e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    term = terminal(no_color=True)
    screen = term.wait_for(re.compile(r"Database health check.*(Due|Scheduled for) "))
    row = row_of(screen, "Database health check")
    assert "—" in row and not DURATION.search(row), row
    # While the guide's duration ticks on for seconds, the scheduled run's stays empty.
    screen = term.wait_until(
        lambda shown: ticked_past(shown, "On-call handover", 4), what="the guide ticking to 4s"
    )
    row = row_of(screen, "Database health check")
    assert "—" in row and not DURATION.search(row), row
    assert e2e_backend.run(run["id"])["status"] == "scheduled_for_execution"
