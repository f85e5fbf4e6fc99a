"""`runs-tui backend` as a user starts it: a real subprocess, `python -m runs_tui backend ...`.

Shared by the tests of the command itself and by the end-to-end tests, which need a backend that
lives in another process than the test (as a team's backend does) and can be killed for real.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

SERVING = re.compile(r"serving (http://\S+?)/api/v1")
STARTUP_SECONDS = 60


class BackendProcess:
    """`python -m runs_tui backend ARGS`, its stderr collected line by line as it comes."""

    def __init__(
        self, args: list[str], env: dict[str, str], token: str | None = None, team: Any = None
    ) -> None:
        """`team`: the `[[tokens]]` config passed in `args` (tests/conftest.py `Team`), whose
        members' tokens `token_for` hands out."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "runs_tui", "backend", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.token = token
        self.team = team
        self.lines: list[str] = []
        self._serving = threading.Event()
        self.origin = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def token_for(self, actor: str) -> str:
        """`actor`'s own token when the team has one, else the shared token (`operator`)."""
        if self.team is not None and actor in self.team.tokens:
            return str(self.team.token(actor))
        return self.token or ""

    @property
    def api_url(self) -> str:
        return f"{self.origin}/api/v1"

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if match := SERVING.search(line):
                self.origin = match.group(1)
                self._serving.set()
        self._serving.set()  # the process ended: stop waiting

    def wait_until_healthy(self) -> str:
        """The API URL, once /health answers."""
        assert self._serving.wait(STARTUP_SECONDS), "the backend never said where it serves"
        assert self.origin, f"the backend stopped: {''.join(self.lines)}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return self.api_url
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, f"the backend stopped: {''.join(self.lines)}"
            time.sleep(0.05)
        raise AssertionError("the backend never answered /health")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One authenticated API call (`path` under /api/v1): the backend's record, unfiltered."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.api_url}{path}", headers=headers, timeout=15, **kwargs)

    def run(self, run_id: str) -> dict[str, Any]:
        answer = self.request("GET", f"/runs/{run_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def start(self, kind: str, definition_id: str, **inputs: str) -> str:
        """Start a flow or guide (`kind` is "flows" or "guides"); returns the new run's id."""
        answer = self.request("POST", f"/{kind}/{definition_id}/runs", json={"inputs": inputs})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def wait_for_run(
        self, run_id: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> dict[str, Any]:
        """The run's detail once `predicate` holds for it."""
        deadline = time.monotonic() + timeout
        while True:
            detail = self.run(run_id)
            if predicate(detail):
                return detail
            assert time.monotonic() < deadline, (
                f"run {run_id} never got there; now {detail['status']}"
            )
            time.sleep(0.1)

    def stop(self, sig: signal.Signals = signal.SIGINT) -> str:
        """Interrupt it like Ctrl-C (or kill it with `sig`); returns all it wrote on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=10)
        return "".join(self.lines)


def waiting(detail: dict[str, Any]) -> bool:
    """The run waits for a person (either waiting status)."""
    return str(detail["status"]).startswith("waiting_for_user_input")


def waiting_step(detail: dict[str, Any]) -> dict[str, Any]:
    """The step a waiting run asks about, as the backend has it."""
    steps = [step for step in detail["steps"] if step["status"] == "waiting_for_input"]
    assert len(steps) == 1, [step["status"] for step in detail["steps"]]
    return dict(steps[0])
