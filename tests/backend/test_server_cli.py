"""`runs-tui backend` as a user starts it: a real subprocess, `python -m runs_tui backend`.

Covers what only the command line does: reading the token from RUNS_TUI_BACKEND_TOKEN or
generating one and printing it once, refusing a public address without a token, seeding the
demo history before it serves, and reporting the port it actually took with `--port 0`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e.backend_process import STARTUP_SECONDS, BackendProcess

TOKEN_ENV = "RUNS_TUI_BACKEND_TOKEN"
TOKEN_LINE = re.compile(r"token (\S+)")


@pytest.fixture
def start_backend(tmp_path: Path) -> Iterator[object]:
    started: list[BackendProcess] = []

    def start(*args: str, token: str | None = None) -> BackendProcess:
        env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
        if token is not None:
            env[TOKEN_ENV] = token
        db = f"sqlite:///{tmp_path / f'backend-{len(started)}.sqlite3'}"
        backend = BackendProcess(["--db", db, *args], env)
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.stop()


def test_demo_backend_serves_its_seeded_history_with_the_configured_token(start_backend) -> None:  # type: ignore[no-untyped-def]
    backend = start_backend("--demo", "--history", "50", "--port", "0", token="cli-test-token-0123")
    api = backend.wait_until_healthy()
    assert not backend.origin.endswith(":0")
    assert httpx.get(f"{api}/runs").status_code == 401
    answer = httpx.get(
        f"{api}/runs",
        params={"limit": 1000},
        headers={"Authorization": "Bearer cli-test-token-0123"},
    )
    assert answer.status_code == 200, answer.text
    seeded = [
        run for run in answer.json()["runs"] if run["id"].startswith("h")
    ]  # live demo runs have uuid ids
    assert len(seeded) == 50
    assert all(run["finished_at"] for run in seeded)
    detail = httpx.get(
        f"{api}/runs/{seeded[0]['id']}", headers={"Authorization": "Bearer cli-test-token-0123"}
    )
    assert detail.status_code == 200 and detail.json()["steps"] is not None
    log = backend.stop()
    assert "cli-test-token-0123" not in log
    assert not any(TOKEN_LINE.search(line) for line in backend.lines), (
        log
    )  # nothing generated, nothing shown


def test_generated_token_is_printed_once_on_stderr(start_backend) -> None:  # type: ignore[no-untyped-def]
    backend = start_backend("--port", "0")
    api = backend.wait_until_healthy()
    printed = [match.group(1) for line in backend.lines if (match := TOKEN_LINE.search(line))]
    assert len(printed) == 1
    token = printed[0]
    assert httpx.get(f"{api}/runs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(f"{api}/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert backend.stop().count(token) == 1


def test_public_address_without_a_token_is_refused(start_backend) -> None:  # type: ignore[no-untyped-def]
    backend = start_backend("--host", "0.0.0.0", "--port", "0")
    assert backend.process.wait(timeout=STARTUP_SECONDS) != 0
    log = backend.stop()
    assert "refusing to listen on 0.0.0.0 without a token" in log
    assert TOKEN_ENV in log
    assert "Traceback" not in log and not backend.origin


@pytest.mark.parametrize(
    "token", [" ", "short-token", "sixteen chars ok", "tab\tinside-a-long-token", ""]
)
def test_weak_tokens_are_refused_before_listening(start_backend, token: str) -> None:  # type: ignore[no-untyped-def]
    """`RUNS_TUI_BACKEND_TOKEN=" "` used to pass as a token and serve on 0.0.0.0."""
    backend = start_backend("--host", "0.0.0.0", "--port", "0", token=token)
    assert backend.process.wait(timeout=STARTUP_SECONDS) == 2
    log = backend.stop()
    assert "backend token must" in log and TOKEN_ENV in log
    assert "Traceback" not in log and not backend.origin


def test_a_bad_definition_is_refused_before_serving_with_the_file_and_field(
    start_backend, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """It used to print "serving …", then die with a traceback from deep in the engine."""
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "broken.toml").write_text(
        'kind = "guide"\nid = "broken"\ntitle = "Broken"\n\n[[steps]]\ntitle = "Ask"\n'
        'automation = "manual"\nprompt = { kind = "confirm", question = "Ok?" }\n'
    )
    backend = start_backend(
        "--port", "0", "--definitions", str(folder), token="cli-test-token-0123"
    )
    assert backend.process.wait(timeout=STARTUP_SECONDS) == 2
    log = backend.stop()
    assert "broken.toml: steps[0].prompt.kind: manual steps ask for complete or answer" in log
    assert "Traceback" not in log and "serving" not in log and not backend.origin
