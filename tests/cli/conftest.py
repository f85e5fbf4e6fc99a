"""CLI fixtures: private config/cache/data dirs, and `cli(...)` running the real `main(argv)`."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from runs_tui import config as cfg
from runs_tui import user_dirs
from runs_tui.cli import main


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


CliRunner = Callable[..., Result]


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    paths = {
        user_dirs.CONFIG_DIR_ENV: tmp_path / "config",
        user_dirs.STATE_DIR_ENV: tmp_path / "state",
        user_dirs.CACHE_DIR_ENV: tmp_path / "cache",
        user_dirs.DATA_DIR_ENV: tmp_path / "data",
    }
    for variable, path in paths.items():
        monkeypatch.setenv(variable, str(path))
    for variable in (cfg.PROFILE_ENV, cfg.URL_ENV, cfg.TOKEN_ENV):
        monkeypatch.delenv(variable, raising=False)
    return paths


@pytest.fixture
def cli(
    dirs: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    """`cli("runs", "list", stdin="...")` → Result(code, out, err); stdin is never a TTY."""

    def run(*argv: str, stdin: str = "") -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def config_file(dirs: dict[str, Path]) -> Path:
    return dirs[user_dirs.CONFIG_DIR_ENV] / "config.toml"


SENTINEL_TOKEN = "SENTINEL-9f3c2a7e-do-not-print"
GUIDE = "on-call-handover"


@pytest.fixture
def backend_token() -> str:
    """Overrides the suite's token: a value that must never appear in any output or file."""
    return SENTINEL_TOKEN


@pytest.fixture
def remote(cli: CliRunner, live_backend: Any) -> Any:
    """A profile `live` pointing at the real backend, its token stored by `runs-tui login`."""
    result = cli(
        "login", "--profile", "live", "--url", live_backend.url, stdin=live_backend.token + "\n"
    )
    assert result.code == 0, result.err
    return live_backend


def api(backend: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {backend.token}"}
    return httpx.request(method, f"{backend.api_url}{path}", headers=headers, timeout=10, **kwargs)


def start_guide(backend: Any, engineer: str = "ann@example.com") -> str:
    response = api(
        backend, "POST", f"/guides/{GUIDE}/runs", json={"inputs": {"engineer": engineer}}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def wait_for(
    backend: Any, run_id: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        detail = api(backend, "GET", f"/runs/{run_id}").json()
        if predicate(detail):
            return detail
        assert time.monotonic() < deadline, (
            f"run {run_id} never reached the state: {detail['status']}"
        )
        time.sleep(0.05)


def waiting(detail: dict[str, Any]) -> bool:
    return detail["status"].startswith("waiting_for_user_input")
