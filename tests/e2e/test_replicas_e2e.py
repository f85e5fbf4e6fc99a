"""Two backend replicas on one PostgreSQL database, as a team runs them behind a load balancer:
an operator's dashboard talks to replica B while a second operator answers through replica A
with the CLI, and the dashboard follows what happened on A, live (B's stream announces A's
changes), at 80×24 without colour. Then A is killed (-9) while it drives the run: B takes the
run over and the dashboard shows it finishing. The backend's record has each answer once."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .backend_process import BackendProcess, waiting, waiting_step
from .terminal import Terminal, environment

pytestmark = pytest.mark.postgres
LEASE_TIMEOUT = "3"


@pytest.fixture
def two_replicas(pg_url: str, team: Any) -> Iterator[tuple[BackendProcess, BackendProcess]]:
    token = "e2e-" + secrets.token_urlsafe(24)
    env = {**os.environ, "RUNS_TUI_BACKEND_TOKEN": token}
    started: list[BackendProcess] = []
    try:
        for name in ("a", "b"):
            replica = BackendProcess(
                [
                    "--db",
                    pg_url,
                    "--port",
                    "0",
                    "--replica-id",
                    name,
                    "--lease-timeout",
                    LEASE_TIMEOUT,
                    "--config",
                    str(team.path),
                ],
                env,
                token=token,
                team=team,
            )
            started.append(replica)
            replica.wait_until_healthy()
        yield started[0], started[1]
    finally:
        for replica in started:
            replica.stop(signal.SIGKILL)


def _cli(home: Path, replica: BackendProcess, *args: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    env = environment(home, replica.origin, replica.token_for("cli-oncall"), actor="cli-oncall")
    return subprocess.run(
        [sys.executable, "-m", "runs_tui", *args],
        text=True,
        capture_output=True,
        env=env,
        timeout=60,
    )


def test_a_dashboard_on_b_follows_answers_through_a_and_a_takeover_after_kill_9(
    two_replicas: tuple[BackendProcess, BackendProcess], tmp_path: Path
) -> None:
    a, b = two_replicas
    home = tmp_path / "operator"
    home.mkdir()
    env = environment(
        home, b.origin, b.token_for("e2e-operator"), actor="e2e-operator", no_color=True
    )
    with Terminal(env, width=80, height=24) as term:
        term.wait_for("runs")  # the dashboard is up (its list header)
        run_id = a.start("guides", "on-call-handover", engineer="ann@example.com")
        first = a.wait_for_run(run_id, waiting)
        term.wait_for("On-call handover")  # announced by B's stream: the run lives on A
        answered = _cli(tmp_path / "cli", a, "runs", "respond", run_id, "--value", "done")
        assert answered.returncode == 0, answered.stderr
        second = b.wait_for_run(
            run_id, lambda d: waiting(d) and waiting_step(d)["id"] != waiting_step(first)["id"]
        )
        term.send("enter")  # open the run on B: it asks the next question, answered on A
        term.wait_for("Hand the pager to", timeout=30)
        # the confirm through A hands A the run; kill A while it posts to the channel
        approved = _cli(tmp_path / "cli", a, "runs", "respond", run_id, "--value", "approve")
        assert approved.returncode == 0, approved.stderr
        a.stop(signal.SIGKILL)
        done = b.wait_for_run(run_id, lambda d: d["status"].startswith("completed"), timeout=60)
        term.wait_for(re.compile(r"Completed (Success|Partial|Failure)"), timeout=30)
    received = [e for e in done["events"] if e["type"] == "input_received"]
    assert [(e["data"]["value"], e["data"]["answered_by"]) for e in received] == [
        ("done", "cli-oncall"),
        ("approve", "cli-oncall"),
    ]
    finished = [e["step_id"] for e in done["events"] if e["type"] == "step_finished"]
    assert len(finished) == len(set(finished)), "a step finished twice"
    assert second["status"].startswith("waiting")
