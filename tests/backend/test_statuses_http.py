"""Every status, and cancel from every non-terminal status, proven over real HTTP.

The engine-level tests (test_engine_lifecycle.py) show the shipped demo set reaches all sixteen
statuses and that a run can be cancelled from each non-terminal one. Here the same is done
through the API only: an `EmbeddedBackend` (uvicorn on an ephemeral loopback port, the real
engine, the demo definitions) under a `FakeClock`, driven with bearer-authenticated requests.
Fake time moves only through `backend.run(clock.advance(...))`, so every status a test waits for
is stable until the test itself advances the clock.

Every run detail read is checked: its STATUS_CHANGED chain starts at Pending, each `from` is the
previous `to`, each pair is legal for the run's kind, the run's status is the chain's last `to`,
and the statuses polled over time appear in that order in the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from runs_tui.backend.clock import FakeClock
from runs_tui.backend.server import EmbeddedBackend
from runs_tui.models.lifecycle import GUIDE_STATUSES, RunKind, is_legal
from runs_tui.models.status import RunStatus

Run = dict[str, Any]
UNFINISHED_STEP = {"pending", "running", "waiting_for_input"}
SHARED_IDENTITY = "alice@example.com"  # who the backend takes the tests' token for
STEP = 0.1  # fake seconds per poll: below the engine's 0.5 s pace, so no status is stepped over


@pytest.fixture(scope="module")
def demo_backend(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EmbeddedBackend, FakeClock]]:
    clock = FakeClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    db = tmp_path_factory.mktemp("statuses") / "backend.db"
    # The shared token is alice's (issue 13: the backend records the token's identity as the
    # starter and the answerer, not the name a request carries).
    with EmbeddedBackend(
        db_url=f"sqlite:///{db}", clock=clock, identity=SHARED_IDENTITY
    ) as backend:
        yield backend, clock


@pytest.fixture
def api(demo_backend: tuple[EmbeddedBackend, FakeClock]) -> Iterator[Api]:
    backend, clock = demo_backend
    client = Api(backend, clock)
    yield client
    client.close()


class Api:
    """The HTTP client a script would be, plus the fake clock and the per-read checks."""

    def __init__(self, backend: EmbeddedBackend, clock: FakeClock) -> None:
        assert backend.api_url.startswith("http://127.0.0.1:")
        self.backend = backend
        self.clock = clock
        self.http = httpx.Client(
            base_url=backend.api_url,
            timeout=30,
            headers={"Authorization": f"Bearer {backend.token}"},
        )
        self.seen: set[RunStatus] = (
            set()
        )  # current statuses and STATUS_CHANGED ends, over all reads
        self.polled: dict[str, list[RunStatus]] = {}  # per run: distinct statuses in the order read

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = self.http.request(method, path, **kwargs)
        assert answer.status_code < 500, f"{method} {path} → {answer.status_code}: {answer.text}"
        if answer.status_code >= 400:
            assert set(answer.json()) == {"error"}, answer.text
        return answer

    # actions ----------------------------------------------------------------------------------

    def start(
        self,
        kind: RunKind,
        definition: str,
        trigger: tuple[str, str] = ("manual", "alice@example.com"),
        **inputs: str,
    ) -> str:
        plural = "flows" if kind is RunKind.FLOW else "guides"
        body = {"inputs": inputs, "trigger": {"kind": trigger[0], "actor": trigger[1]}}
        answer = self.call("POST", f"/{plural}/{definition}/runs", json=body)
        assert answer.status_code == 201, answer.text
        summary = answer.json()
        assert (summary["kind"], summary["definition_id"]) == (kind.value, definition)
        # The starter is the token's identity; the name the request gave is only kept as
        # `declared_by` in the run's first event (issue 13).
        assert summary["trigger"] == {"kind": trigger[0], "actor": SHARED_IDENTITY}
        created = self.call("GET", f"/runs/{summary['id']}").json()["events"][0]["data"]
        assert created.get("declared_by", SHARED_IDENTITY) == trigger[1]
        self.get(summary["id"])
        return str(summary["id"])

    def respond(self, run_id: str, value: str, who: str = "alice@example.com") -> Run:
        run = self.get(run_id)
        assert run["status"] in (
            RunStatus.WAITING_FOR_USER_INPUT_TRIAGE,
            RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION,
        ), run["status"]
        waiting = [step for step in run["steps"] if step["status"] == "waiting_for_input"]
        assert len(waiting) == 1, [step["status"] for step in run["steps"]]
        answer = self.call(
            "POST",
            f"/runs/{run_id}/steps/{waiting[0]['id']}/response",
            json={"value": value, "answered_by": who},
        )
        assert answer.status_code == 200, answer.text
        answered = next(step for step in answer.json()["steps"] if step["id"] == waiting[0]["id"])
        assert answered["response"]["answered_by"] == who
        return self.get(run_id)

    def cancel(self, run_id: str) -> httpx.Response:
        return self.call("POST", f"/runs/{run_id}/cancel")

    def advance(self, seconds: float) -> None:
        self.backend.run(self.clock.advance(seconds))

    # reads ------------------------------------------------------------------------------------

    def get(self, run_id: str) -> Run:
        answer = self.call("GET", f"/runs/{run_id}")
        assert answer.status_code == 200, answer.text
        run: Run = answer.json()
        path = check_chain(run)
        self.seen.update(path)
        polled = self.polled.setdefault(run_id, [])
        if not polled or polled[-1] is not path[-1]:
            polled.append(path[-1])
        assert is_subsequence(polled, path), f"{run_id}: read {polled}, but the chain is {path}"
        return run

    def advance_until(
        self, run_id: str, predicate: Callable[[Run], bool], fake_seconds: float = 120
    ) -> Run:
        elapsed = 0.0
        while True:
            run = self.get(run_id)
            if predicate(run):
                return run
            if elapsed >= fake_seconds:
                raise AssertionError(
                    f"{run_id} never got there; it is {RunStatus(run['status']).label}"
                )
            self.advance(STEP)
            elapsed += STEP

    def until_status(self, run_id: str, *statuses: RunStatus, fake_seconds: float = 120) -> Run:
        return self.advance_until(
            run_id, lambda run: RunStatus(run["status"]) in statuses, fake_seconds
        )

    def until_finished(self, run_id: str, fake_seconds: float = 120) -> Run:
        return self.advance_until(
            run_id, lambda run: RunStatus(run["status"]).is_terminal, fake_seconds
        )

    def scheduled_run(self, fake_seconds: float = 30) -> Run:
        """The upcoming run the schedule loop keeps for database-health-check, once it sits in
        Scheduled for Execution (it is created Pending and takes a second to get there)."""
        elapsed = 0.0
        while True:
            page = self.call(
                "GET",
                "/runs",
                params={"status": RunStatus.SCHEDULED_FOR_EXECUTION.value, "kind": "flow"},
            )
            runs = page.json()["runs"]
            if runs:
                assert [r["definition_id"] for r in runs] == ["database-health-check"]
                run = self.get(runs[0]["id"])
                assert run["trigger"]["kind"] == "schedule" and run["scheduled_for"] is not None
                return run
            if elapsed >= fake_seconds:
                raise AssertionError("no run appeared in Scheduled for Execution")
            self.advance(STEP)
            elapsed += STEP


def check_chain(run: Run) -> list[RunStatus]:
    kind = RunKind(run["kind"])
    path = [RunStatus.PENDING]
    for event in run["events"]:
        if event["type"] != "status_changed":
            continue
        source, target = RunStatus(event["data"]["from"]), RunStatus(event["data"]["to"])
        assert source is path[-1], f"{run['id']}: chain broken at {source} (was {path[-1]})"
        assert is_legal(kind, source, target), (
            f"{run['id']}: illegal {kind} {source.label} → {target.label}"
        )
        path.append(target)
    assert RunStatus(run["status"]) is path[-1], (
        f"{run['id']}: status {run['status']} but the chain ends at {path[-1]}"
    )
    if kind is RunKind.GUIDE:
        assert set(path) <= GUIDE_STATUSES, path
    return path


def is_subsequence(part: list[RunStatus], whole: list[RunStatus]) -> bool:
    remaining = iter(whole)
    return all(status in remaining for status in part)


# (1) every status ---------------------------------------------------------------------------


def test_every_status_is_reached_over_http(api: Api) -> None:
    F, G = RunKind.FLOW, RunKind.GUIDE
    # disk pressure: an answer in triage routes to core dumps, whose first step fails → Partial
    disk = api.start(F, "disk-pressure", host="web-prod-01")
    # database: connections exhausted → confirm in remediation → Success
    db = api.start(F, "database-health-check", ("chat", "chat:#incidents"), host="db-prod-02")
    # network to an edge host: the trace times out, triage fails → Summarizing → Failure
    net = api.start(F, "network-diagnostics", ("external", "pagerduty"), host="edge-lb-03")
    draft = api.start(F, "cache-warmup-draft")  # no steps
    cert = api.start(F, "certificate-expiry")  # its tool exists nowhere → Failure while identifying
    guide = api.start(G, "on-call-handover", engineer="bob@example.com")
    cancelled = api.start(G, "on-call-handover", engineer="carol@example.com")
    scheduled = api.scheduled_run()

    api.until_status(disk, RunStatus.WAITING_FOR_USER_INPUT_TRIAGE)
    api.respond(disk, "core dumps piling up")  # case-insensitive choice among the outcomes
    api.until_status(db, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    api.respond(db, "approve")
    api.until_status(guide, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    api.respond(guide, "done")
    api.until_status(guide, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    api.respond(guide, "approve")
    api.until_status(cancelled, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
    assert api.cancel(cancelled).status_code == 200

    final = {
        run_id: api.until_finished(run_id)
        for run_id in (disk, db, net, draft, cert, guide, cancelled)
    }
    status = {run_id: RunStatus(run["status"]) for run_id, run in final.items()}
    assert status[disk] is RunStatus.COMPLETED_PARTIAL
    assert final[disk]["outcome"] == "Core dumps piling up"
    assert (
        status[db] is RunStatus.COMPLETED_SUCCESS
        and final[db]["outcome"] == "Connections exhausted"
    )
    assert status[net] is RunStatus.COMPLETED_FAILURE and "timed out" in (final[net]["error"] or "")
    assert status[draft] is RunStatus.NO_STEPS
    assert status[cert] is RunStatus.COMPLETED_FAILURE and "cert_manager_renew" in (
        final[cert]["error"] or ""
    )
    assert status[guide] is RunStatus.COMPLETED_SUCCESS
    assert status[cancelled] is RunStatus.CANCELLED
    if api.clock.now() < datetime.fromisoformat(scheduled["scheduled_for"]):
        assert (
            RunStatus(api.get(scheduled["id"])["status"]) is RunStatus.SCHEDULED_FOR_EXECUTION
        )  # not due yet

    assert check_chain(final[net])[-3:] == [
        RunStatus.DECIDING_REMEDIATION,
        RunStatus.SUMMARIZING,
        RunStatus.COMPLETED_FAILURE,
    ]
    assert RunStatus.READY_FOR_REMEDIATION in check_chain(final[db])
    assert check_chain(final[cert]) == [
        RunStatus.PENDING,
        RunStatus.IDENTIFYING_TOOLS,
        RunStatus.COMPLETED_FAILURE,
    ]
    assert check_chain(final[draft]) == [
        RunStatus.PENDING,
        RunStatus.IDENTIFYING_TOOLS,
        RunStatus.NO_STEPS,
    ]
    missing = set(RunStatus) - api.seen
    assert not missing, f"never observed over HTTP: {sorted(s.label for s in missing)}"


# (2) cancel from every non-terminal status --------------------------------------------------

NET = (
    RunKind.FLOW,
    "network-diagnostics",
    {"host": "edge-lb-03"},
)  # automated triage that times out
RECIPES: dict[RunStatus, tuple[RunKind, str, dict[str, str]]] = {
    RunStatus.PENDING: NET,
    RunStatus.IDENTIFYING_TOOLS: NET,
    RunStatus.READY_FOR_EXECUTION: NET,
    RunStatus.EXECUTING_TRIAGE: NET,
    RunStatus.DECIDING_REMEDIATION: NET,
    RunStatus.SUMMARIZING: NET,
    RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: (
        RunKind.FLOW,
        "disk-pressure",
        {"host": "web-prod-01"},
    ),
    RunStatus.READY_FOR_REMEDIATION: (
        RunKind.FLOW,
        "database-health-check",
        {"host": "db-prod-02"},
    ),
    RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: (
        RunKind.FLOW,
        "database-health-check",
        {"host": "db-prod-02"},
    ),
    RunStatus.EXECUTING_REMEDIATION: (
        RunKind.GUIDE,
        "on-call-handover",
        {"engineer": "a@example.com"},
    ),
}
NON_TERMINAL = [s for s in RunStatus if not s.is_terminal]


def test_every_non_terminal_status_has_a_recipe() -> None:
    assert set(RECIPES) | {RunStatus.SCHEDULED_FOR_EXECUTION} == set(NON_TERMINAL)


def _reach(api: Api, target: RunStatus) -> Run:
    if target is RunStatus.SCHEDULED_FOR_EXECUTION:
        return api.scheduled_run()
    kind, definition, inputs = RECIPES[target]
    run_id = api.start(kind, definition, **inputs)
    if target is RunStatus.EXECUTING_REMEDIATION:  # the guide's tool step runs after two answers
        for value in ("done", "approve"):
            api.advance_until(run_id, lambda run: RunStatus(run["status"]).is_waiting)
            api.respond(run_id, value)
    return api.until_status(run_id, target)


@pytest.mark.parametrize("target", NON_TERMINAL, ids=[s.value for s in NON_TERMINAL])
def test_cancel_from_every_non_terminal_status(api: Api, target: RunStatus) -> None:
    run = _reach(api, target)
    run_id = run["id"]
    assert RunStatus(run["status"]) is target
    running = [step["id"] for step in run["steps"] if step["status"] == "running"]
    if target in (RunStatus.EXECUTING_TRIAGE, RunStatus.EXECUTING_REMEDIATION):
        assert running, "a tool should be running when the run is cancelled"

    answer = api.cancel(run_id)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == RunStatus.CANCELLED.value
    version = answer.json()["version"]

    run = api.get(run_id)
    assert RunStatus(run["status"]) is RunStatus.CANCELLED
    assert check_chain(run)[-2:] == [target, RunStatus.CANCELLED]
    assert run["finished_at"] is not None
    left = [
        (step["title"], step["status"])
        for step in run["steps"]
        if step["status"] in UNFINISHED_STEP
    ]
    assert not left, left
    for step in run["steps"]:
        if step["id"] in running:
            assert step["status"] == "cancelled"

    again = api.cancel(run_id)
    assert again.status_code == 200, again.text
    assert (
        again.json()["status"] == RunStatus.CANCELLED.value and again.json()["version"] == version
    )  # a no-op

    api.advance(30)  # a stopped tool or driver must not move the run afterwards
    after = api.get(run_id)
    assert RunStatus(after["status"]) is RunStatus.CANCELLED and after["version"] == version


FINISHED_OTHERWISE: dict[str, tuple[RunKind, str, dict[str, str], RunStatus]] = {
    "no_steps": (RunKind.FLOW, "cache-warmup-draft", {}, RunStatus.NO_STEPS),
    "completed_failure": (RunKind.FLOW, "certificate-expiry", {}, RunStatus.COMPLETED_FAILURE),
}


@pytest.mark.parametrize("case", sorted(FINISHED_OTHERWISE))
def test_cancelling_a_run_finished_otherwise_is_a_conflict(api: Api, case: str) -> None:
    kind, definition, inputs, final = FINISHED_OTHERWISE[case]
    run = api.until_finished(api.start(kind, definition, **inputs))
    assert RunStatus(run["status"]) is final
    answer = api.cancel(run["id"])
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["code"] == "conflict" and error["message"]
    assert error["run_id"] == run["id"]
    assert error["details"]["status"] == final.value
    after = api.get(run["id"])
    assert RunStatus(after["status"]) is final and after["version"] == run["version"]


def test_cancelling_a_guide_that_succeeded_is_a_conflict(api: Api) -> None:
    run_id = api.start(RunKind.GUIDE, "on-call-handover", engineer="dora@example.com")
    for value in ("done", "approve"):
        api.until_status(run_id, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION)
        api.respond(run_id, value)
    run = api.until_finished(run_id)
    assert RunStatus(run["status"]) is RunStatus.COMPLETED_SUCCESS
    answer = api.cancel(run_id)
    assert answer.status_code == 409
    assert answer.json()["error"]["details"] == {"status": RunStatus.COMPLETED_SUCCESS.value}
