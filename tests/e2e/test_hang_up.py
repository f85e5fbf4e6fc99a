"""The operator's terminal goes away (tmux killed, as when an SSH connection drops): the real
dashboard exits by itself instead of living on, and the run it showed is untouched."""

from __future__ import annotations

import time
from pathlib import Path

from .backend_process import BackendProcess, waiting
from .conftest import TerminalFactory


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_dashboard_ends_when_its_terminal_is_killed(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    e2e_backend.wait_for_run(run_id, waiting)
    term = terminal(no_color=True)
    term.wait_for("On-call handover")
    pid = term.pid()
    assert alive(pid)
    term.close()  # tmux kill-server: the pane's program gets SIGHUP and loses its pty
    deadline = time.monotonic() + 60
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid), "the dashboard outlived its terminal"
    assert waiting(e2e_backend.run(run_id))  # nothing was done to the run on the way out
