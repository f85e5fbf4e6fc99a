"""The user's config.toml stays theirs, byte for byte, while the dashboard remembers its choices
(sort, theme, the last export folder) in its state file across restarts, and `config set`
changes one key: the real `runs-tui` in tmux at 80×24 under NO_COLOR, the real CLI beside it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .backend_process import BackendProcess, waiting
from .conftest import CliRunner, TerminalFactory

COMMENTED = """\
# The team's runs-tui settings (kept in git; comments matter)

[profiles.e2e]            # the backend under test
url = "{origin}"
refresh_interval = 2.0    # poll fast while the stream is down

# no [keymap] yet: defaults are fine
"""


def test_the_dashboard_remembers_in_its_state_file_and_leaves_config_toml_alone(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner, tmp_path: Path
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    e2e_backend.wait_for_run(run_id, waiting)
    conf, state_dir, exports = tmp_path / "conf", tmp_path / "state", tmp_path / "ex"
    conf.mkdir(mode=0o700)
    exports.mkdir()
    config_file = conf / "config.toml"
    original = COMMENTED.format(origin=e2e_backend.origin)
    config_file.write_text(original)
    config_file.chmod(0o600)
    # The profile of the file, not an ad hoc RUNS_TUI_URL (which remembers nothing).
    env = {
        "RUNS_TUI_URL": "",
        "RUNS_TUI_CONFIG_DIR": str(conf),
        "RUNS_TUI_STATE_DIR": str(state_dir),
    }

    term = terminal(no_color=True, env=env)
    term.wait_for("On-call handover")
    term.wait_for("sorted by started")
    term.send("s")
    term.wait_for("sorted by name")
    term.send("t")  # the theme picker
    term.wait_for("Search for themes")
    term.type("dracula")
    term.wait_until(lambda screen: screen.count("dracula") >= 2, what="the typed name and its hit")
    term.send("Enter")
    term.wait_until(lambda screen: "Search for themes" not in screen, what="the picker to close")
    # The dialog, with a proposed file name in its focused input. A key that lands while the
    # picker is still closing is dropped on purpose (issue 9), so press again, as a person would.
    for _attempt in range(3):
        term.send("e")
        try:
            term.wait_for(".json", timeout=10)
            break
        except AssertionError:
            continue
    term.wait_for(".json")
    term.send("C-u")  # cleared
    term.wait_until(lambda screen: ".json" not in screen, what="the input to clear")
    term.type(str(exports / "handover.json"))
    term.wait_for("handover.json")
    term.send("Enter")
    term.wait_for("Exported ")
    term.send("q")
    assert term.exit_status() == 0
    assert config_file.read_text() == original  # the dashboard wrote nothing there

    changed = cli("config", "set", "profiles.e2e.refresh_interval", "3", RUNS_TUI_CONFIG_DIR=conf)
    assert changed.returncode == 0, changed.stderr
    assert config_file.read_text() == original.replace(
        "refresh_interval = 2.0    # poll", "refresh_interval = 3.0    # poll"
    )

    state = tomllib.loads((state_dir / "state.toml").read_text())
    assert state["theme"] == "dracula"
    assert state["last_filter"]["e2e"]["sort"] == "name"
    assert state["export_folder"] == str(exports)

    again = terminal(no_color=True, env=env)  # another start, another home: the same state
    again.wait_for("sorted by name")  # the list as it was left
    again.send("e")
    screen = again.wait_for(".json")
    assert f"{str(exports)[-30:]}/runs-" in screen, screen  # the last export's folder, proposed
    again.send("Escape")  # apart from the q: ESC then q at once reads as alt+q
    again.wait_until(lambda screen: "Export list" not in screen, what="the dialog to close")
    again.send("q")
    assert again.exit_status() == 0
    assert config_file.read_text().count("#") == original.count("#")
