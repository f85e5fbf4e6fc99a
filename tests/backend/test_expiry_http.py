"""Prompt deadlines over real HTTP: the reference backend on a loopback port, its engine under
FakeClock, the demo's `capacity-review` guide (a typed prompt that takes its defaults after 15
minutes, then a note skipped after 10) and `database-failover` (fails after 30)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from runs_tui.backend.clock import FakeClock
from runs_tui.backend.server import EmbeddedBackend


@pytest.fixture
def backend(tmp_path: Any) -> Iterator[tuple[EmbeddedBackend, FakeClock, httpx.Client]]:
    clock = FakeClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    with EmbeddedBackend(db_url=f"sqlite:///{tmp_path / 'b.db'}", clock=clock) as server:
        with httpx.Client(
            base_url=server.api_url,
            headers={"Authorization": f"Bearer {server.token}"},
            timeout=30,
        ) as client:
            yield server, clock, client


def _advance_until(
    server: EmbeddedBackend,
    clock: FakeClock,
    client: httpx.Client,
    run_id: str,
    predicate: Callable[[dict[str, Any]], bool],
    seconds: float = 120,
) -> dict[str, Any]:
    for _ in range(int(seconds / 0.5)):
        run = client.get(f"/runs/{run_id}").json()
        if predicate(run):
            return run
        server.run(clock.advance(0.5))
    raise AssertionError(f"never reached; run is {client.get(f'/runs/{run_id}').json()['status']}")


def _waiting_on(step_id: str) -> Callable[[dict[str, Any]], bool]:
    def check(run: dict[str, Any]) -> bool:
        return any(s["id"] == step_id and s["status"] == "waiting_for_input" for s in run["steps"])

    return check


def _start(client: httpx.Client, guide: str) -> str:
    started = client.post(f"/guides/{guide}/runs", json={"inputs": {}})
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


def _types(run: dict[str, Any], step_id: str) -> list[str]:
    return [e["type"] for e in run["events"] if e["step_id"] == step_id]


def test_defaults_then_skip_at_the_deadlines(
    backend: tuple[EmbeddedBackend, FakeClock, httpx.Client],
) -> None:
    server, clock, client = backend
    run_id = _start(client, "capacity-review")
    run = _advance_until(server, clock, client, run_id, _waiting_on("procedure-2"))
    prompt = run["steps"][1]["prompt"]
    requested = datetime.fromisoformat(prompt["requested_at"])
    assert datetime.fromisoformat(prompt["expires_at"]) == requested + timedelta(minutes=15)
    assert prompt["on_expiry"] == "default"
    assert prompt["context_steps"] == ["procedure-1"]
    assert [f["name"] for f in prompt["fields"]] == ["instances", "reason"]

    server.run(clock.advance(15 * 60))
    run = _advance_until(server, clock, client, run_id, _waiting_on("procedure-4"))
    response = run["steps"][1]["response"]
    assert response["answered_by"] == "system" and response["expired"] is True
    assert response["values"] == {"instances": 4, "reason": "routine review after the incident"}
    assert _types(run, "procedure-2")[-6:] == [
        "input_expired",
        "audit",  # the expiry, by the system
        "input_received",  # the system's, marked expired
        "variable_set",  # instances
        "variable_set",  # reason
        "step_finished",
    ]
    assert "--replicas=4" in run["steps"][2]["tool"]["output"]  # the default reached the tool

    server.run(clock.advance(10 * 60))
    run = _advance_until(server, clock, client, run_id, lambda r: r["status"].startswith("comp"))
    assert run["steps"][3]["status"] == "skipped"
    assert run["steps"][3]["error"] == "skipped: no answer before the deadline"
    assert run["status"] == "completed_success"
    expired = [e["data"] for e in run["events"] if e["type"] == "input_expired"]
    assert [e["on_expiry"] for e in expired] == ["default", "skip"]
    audited = client.get("/audit").json()["entries"]
    expiries = [e for e in audited if e["run_id"] == run_id and e["action"] == "expiry"]
    assert [(e["actor"], e["step_id"]) for e in expiries] == [
        ("system", "procedure-2"),
        ("system", "procedure-4"),
    ]
    late = client.post(
        f"/runs/{run_id}/steps/procedure-4/response", json={"values": {"handover_note": "hi"}}
    )
    assert late.status_code == 409
    assert late.json()["error"]["details"]["expired"] is True


def test_an_answer_racing_the_deadline_over_http_exactly_one_wins(
    backend: tuple[EmbeddedBackend, FakeClock, httpx.Client],
) -> None:
    """At the deadline, an answer through the API and the expiry timer: one applies, the other
    is a 409 or nothing. The deadline is moved later and later after the answer leaves, so
    the rounds meet both orders (the engine test pins each order under FakeClock alone)."""
    server, clock, client = backend
    winners: list[str] = []
    for delay in (0.0, 0.01, 0.05, 0.2, 0.5):
        run_id = _start(client, "database-failover")
        run = _advance_until(server, clock, client, run_id, _waiting_on("procedure-2"))
        prompt_id = run["steps"][1]["prompt"]["prompt_id"]
        server.run(clock.advance(30 * 60 - 0.5))
        answers: list[httpx.Response] = []

        def answer() -> None:
            answers.append(
                client.post(
                    f"/runs/{run_id}/steps/procedure-2/response",
                    json={"values": {"ticket": "INC-555", "replicas": 2}, "prompt_id": prompt_id},
                )
            )

        thread = threading.Thread(target=answer)
        thread.start()
        time.sleep(delay)
        server.run(clock.advance(1))
        thread.join(30)
        assert answers and answers[0].status_code in (200, 409), answers[0].text
        run = _advance_until(
            server, clock, client, run_id, lambda r: r["steps"][1]["status"] != "waiting_for_input"
        )
        kinds = _types(run, "procedure-2")
        assert kinds.count("input_received") + kinds.count("input_expired") == 1, kinds
        if answers[0].status_code == 200:
            assert run["steps"][1]["response"]["values"]["ticket"] == "INC-555"
            winners.append("answer")
        else:
            assert run["steps"][1]["status"] == "failed"
            assert answers[0].json()["error"]["details"]["expired"] is True
            winners.append("deadline")
    assert len(winners) == 5


def test_the_api_document_says_what_respond_refuses_and_why(
    backend: tuple[EmbeddedBackend, FakeClock, httpx.Client],
) -> None:
    _, _, client = backend
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/runs/{run_id}/steps/{step_id}/response"]["post"]
    assert '"field": "ticket"' in operation["responses"]["422"]["description"]
    assert "`expired`" in operation["responses"]["409"]["description"]
    request = document["components"]["schemas"]["RespondRequest"]["properties"]
    assert "values" in request and "details {field, reason}" in request["values"]["description"]
