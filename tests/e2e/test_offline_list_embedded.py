"""An operator runs the dashboard on the embedded demo backend and, in another shell of theirs,
`runs-tui runs list --offline`: the list answers from the cache the dashboard keeps, while the
dashboard goes on serving the embedded database.

Before, --offline still started the embedded backend (only to leave it unused), and a second
one is refused while the dashboard holds the database: the script got "close the other
runs-tui" instead of its list.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from runs_tui.embedded import DATABASE_FILE_NAME

from .conftest import TerminalFactory
from .terminal import environment

EMBEDDED = {"RUNS_TUI_URL": "", "RUNS_TUI_TOKEN": ""}  # no backend named: the embedded one
LISTS_RUNS = re.compile(r"\b[1-9][0-9]* runs? ·")
"""The list's summary line counting at least one run. Not a status word anywhere on screen:
the tab bar says "Cancelled 0" before anything is synced."""


def backend_run_ids(data_dir: Path) -> set[str]:
    """The runs the embedded backend's own database holds (read-only)."""
    uri = f"file:{data_dir / DATABASE_FILE_NAME}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM runs")}


def test_an_offline_list_answers_beside_a_dashboard_on_the_embedded_backend(
    terminal: TerminalFactory, tmp_path: Path
) -> None:
    term = terminal(no_color=True, env=EMBEDDED)
    shows_runs = "runs in the list"
    term.wait_until(lambda screen: LISTS_RUNS.search(screen) is not None, 90, shows_runs)
    home = tmp_path / "operator-0"  # the dashboard's operator: same config, cache and data
    env = environment(home, "", "", actor="e2e-operator", extra=EMBEDDED)
    listed = subprocess.run(
        [sys.executable, "-m", "runs_tui", "runs", "list", "--offline", "--since", "all"]
        + ["--limit", "1000", "--format", "json"],
        text=True,
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    ids = {run["id"] for run in json.loads(listed.stdout)["runs"]}
    assert ids and ids <= backend_run_ids(home / "data")
    assert not term.exited()
    term.wait_until(lambda screen: LISTS_RUNS.search(screen) is not None, 30, shows_runs)
