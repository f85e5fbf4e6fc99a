"""What each kind of process imports, checked in a fresh interpreter.

- The headless commands never import Textual (scripts and cron jobs should not pay for it).
- `runs list --offline` answers from the cache alone: no HTTP client, no backend (FastAPI,
  uvicorn), no SQLAlchemy, not even for the embedded profile, whose backend it used to start.
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

HEAVY = ("textual", "httpx", "sqlalchemy", "sqlmodel", "fastapi", "uvicorn")
NOTHING_HEAVY = dict.fromkeys(HEAVY, False)


# What a read-only command needs neither: terminal rendering, the cache's bulk loader.
UNNEEDED_OFFLINE = ("rich", "runs_tui.cache.bulk")


def imported_after(
    code: str, env: dict[str, str] | None = None, modules: tuple[str, ...] = HEAVY
) -> dict[str, bool]:
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {modules!r}}}))"
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
    assert loaded == {**NOTHING_HEAVY, "textual": True}


def headless_env(dirs: dict[str, Path], **extra: str) -> dict[str, str]:
    """The test's private config/cache/data dirs, no profile variables but `extra`."""
    import os

    env = {**os.environ, **{name: str(path) for name, path in dirs.items()}, **extra}
    for name in (cfg.PROFILE_ENV, cfg.URL_ENV, cfg.TOKEN_ENV):
        if name not in extra:
            env.pop(name, None)
    return env


def run_cli(argv: list[str]) -> str:
    """Code calling `main(argv)` the way the console script does (`--help` exits)."""
    return f"from runs_tui.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"


def test_runs_list_offline_imports_no_textual_http_client_backend_nor_sqlalchemy(
    dirs: dict[str, Path],
) -> None:
    env = headless_env(dirs, **{cfg.URL_ENV: "http://127.0.0.1:9", cfg.TOKEN_ENV: "token"})
    modules = HEAVY + UNNEEDED_OFFLINE
    loaded = imported_after(run_cli(["runs", "list", "--offline"]), env, modules)
    assert loaded == dict.fromkeys(modules, False)


def test_runs_list_offline_on_the_embedded_profile_starts_no_backend(
    dirs: dict[str, Path],
) -> None:
    assert imported_after(run_cli(["runs", "list", "--offline"]), headless_env(dirs)) == (
        NOTHING_HEAVY
    )


def test_backend_help_and_the_config_commands_do_not_import_textual(
    dirs: dict[str, Path],
) -> None:
    env = headless_env(dirs)
    for argv in (
        ["backend", "--help"],
        ["config", "path"],
        ["config", "show"],
        ["config", "set", "theme", "textual-light"],
    ):
        assert not imported_after(run_cli(argv), env)["textual"], argv


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
