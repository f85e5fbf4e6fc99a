"""The dashboard as an operator drives it: the real `runs-tui` in tmux, real keys, the screen
read back, and the backend's own record checked.

- the list at 80×24 under NO_COLOR: names first and whole, triggers readable, `? Help` in the
  footer, no stray characters and no colour codes;
- `q e` typed at once quits cleanly (it raised NoMatches in the export dialog);
- ctrl+c quits;
- a run deleted from the CLI while its detail is open says Deleted, and `r` says why it
  cannot rerun, and starts nothing on the backend.
"""

from __future__ import annotations

import re

from .backend_process import BackendProcess, waiting
from .conftest import CliRunner, TerminalFactory
from .terminal import Terminal

COLOUR_CODE = re.compile(r"\x1b\[[0-9;]*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]")


def test_the_list_at_80x24_without_colour_reads_whole(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    e2e_backend.wait_for_run(run_id, waiting)
    term = terminal(no_color=True)
    screen = term.wait_for("On-call handover")
    lines = screen.splitlines()
    header = next(line for line in lines if "Trigger" in line)
    assert header.split()[0] == "Run", header  # the name comes first
    row = next(line for line in lines if "On-call handover" in line)
    assert "◆ Waiting" in row and "…" not in row.split("◆")[0], row
    footer = lines[-1]
    assert "? Help" in footer and footer.rstrip().endswith("Commands"), footer
    assert COLOUR_CODE.search(term.styled_screen()) is None
    term.send("q")
    assert term.exit_status() == 0


def test_q_then_e_typed_at_once_quits_without_a_traceback(terminal: TerminalFactory) -> None:
    term = terminal()
    term.wait_for("? Help")
    term.send_at_once("q", "e")
    assert term.exit_status() == 0
    screen = term.screen()
    assert "Traceback" not in screen and "NoMatches" not in screen, screen


def test_ctrl_c_quits_the_dashboard(terminal: TerminalFactory) -> None:
    term = terminal()
    term.wait_for("? Help")
    term.send("C-c")
    assert term.exit_status() == 0


def test_a_run_deleted_elsewhere_says_deleted_and_r_explains(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    e2e_backend.wait_for_run(run_id, waiting)
    term = terminal()
    term.wait_for("On-call handover")
    term.send("Enter")
    term.wait_for("Timeline")  # the detail's footer
    cancelled = cli("runs", "cancel", run_id, "--yes")
    assert cancelled.returncode == 0, cancelled.stderr
    e2e_backend.wait_for_run(run_id, lambda detail: detail["status"] == "cancelled")
    deleted = cli("runs", "delete", run_id, "--yes")
    assert deleted.returncode == 0, deleted.stderr
    term.wait_for("Deleted")
    term.send("r")
    term.wait_for("Cannot rerun it")
    assert "Rerun?" not in term.screen()
    listed = e2e_backend.request("GET", "/runs", params={"limit": 50})
    assert listed.status_code == 200, listed.text
    handovers = [run for run in listed.json()["runs"] if run["definition_id"] == "on-call-handover"]
    assert handovers == []  # the run is gone, and `r` started no new one from it


REVERSED = re.compile(r"\x1b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m([^\x1b]*)")


def reversed_text(term: Terminal) -> str:
    """Everything the terminal draws in reverse video, joined (under NO_COLOR: the cursors)."""
    return " ".join(match.group(1) for match in REVERSED.finditer(term.styled_screen()))


def test_without_colour_the_focused_option_of_a_list_is_in_reverse_video(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    e2e_backend.wait_for_run(run_id, waiting)
    term = terminal(no_color=True)
    term.wait_for("On-call handover")
    term.send("f")
    term.wait_for("Filter runs")
    term.send("Down")  # the status picker has focus: its cursor row is "Active"
    term.wait_until(lambda _: "[ ] Active" in reversed_text(term), what="Active reversed")
    term.send("Escape")
    term.wait_until(lambda screen: "Filter runs" not in screen, what="the filter closed")
    term.send("Enter")
    term.wait_for(f"{run_id[:8]}  On-call handover")
    term.wait_for("esc Leave prompt")  # Enter on a waiting run lands in its prompt
    term.send("Escape")  # leave it: the step list has focus
    term.wait_until(lambda screen: "Leave prompt" not in screen, what="the prompt left")
    term.send("Up")
    term.wait_until(lambda _: "Read the handover notes" in reversed_text(term), what="the step")
