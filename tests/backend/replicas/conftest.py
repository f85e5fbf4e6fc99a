"""Backend replicas for the tests: each a real `runs-tui backend` subprocess on its own loopback
port, all on one PostgreSQL schema (fixture `pg_url`), so kill -9 is a real process death.

`replicas(name, ...)` starts one and returns once its `/health` answers; every replica still
running at the end of the test is killed. `definitions_dir` holds small test definitions whose
shell tools append lines to files under `marks`, which is how a test sees tools start and stop.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

SERVING = re.compile(r"serving (http://127\.0\.0\.1:\d+)/api/v1")
START_TIMEOUT = 60.0
LEASE_TIMEOUT = 4.0


def wait_until(
    predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll until `predicate()` is truthy and return it; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


@dataclass
class Replica:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    token: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.url + "/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    def kill(self) -> None:
        """kill -9: no cleanup, its leases stay until they expire."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.http.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.http.close()

    def run(self, run_id: str) -> dict[str, Any]:
        answer = self.http.get(f"/runs/{run_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def start(self, kind: str, definition_id: str, **inputs: str) -> str:
        answer = self.http.post(f"/{kind}/{definition_id}/runs", json={"inputs": inputs})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


ReplicaFactory = Callable[..., Replica]


@pytest.fixture
def marks(tmp_path: Path) -> Path:
    folder = tmp_path / "marks"
    folder.mkdir()
    return folder


@pytest.fixture
def definitions_dir(tmp_path: Path, marks: Path) -> Path:
    folder = tmp_path / "definitions"
    folder.mkdir()
    for name, text in _DEFINITIONS.items():
        (folder / name).write_text(text.replace("@MARKS@", str(marks)))
    return folder


@pytest.fixture
def replicas(pg_url: str, tmp_path: Path, definitions_dir: Path) -> Iterator[ReplicaFactory]:
    token = "replicas-" + secrets.token_urlsafe(24)
    started: list[Replica] = []

    def spawn(
        name: str,
        *extra: str,
        definitions: Path | None = definitions_dir,
        lease_timeout: float = LEASE_TIMEOUT,
        wait: bool = True,
    ) -> Replica:
        log = tmp_path / f"replica-{name}-{len(started)}.log"
        argv = [
            sys.executable,
            "-m",
            "runs_tui",
            "backend",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--db",
            pg_url,
            "--replica-id",
            name,
            "--lease-timeout",
            str(lease_timeout),
            *extra,
        ]
        if definitions is not None:
            argv += ["--definitions", str(definitions)]
        env = os.environ | {"RUNS_TUI_BACKEND_TOKEN": token}
        with log.open("wb") as sink:
            process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=sink, env=env)
        url = wait_until(
            lambda: _served_url(log, process), START_TIMEOUT, what=f"replica {name} to serve"
        )
        replica = Replica(name, url, process, log, token)
        started.append(replica)
        if wait:
            wait_until(lambda: _healthy(replica), START_TIMEOUT, what=f"replica {name} to answer")
        return replica

    yield spawn
    for replica in started:
        replica.kill()


def _served_url(log: Path, process: subprocess.Popen[bytes]) -> str | None:
    text = log.read_text(errors="replace")
    if process.poll() is not None:
        raise AssertionError(f"the replica exited with {process.returncode}:\n{text}")
    found = SERVING.search(text)
    return found.group(1) if found else None


def _healthy(replica: Replica) -> bool:
    try:
        return replica.http.get("/health").status_code == 200
    except httpx.TransportError:
        return False


def waiting_step(run: dict[str, Any]) -> str | None:
    return next((s["id"] for s in run["steps"] if s["status"] == "waiting_for_input"), None)


def events_of(run: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in run["events"] if e["type"] == kind]


_DEFINITIONS: dict[str, str] = {
    "expiring.toml": """
kind = "guide"
id = "expiring"
title = "A prompt that expires to its defaults"

[[steps]]
title = "Answer within seconds"
automation = "manual"
[steps.prompt]
question = "How many?"
expires_after = "4s"
on_expiry = "default"
[[steps.prompt.fields]]
name = "count"
type = "integer"
default = 3

[[steps]]
title = "Then mark done"
automation = "manual"
""",
    "ask.toml": """
kind = "guide"
id = "ask"
title = "Ask a colour"

[[steps]]
key = "pick"
title = "Pick a colour"
automation = "manual"
prompt = { kind = "answer", question = "Which colour?", choices = ["red", "blue"] }

[[steps]]
title = "Record it"
automation = "automated"
tool = "quick"

[tools.quick]
type = "shell"
argv = ["sh", "-c", "echo quick >> @MARKS@/ask-quick"]
""",
    "approve-then-tick.toml": """
kind = "guide"
id = "approve-then-tick"
title = "Approve, then a ticking tool"

[[steps]]
title = "Tick after approval"
automation = "semi_automated"
tool = "ticker"
prompt = { kind = "confirm", question = "Run the ticker?" }

[tools.ticker]
type = "shell"
argv = ["sh", "-c", "echo start $(date +%s.%N) >> @MARKS@/ticker; i=0; """
    """while [ $i -lt 60 ]; do echo tick >> @MARKS@/ticks; i=$((i+1)); sleep 0.1; done; """
    """echo end >> @MARKS@/ticker"]
timeout = "30s"
""",
    "slow-idempotent.toml": """
kind = "guide"
id = "slow-idempotent"
title = "A slow idempotent step"

[[steps]]
title = "Look slowly"
automation = "automated"
tool = "slow-look"

[tools.slow-look]
type = "shell"
argv = ["sh", "-c", "echo start >> @MARKS@/slow-idempotent; sleep 4; echo looked"]
idempotent = true
timeout = "30s"
""",
    "slow-plain.toml": """
kind = "guide"
id = "slow-plain"
title = "A slow step that changes things"

[[steps]]
title = "Change slowly"
automation = "automated"
tool = "slow-change"

[tools.slow-change]
type = "shell"
argv = ["sh", "-c", "echo start >> @MARKS@/slow-plain; sleep 4; echo changed"]
timeout = "30s"
""",
    "chatty.toml": """
kind = "guide"
id = "chatty"
title = "Prints a lot"

[[steps]]
title = "Print"
automation = "automated"
tool = "print"

[tools.print]
type = "shell"
argv = ["sh", "-c", "sleep 3; echo small-line; printf '%012000d\\n' 0; echo last-line"]
""",
}
