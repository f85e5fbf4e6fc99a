"""Issue 9 end to end, at 80×24 without colour: Go to run with a 4-character id prefix, a cancel
from the dashboard recorded under the operator's name, and a cancel that the CLI made first
while the operator's confirmation was open."""

from __future__ import annotations

import re
from typing import Any

from .backend_process import BackendProcess, waiting
from .conftest import CliRunner, TerminalFactory


def cancels(detail: dict[str, Any]) -> list[str | None]:
    """The actor of every status change to Cancelled in the backend's record."""
    return [
        event["data"].get("actor")
        for event in detail["events"]
        if event["type"] == "status_changed" and event["data"].get("to") == "cancelled"
    ]


def waiting_guide(backend: BackendProcess) -> str:
    run_id = backend.start("guides", "on-call-handover", engineer="ann@example.com")
    backend.wait_for_run(run_id, waiting)
    return run_id


def test_go_to_run_opens_the_run_named_by_a_four_character_prefix(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    other = e2e_backend.start("flows", "database-health-check", host="db-prod-02")
    run_id = waiting_guide(e2e_backend)
    term = terminal(no_color=True)
    term.wait_for("On-call handover")
    term.type(":")
    term.wait_for("Search for commands")
    term.type("go to run")
    term.wait_for("Go to run…")
    term.send("Enter")
    term.wait_for("Run name or id")
    term.type(run_id[:4])
    term.wait_until(
        lambda screen: run_id in screen and other not in screen, what="the one matching run"
    )
    term.send("Enter")
    screen = term.wait_for(f"{run_id[:8]}  On-call handover")  # the detail's header shows the id
    assert "Trigger" in screen


def test_a_cancel_from_the_dashboard_records_the_operators_name(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    run_id = waiting_guide(e2e_backend)
    term = terminal(no_color=True, actor="dana-sre")
    term.wait_for("On-call handover")
    term.send("c")
    question = term.wait_for("Cancel this run?")  # the detail's words: one wording for both
    assert "“On-call handover”" in question
    assert "The running step is stopped and the run ends Cancelled." in question
    term.send("y")
    record = e2e_backend.wait_for_run(run_id, lambda d: d["status"] == "cancelled")
    assert cancels(record) == ["dana-sre"]
    assert record["error"] == "cancelled by dana-sre"
    term.wait_for("⊘ Cancelled")  # the row's status (the tab bar always says "Cancelled")


def test_a_cancel_made_elsewhere_while_the_confirmation_is_open_is_told_and_not_repeated(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    run_id = waiting_guide(e2e_backend)
    term = terminal(no_color=True, actor="dana-sre")
    term.wait_for("On-call handover")
    term.send("Enter")
    term.wait_for(f"{run_id[:8]}  On-call handover")
    term.send("c")
    term.wait_for("Cancel this run?")
    by_cli = cli("runs", "cancel", run_id[:6], "--yes")  # the other operator is quicker
    assert by_cli.returncode == 0, by_cli.stderr
    assert by_cli.stdout == f"{run_id}\tCancelled\n"
    term.send("y")
    term.wait_for("Already cancelled by cli-oncall")
    record = e2e_backend.run(run_id)
    assert cancels(record) == ["cli-oncall"]  # one cancel, the CLI's
    assert record["error"] == "cancelled by cli-oncall"
    term.wait_for(re.compile(r"Cancelled by cli-oncall at \d\d:\d\d:\d\d"))  # in the header
