"""The harness itself: the real dashboard starts in tmux against the real backend, shows a run
that was started through the API, and quits on `q` with exit status 0."""

from __future__ import annotations

from .backend_process import BackendProcess, waiting
from .conftest import CliRunner, TerminalFactory


def test_dashboard_shows_a_run_started_elsewhere_and_quits(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    e2e_backend.wait_for_run(run_id, waiting)
    term = terminal()
    term.wait_for("On-call handover")
    listed = cli("runs", "list", "--format", "csv")
    assert listed.returncode == 0, listed.stderr
    assert run_id in listed.stdout
    term.send("q")
    assert term.exit_status() == 0
