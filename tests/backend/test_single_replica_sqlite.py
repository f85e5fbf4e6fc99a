"""SQLite serves one backend per database file: a second one is refused with a message saying
why, and a restart of the one (here with demo history) simply works and seeds nothing again."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runs_tui.backend.server import BackendRefused, EmbeddedBackend

HISTORY = 20


def _history_count(backend: EmbeddedBackend, before: datetime) -> int:
    page = backend.store.list_runs(until=before, limit=1)
    return page.total or 0


def test_a_demo_backend_restarts_on_its_sqlite_file_without_seeding_again(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'backend.sqlite3'}"
    started = datetime.now(UTC)
    with EmbeddedBackend(db_url=db, demo=True, history=HISTORY) as first:
        assert _history_count(first, started) == HISTORY
    with EmbeddedBackend(
        db_url=db, demo=True, history=HISTORY
    ) as second:  # crashed on the seed's ids before
        assert _history_count(second, started) == HISTORY


def test_a_second_backend_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "backend.sqlite3"
    with EmbeddedBackend(db_url=f"sqlite:///{path}"):
        with pytest.raises(BackendRefused, match="already serving .*backend.sqlite3.*PostgreSQL"):
            EmbeddedBackend(db_url=f"sqlite:///{path}").start()
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "runs_tui",
                "backend",
                "--port",
                "0",
                "--db",
                f"sqlite:///{path}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert cli.returncode == 2
        assert "another runs-tui backend is already serving" in cli.stderr
    with EmbeddedBackend(db_url=f"sqlite:///{path}"):  # the lock goes with the backend
        pass


def test_the_cli_explains_that_the_embedded_backend_is_in_use(tmp_path: Path) -> None:
    """A second runs-tui on the embedded default gets one line and exit 5, not a traceback."""
    import os

    from runs_tui.embedded import embedded_database_path

    env = {
        **os.environ,
        "RUNS_TUI_DATA_DIR": str(tmp_path / "data"),
        "RUNS_TUI_CONFIG_DIR": str(tmp_path / "config"),
        "RUNS_TUI_CACHE_DIR": str(tmp_path / "cache"),
    }
    env.pop("RUNS_TUI_URL", None)
    database = embedded_database_path(env)
    database.parent.mkdir(parents=True)
    with EmbeddedBackend(db_url=f"sqlite:///{database}"):
        cli = subprocess.run(
            [sys.executable, "-m", "runs_tui", "runs", "list"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    assert cli.returncode == 5, cli.stderr
    assert "already serving" in cli.stderr and "Traceback" not in cli.stderr
