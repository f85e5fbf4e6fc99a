"""Comparing two runs as an operator does: the real dashboard in tmux at 80×24 (NO_COLOR), two
runs marked with space, `=`, the comparison read back from the screen and checked against the
backend's record and `runs-tui runs diff`; and a second operator deleting a marked run between
the marking and the `=`."""

from __future__ import annotations

import json

from .backend_process import BackendProcess, waiting, waiting_step
from .conftest import CliRunner, TerminalFactory


def _finished(detail: dict) -> bool:  # type: ignore[type-arg]
    return detail["status"].startswith(("completed", "cancelled", "no_steps"))


def _answer_triage(e2e_backend: BackendProcess, cli: CliRunner, run_id: str, value: str) -> None:
    step = waiting_step(e2e_backend.wait_for_run(run_id, waiting))
    answered = cli("runs", "respond", run_id, "--step", step["id"], "--value", value)
    assert answered.returncode == 0, answered.stderr


def test_two_marked_runs_that_took_different_remediations_side_by_side(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    older = e2e_backend.start("flows", "disk-pressure", host="web-prod-01")
    _answer_triage(e2e_backend, cli, older, "Core dumps piling up")
    e2e_backend.wait_for_run(older, _finished)
    newer = e2e_backend.start("flows", "disk-pressure", host="web-prod-01")
    _answer_triage(e2e_backend, cli, newer, "Logs not rotated")
    _answer_triage(e2e_backend, cli, newer, "approve")  # Restart rsyslog
    e2e_backend.wait_for_run(newer, _finished)
    record = {run_id: e2e_backend.run(run_id) for run_id in (older, newer)}
    assert record[older]["outcome"] == "Core dumps piling up"
    assert record[newer]["outcome"] == "Logs not rotated"

    term = terminal(no_color=True)
    term.wait_for("3 runs")  # these two, and the scheduled health check (the oldest)
    term.send("space", "space")  # the two newest rows: these two runs
    term.wait_for("2 marked")
    term.send("=")
    screen = term.wait_for("▶ First difference")
    assert f"A  {older[:8]}" in screen and f"B  {newer[:8]}" in screen  # the older is A
    assert "Disk pressure" in screen
    assert "Identify what is filling" in screen  # the triage answer is where they part
    assert "Core dumps piling up" in screen and "Logs not rotated" in screen  # the outcome row

    diff = cli("runs", "diff", older, newer, "--format", "json")
    assert diff.returncode == 1, diff.stderr
    document = json.loads(diff.stdout)
    words = document["first_divergence"]["words"]
    assert words == "step “Identify what is filling the disk”: outcome differs"
    remediation = next(v for v in document["result"] if v["name"] == "remediation")
    assert (remediation["a"], remediation["b"]) == ("clean-core-dumps", "rotate-logs")

    term.send("f")  # to the first difference: its row, marked ▶
    screen = term.wait_for("▶ Identify what is")  # the row, wrapped at 80 columns
    assert "“Core dumps piling up”" in screen and "“Logs not rotated”" in screen
    assert "− Delete core dumps" in screen and "+ Force log rotation" in screen
    term.send("escape")
    term.wait_for("2 marked")


def test_a_marked_run_deleted_by_someone_else_before_the_key_is_said_to_be_gone(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    first = e2e_backend.start("flows", "certificate-expiry", domain="shop.example.com")
    e2e_backend.wait_for_run(first, _finished)
    second = e2e_backend.start("flows", "certificate-expiry", domain="api.example.com")
    e2e_backend.wait_for_run(second, _finished)

    term = terminal(no_color=True)
    term.wait_for("3 runs")  # these two, and the scheduled health check (the oldest)
    term.send("space", "space")
    term.wait_for("2 marked")
    deleted = cli("runs", "delete", second, "--yes")  # the second operator, meanwhile
    assert deleted.returncode == 0, deleted.stderr
    assert e2e_backend.request("GET", f"/runs/{second}").status_code == 404
    term.wait_for("2 runs · ")  # the live sync: the deleted run has left the list

    term.send("=")
    screen = term.wait_for("was deleted on the backend")
    assert second[:8] in screen
    assert "Nothing compared" in screen
    assert "▶ First difference" not in screen and "No differences" not in screen
    assert e2e_backend.run(first)["status"] == "completed_failure"  # the other one is untouched


def test_a_marked_run_answered_by_someone_else_is_said_to_have_changed(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    """Between marking and `=`, the CLI answers one of the two waiting runs: the comparison
    says it changed since it was chosen and shows it as it is now; answered again while the
    comparison is on screen, it is compared again and the notice says so."""
    first = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    e2e_backend.wait_for_run(first, waiting)
    second = e2e_backend.start("guides", "on-call-handover", engineer="bob@example.com")
    e2e_backend.wait_for_run(second, waiting)

    term = terminal(no_color=True)
    term.wait_for("◆ 2 waiting for input")
    term.send("space", "space")
    term.wait_for("2 marked")
    _answer_triage(e2e_backend, cli, second, "done")  # someone else, meanwhile
    moved = e2e_backend.wait_for_run(
        second, lambda d: waiting_step(d)["prompt"]["kind"] == "confirm"
    )
    term.wait_for("◆ 2 waiting for input")  # still waiting, now on the next step
    term.send("=")
    screen = term.wait_for("changed since you chose it")
    assert f"B ({second[:8]})" in screen
    screen = term.wait_for("▶ First difference")
    assert "input engineer differs" in screen  # the inputs come first in run order

    _answer_triage(e2e_backend, cli, second, "approve")  # and again, while on screen
    e2e_backend.wait_for_run(second, _finished)
    term.wait_until(
        lambda screen: "changed while shown" in screen and "Completed" in screen,
        what="B compared again, finished",
    )
    assert moved["version"] < e2e_backend.run(second)["version"]
