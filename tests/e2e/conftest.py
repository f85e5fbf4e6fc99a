"""End-to-end fixtures: a real backend process, real `runs-tui` dashboards in tmux, a real CLI.

- `e2e_backend`: `runs-tui backend` in a subprocess on a free loopback port, a fresh SQLite
  database, the shipped demo definitions, no demo traffic (the test starts the runs it needs).
  Its methods (`request`, `run`, `start`, `wait_for_run`) read the backend's own record.
- `terminal(...)`: the real dashboard in tmux (80×24 by default), one operator with folders of
  their own, against that backend. Every terminal is closed at the end of the test.
- `cli(*args)`: the real `runs-tui` command line, a second operator (`cli-oncall` by default)
  with their own cache, acting on the same backend.

Who is who (issue 13): the backend records the identity of the token, not the name a client
claims, so every operator holds a token of their own: the backend is started with the `team`
config (`[[tokens]]`, tests/conftest.py) and `terminal(actor=...)` / `cli(actor=...)` get that
person's token (an actor outside the team gets the shared token, whose identity is
`operator`). `e2e_backend.request` uses the shared token.

Without tmux these tests are skipped, except under CI (CI=true), where a missing tmux fails:
`.ci/run` installs it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .backend_process import BackendProcess
from .terminal import Terminal, environment, tmux_available

TOKEN_ENV = "RUNS_TUI_BACKEND_TOKEN"

TerminalFactory = Callable[..., Terminal]
CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(autouse=True)
def _needs_tmux() -> None:
    if not tmux_available():
        if os.environ.get("CI"):
            pytest.fail("tmux is missing: .ci/run installs it")
        pytest.skip("tmux is not installed (apt-get install tmux)")


@pytest.fixture
def backend_args() -> tuple[str, ...]:
    """More `runs-tui backend` arguments: a test module overrides this fixture (e.g. with
    `--definitions` of its own, for a prompt that expires in seconds)."""
    return ()


@pytest.fixture
def e2e_backend(
    tmp_path: Path, team: Any, backend_args: tuple[str, ...]
) -> Iterator[BackendProcess]:
    token = "e2e-" + secrets.token_urlsafe(24)
    env = {**os.environ, TOKEN_ENV: token}
    db = f"sqlite:///{tmp_path / 'backend.sqlite3'}"
    args = ["--db", db, "--port", "0", "--config", str(team.path), *backend_args]
    backend = BackendProcess(args, env, token=token, team=team)
    try:
        backend.wait_until_healthy()
        yield backend
    finally:
        backend.stop()


@pytest.fixture
def terminal(tmp_path: Path, e2e_backend: BackendProcess) -> Iterator[TerminalFactory]:
    """`terminal(width=80, height=24, no_color=False, actor="e2e-operator", args=(), env={})`."""
    opened: list[Terminal] = []

    def open_terminal(
        *,
        width: int = 80,
        height: int = 24,
        no_color: bool = False,
        actor: str = "e2e-operator",
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> Terminal:
        home = tmp_path / f"operator-{len(opened)}"
        home.mkdir()
        variables = environment(
            home,
            e2e_backend.origin,
            e2e_backend.token_for(actor),
            actor=actor,
            no_color=no_color,
            extra=env,
        )
        term = Terminal(variables, args, width=width, height=height)
        opened.append(term)
        return term.start()

    yield open_terminal
    for term in opened:
        term.close()


@pytest.fixture
def cli(tmp_path: Path, e2e_backend: BackendProcess) -> CliRunner:
    """`cli("runs", "respond", run_id, "--value", "done")`: the real CLI, another operator."""
    home = tmp_path / "cli-operator"

    def run(
        *args: str, actor: str = "cli-oncall", stdin: str = "", timeout: float = 60, **extra: Any
    ) -> subprocess.CompletedProcess[str]:
        home.mkdir(exist_ok=True)
        env = environment(
            home,
            e2e_backend.origin,
            e2e_backend.token_for(actor),
            actor=actor,
            extra={str(k): str(v) for k, v in extra.items()},
        )
        return subprocess.run(
            [sys.executable, "-m", "runs_tui", *args],
            input=stdin,
            text=True,
            capture_output=True,
            env=env,
            timeout=timeout,
        )

    return run
