"""Several backend replicas on one PostgreSQL database: each run is driven by exactly one of
them, every state change applies once wherever it arrives, a dead replica's runs are taken
over, and every replica's /stream announces what any replica did (docs/deployment.md).

Each replica is a real `runs-tui backend` subprocess (kill -9 is real); the lease timeout is
4 s so takeovers stay quick. Skipped without RUNS_TUI_TEST_PG_URL; CI sets it.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy

from runs_tui.models.lifecycle import RunKind, is_legal
from runs_tui.models.status import RunStatus

from .conftest import LEASE_TIMEOUT, Replica, ReplicaFactory, events_of, wait_until, waiting_step

pytestmark = pytest.mark.postgres


def _run_when(
    replica: Replica, run_id: str, predicate: Any, timeout: float = 30.0
) -> dict[str, Any]:
    """The run as `replica` serves it, once `predicate(run)` holds."""

    def check() -> dict[str, Any] | None:
        run = replica.run(run_id)
        return run if predicate(run) else None

    return wait_until(check, timeout, what=f"run {run_id} on {replica.name}")


def _finished(run: dict[str, Any]) -> bool:
    return RunStatus(run["status"]).is_terminal


def _wait_waiting(replica: Replica, run_id: str) -> str:
    run = _run_when(
        replica, run_id, lambda r: waiting_step(r) and RunStatus(r["status"]).is_waiting
    )
    step = waiting_step(run)
    assert step is not None
    return step


def _assert_legal_history(run: dict[str, Any]) -> None:
    """A legal status chain, at most one finish per step, nothing after the final status."""
    kind, current = RunKind(run["kind"]), RunStatus.PENDING
    finished: dict[str, int] = {}
    terminal_at: int | None = None
    for index, event in enumerate(run["events"]):
        if terminal_at is not None and event["type"] != "tool_output":
            raise AssertionError(f"event after the final status: {event}")
        if event["type"] == "step_finished":
            finished[event["step_id"]] = finished.get(event["step_id"], 0) + 1
        if event["type"] == "status_changed":
            source, target = RunStatus(event["data"]["from"]), RunStatus(event["data"]["to"])
            assert source is current and is_legal(kind, source, target), (
                f"illegal {source} → {target}"
            )
            current = target
            if target.is_terminal:
                terminal_at = index
    assert all(count == 1 for count in finished.values()), f"a step finished twice: {finished}"
    assert RunStatus(run["status"]) is current


def _answer(replica: Replica, run_id: str, step_id: str, value: str, who: str) -> httpx.Response:
    return replica.http.post(
        f"/runs/{run_id}/steps/{step_id}/response", json={"value": value, "answered_by": who}
    )


def test_two_answers_on_two_replicas_exactly_one_wins_and_a_late_one_is_refused(
    replicas: ReplicaFactory, marks: Path
) -> None:
    a, b = replicas("a"), replicas("b")
    for _attempt in range(4):
        run_id = a.start("guides", "ask")
        step = _wait_waiting(b, run_id)
        barrier = threading.Barrier(2)

        def send(replica: Replica, value: str) -> httpx.Response:
            barrier.wait()
            return _answer(replica, run_id, step, value, f"{replica.name}-operator")

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, [a, b], ["red", "blue"]))
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200, 409], [answer.text for answer in answers]
        winner = next(answer for answer in answers if answer.status_code == 200)
        loser = next(answer for answer in answers if answer.status_code == 409)
        winner_name = winner.json()["steps"][0]["response"]["answered_by"]
        assert loser.json()["error"]["details"]["answered_by"] == winner_name, loser.text
        for late in (a, b):  # wherever it arrives, an answered step stays answered
            again = _answer(late, run_id, step, "red", "late-operator")
            assert (
                again.status_code == 409
                and again.json()["error"]["details"]["answered_by"] == winner_name
            )
        run = _run_when(b, run_id, _finished)
        assert len(events_of(run, "input_received")) == 1
        _assert_legal_history(run)
    assert (marks / "ask-quick").read_text().count("quick") == 4  # each run's tool ran once


def test_cancel_racing_an_answer_ends_in_one_legal_history_and_stops_the_tool(
    replicas: ReplicaFactory, marks: Path
) -> None:
    a, b = replicas("a"), replicas("b")
    outcomes = set()
    for attempt in range(3):
        (marks / "ticks").unlink(missing_ok=True)
        run_id = a.start("guides", "approve-then-tick")
        step = _wait_waiting(a, run_id)
        barrier = threading.Barrier(2)

        def answer() -> httpx.Response:
            barrier.wait()
            return _answer(b, run_id, step, "approve", "b-operator")

        def cancel() -> tuple[httpx.Response, float]:
            barrier.wait()
            if (
                attempt
            ):  # let the answer win sometimes, so the tool is running when the cancel lands
                time.sleep(0.3 * attempt)
            response = a.http.post(f"/runs/{run_id}/cancel")
            return response, time.time()

        with ThreadPoolExecutor(2) as pool:
            answered, cancelled = pool.submit(answer), pool.submit(cancel)
            answer_response, (cancel_response, cancelled_at) = answered.result(), cancelled.result()
        assert cancel_response.status_code == 200, cancel_response.text
        assert answer_response.status_code in (200, 409), answer_response.text
        run = b.run(run_id)
        assert run["status"] == "cancelled"
        _assert_legal_history(run)
        received = events_of(run, "input_received")
        if answer_response.status_code == 409:  # the cancel won: the answer was never applied
            assert not received
            outcomes.add("cancel first")
        else:
            assert len(received) == 1
            outcomes.add("answer first")
        statuses = [e["data"]["to"] for e in events_of(run, "status_changed")]
        assert statuses[-1] == "cancelled" and "cancelled" not in statuses[:-1]
        cancel_index = next(
            i
            for i, e in enumerate(run["events"])
            if e["type"] == "status_changed" and e["data"]["to"] == "cancelled"
        )
        assert not [e for e in run["events"][cancel_index:] if e["type"] == "step_started"]
        starts = _starts(marks / "ticker")
        assert all(start < cancelled_at for start in starts), "a tool started after the cancel"
        # the owner, whichever replica it is, stops a running tool within 2 s of the cancel
        time.sleep(2.0)
        ticks = _count(marks / "ticks")
        time.sleep(0.5)
        assert _count(marks / "ticks") == ticks, "the tool kept running after the cancel"
        (marks / "ticker").unlink(missing_ok=True)
    assert outcomes  # which ones occur depends on timing; each must be legal


def test_kill_9_of_the_owner_hands_its_runs_to_another_replica_within_the_lease_timeout(
    replicas: ReplicaFactory, marks: Path
) -> None:
    a, b = replicas("a"), replicas("b")
    idempotent = a.start("guides", "slow-idempotent")
    plain = a.start("guides", "slow-plain")
    for name in ("slow-idempotent", "slow-plain"):
        wait_until(lambda name=name: (marks / name).exists(), what=f"{name} to start its tool on a")
    a.kill()
    killed_at = time.monotonic()
    rerun = wait_until(
        lambda: (marks / "slow-idempotent").read_text().count("start") == 2,
        LEASE_TIMEOUT * 4,
        interval=0.02,
        what="the idempotent step to re-run on b",
    )
    took = time.monotonic() - killed_at
    assert rerun and took <= LEASE_TIMEOUT + 1.5, (
        f"takeover took {took:.1f}s"
    )  # slack: polling, a loaded CI
    finished = _run_when(b, idempotent, _finished)
    assert finished["status"] == "completed_success"
    assert [e for e in events_of(finished, "step_started") if e["data"].get("rerun")]
    assert "looked" in finished["steps"][0]["tool"]["output"]
    _assert_legal_history(finished)
    failed = _run_when(b, plain, _finished)
    assert failed["status"] == "completed_failure"
    assert failed["steps"][0]["status"] == "failed" and "interrupted" in failed["steps"][0]["error"]
    assert (marks / "slow-plain").read_text().count(
        "start"
    ) == 1  # a tool that changes things is not re-run
    reasons = [e["data"].get("reason", "") for e in events_of(failed, "step_finished")]
    assert any("idempotent" in reason for reason in reasons)
    _assert_legal_history(failed)


def test_a_starting_replica_never_touches_a_live_replicas_runs(
    replicas: ReplicaFactory, marks: Path, pg_url: str
) -> None:
    a = replicas("a")
    run_id = a.start("guides", "slow-plain")
    wait_until(lambda: (marks / "slow-plain").exists(), what="the tool to start on a")
    b = replicas("b")
    time.sleep(LEASE_TIMEOUT)  # several of b's sweeps and a's renewals
    engine = sqlalchemy.create_engine(pg_url)
    with engine.connect() as conn:
        owner = conn.exec_driver_sql("SELECT owner, epoch FROM runs WHERE id = %s", (run_id,)).one()
    engine.dispose()
    assert tuple(owner) == ("a", 1)
    run = _run_when(b, run_id, _finished)
    assert run["status"] == "completed_success", run["steps"][0]
    assert (marks / "slow-plain").read_text().count("start") == 1
    _assert_legal_history(run)


def test_a_stream_client_on_b_sees_the_changes_and_output_of_a_run_on_a(
    replicas: ReplicaFactory,
) -> None:
    a, b = replicas("a"), replicas("b")
    run_id = a.start("guides", "chatty")  # its tool prints after 3 s: time to subscribe
    following = _StreamListener(b, f"/stream?output={run_id}")
    listing = _StreamListener(b, "/stream")  # asks for no run's output
    finished = _run_when(a, run_id, _finished)
    for listener in (following, listing):
        wait_until(
            lambda ear=listener: ear.saw_change(finished["seq"]),
            10,
            what="b's stream to announce a's last change",
        )
    output = "".join(following.chunks(run_id))
    assert (
        "small-line" in output and "0" * 12000 in output and "last-line" in output
    )  # big chunks too
    assert listing.chunks(run_id) == []  # output goes only to who asked for the run
    following.stop.set()
    listing.stop.set()


class _StreamListener:
    """A `/stream` client of one replica, on a thread, recording every event."""

    def __init__(self, replica: Any, path: str) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.stop = threading.Event()
        self._replica, self._path = replica, path
        connected = threading.Event()
        threading.Thread(target=self._listen, args=(connected,), daemon=True).start()
        assert connected.wait(30)

    def saw_change(self, seq: int) -> bool:
        return any(kind == "change" and data["seq"] >= seq for kind, data in list(self.seen))

    def chunks(self, run_id: str) -> list[str]:
        return [
            data["chunk"]
            for kind, data in list(self.seen)
            if kind == "output" and data["run_id"] == run_id
        ]

    def _listen(self, connected: threading.Event) -> None:
        base = self._replica.url + "/api/v1"
        headers = self._replica.http.headers
        try:
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                with client.stream("GET", self._path) as response:
                    connected.set()
                    self._record(response.iter_lines())
        except httpx.HTTPError:
            pass  # the replica stops at teardown

    def _record(self, lines: Any) -> None:
        kind = ""
        for line in lines:
            if self.stop.is_set():
                return
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                self.seen.append((kind, json.loads(line.split(":", 1)[1])))


def _starts(path: Path) -> list[float]:
    if not path.exists():
        return []
    return [
        float(line.split()[1]) for line in path.read_text().splitlines() if line.startswith("start")
    ]


def _count(path: Path) -> int:
    return path.read_text().count("tick") if path.exists() else 0


def _expiries(run: dict[str, Any]) -> int:
    return len(events_of(run, "input_expired"))


def test_a_deadline_on_two_replicas_expires_once(replicas: ReplicaFactory) -> None:
    """Both replicas know the waiting run (the owner armed it; the other's sweep does); the
    compare-and-set lets exactly one apply the expiry."""
    a, b = replicas("a"), replicas("b")
    run_id = a.start("guides", "expiring")
    step = _wait_waiting(b, run_id)
    assert step == "procedure-1"
    after = _run_when(b, run_id, lambda r: r["steps"][0]["status"] == "succeeded", 20)
    time.sleep(LEASE_TIMEOUT * 1.5)  # both replicas' timers and sweeps have had their turn
    after = a.run(run_id)
    assert _expiries(after) == 1
    response = after["steps"][0]["response"]
    assert response["answered_by"] == "system" and response["expired"] is True
    assert response["values"] == {"count": 3}
    assert len(events_of(after, "input_received")) == 1
    _assert_legal_history(after)


def test_a_deadline_survives_the_death_of_the_replica_that_armed_it(
    replicas: ReplicaFactory,
) -> None:
    """kill -9 of the replica whose run waits: a replica started before the run existed finds
    the waiting run in a sweep and applies the expiry (late by at most about a lease timeout)."""
    a, b = replicas("a"), replicas("b")
    run_id = a.start("guides", "expiring")
    _wait_waiting(a, run_id)
    a.kill()
    after = _run_when(
        b, run_id, lambda r: r["steps"][0]["status"] == "succeeded", 4 + LEASE_TIMEOUT * 4
    )
    assert _expiries(after) == 1
    assert after["steps"][0]["response"]["answered_by"] == "system"
    assert _wait_waiting(b, run_id) == "procedure-2"
    _assert_legal_history(after)
