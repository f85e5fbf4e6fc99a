"""What each kind of process imports, checked in a fresh interpreter.

- The headless commands never import Textual (scripts and cron jobs should not pay for it).
- Opening a cache does not import SQLAlchemy/SQLModel (its DDL is generated: cache/ddl.py).
- The dashboard's first frame needs no HTTP client: the app and the service import httpx
  only when the client is made, after that frame (the service's `connect`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from runs_tui import config as cfg

HEAVY = ("textual", "httpx", "sqlalchemy", "sqlmodel")


def imported_after(code: str, env: dict[str, str] | None = None) -> dict[str, bool]:
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_dashboard_modules_and_an_open_cache_need_no_http_client_nor_sqlalchemy(
    tmp_path: Path,
) -> None:
    loaded = imported_after(
        "import runs_tui.cli, runs_tui.app, runs_tui.service\n"
        "from runs_tui.cache import Cache\n"
        f"Cache.open({str(tmp_path / 'c.sqlite3')!r}).close()"
    )
    assert loaded == {"textual": True, "httpx": False, "sqlalchemy": False, "sqlmodel": False}


def test_a_headless_command_does_not_import_textual(dirs: dict[str, Path]) -> None:
    import os

    env = {
        **os.environ,
        **{name: str(path) for name, path in dirs.items()},
        cfg.URL_ENV: "http://127.0.0.1:9",
        cfg.TOKEN_ENV: "token",
    }
    loaded = imported_after(
        "from runs_tui.cli import main\nmain(['runs', 'list', '--offline'])", env
    )
    assert not loaded["textual"] and not loaded["sqlalchemy"] and not loaded["sqlmodel"]
