"""Who may answer, who did what (issue 13), over real HTTP on SQLite and PostgreSQL.

The backend is started with a team config (`[[tokens]]`: ann and dana-sre on call, bob a DBA,
carol a lead); each person sends their own token. The guide `approvals` asks a DBA first
(`responders = ["group:dba", "carol"]`), then someone other than its starter (`allow_self =
false`), then anyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from runs_tui.backend.clock import FakeClock
from runs_tui.backend.server import EmbeddedBackend
from runs_tui.models.domain import CLIENT_HEADER, AuditPage, Event, EventType, RunDetail
from runs_tui.models.status import RunStatus

if TYPE_CHECKING:
    from conftest import Team  # the suite's root conftest: the `team` fixture

pytestmark = pytest.mark.postgres
DEFINITIONS = str(Path(__file__).parent / "who_definitions")
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Backend:
    """The backend under a fake clock, and a client per person."""

    def __init__(self, backend: EmbeddedBackend, clock: FakeClock, team: Team) -> None:
        self.backend, self.clock, self.team = backend, clock, team
        self._clients: dict[str, httpx.Client] = {}

    def as_(self, name: str | None, client: str | None = None) -> httpx.Client:
        """`name`'s client (None: the shared token), sending `X-Runs-Client: client`."""
        key = f"{name}/{client}"
        if key not in self._clients:
            token = self.backend.token if name is None else self.team.token(name)
            headers = {"Authorization": f"Bearer {token}"}
            if client is not None:
                headers[CLIENT_HEADER] = client
            self._clients[key] = httpx.Client(
                base_url=self.backend.api_url, headers=headers, timeout=10
            )
        return self._clients[key]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def start(self, who: str | None, **body: Any) -> str:
        answer = self.as_(who).post("/guides/approvals/runs", json=body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def run(self, run_id: str) -> dict[str, Any]:
        answer = self.as_(None).get(f"/runs/{run_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def waiting_on(self, run_id: str, step_key: str) -> dict[str, Any]:
        """The run once it waits on the step whose id ends with `step_key`'s position."""
        for _ in range(200):
            run = self.run(run_id)
            waiting = [s for s in run["steps"] if s["status"] == "waiting_for_input"]
            if waiting and waiting[0]["title"] == step_key:
                return run
            self.backend.run(self.clock.advance(1))
        raise AssertionError(f"run never waited on {step_key!r}: {run['status']}")

    def answer(
        self,
        who: str,
        run: dict[str, Any],
        value: str = "done",
        client: str | None = None,
        **body: Any,
    ) -> httpx.Response:
        step = next(s for s in run["steps"] if s["status"] == "waiting_for_input")
        return self.as_(who, client).post(
            f"/runs/{run['id']}/steps/{step['id']}/response",
            json={"value": value, "prompt_id": step["prompt"]["prompt_id"], **body},
        )

    def audit(self, since: int = 0, limit: int = 100) -> AuditPage:
        answer = self.as_("carol").get("/audit", params={"since": since, "limit": limit})
        assert answer.status_code == 200, answer.text
        return AuditPage.model_validate_json(answer.content)

    def all_audit(self) -> list[dict[str, Any]]:
        return [entry.model_dump(mode="json") for entry in self.audit(0, 1000).entries]


@pytest.fixture
def backend(backend_db: str, backend_token: str, team: Team) -> Iterator[Backend]:
    clock = FakeClock(START)
    embedded = EmbeddedBackend(
        db_url=backend_db,
        token=backend_token,
        clock=clock,
        definitions_dir=DEFINITIONS,
        heartbeat_seconds=0.3,
        config=team.path,
    )
    with embedded:
        helper = Backend(embedded, clock, team)
        yield helper
        helper.close()


DBA = "DBA review"
SIGN_OFF = "Second pair of eyes"
CLOSE = "Close the change"


def test_me_names_the_token_s_identity_and_groups(backend: Backend) -> None:
    bob = backend.as_("bob").get("/me")
    assert bob.status_code == 200, bob.text
    assert bob.json() == {"name": "bob", "groups": ["dba", "oncall"]}
    assert backend.as_(None).get("/me").json() == {"name": "operator", "groups": []}
    stranger = httpx.get(
        f"{backend.backend.api_url}/me", headers={"Authorization": "Bearer not-a-known-token-x"}
    )
    assert stranger.status_code == 401


def test_the_prompt_serves_who_may_answer(backend: Backend) -> None:
    run = backend.waiting_on(backend.start("ann"), DBA)
    prompt = next(s for s in run["steps"] if s["status"] == "waiting_for_input")["prompt"]
    assert prompt["responders"] == ["group:dba", "carol"] and prompt["allow_self"] is True


def test_a_responder_outside_the_list_is_403_and_nothing_is_recorded(backend: Backend) -> None:
    run = backend.waiting_on(backend.start("ann"), DBA)
    refused = backend.answer("dana-sre", run)
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "forbidden" and error["details"] == {"rule": "responders"}
    assert error["message"] == "only group:dba, carol may answer this step"
    after = backend.run(run["id"])
    assert after["version"] == run["version"] and after["events"] == run["events"]
    assert backend.all_audit() == []
    # A DBA by group, and carol by name, may.
    assert backend.answer("bob", run).status_code == 200
    second = backend.waiting_on(backend.start("ann"), DBA)
    assert backend.answer("carol", second).status_code == 200


def test_self_approval_is_403_under_four_eyes_whatever_the_body_claims(backend: Backend) -> None:
    run_id = backend.start("ann", trigger={"kind": "manual", "actor": "mallory"})
    run = backend.waiting_on(run_id, DBA)
    assert run["trigger"]["actor"] == "ann"  # the starter is the token, not the body's name
    assert backend.answer("bob", run).status_code == 200
    run = backend.waiting_on(run_id, SIGN_OFF)
    refused = backend.answer("ann", run, answered_by="somebody-else")
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "forbidden" and error["details"] == {"rule": "four_eyes"}
    assert "ann started this run" in error["message"] and "four-eyes" in error["message"]
    assert backend.run(run_id)["version"] == run["version"]
    assert backend.answer("bob", run).status_code == 200


def test_answered_by_is_the_token_s_identity_whatever_the_client_sends(backend: Backend) -> None:
    run = backend.waiting_on(backend.start("ann"), DBA)
    answered = backend.answer("bob", run, client="cli", answered_by="carol")
    assert answered.status_code == 200, answered.text
    step = next(s for s in answered.json()["steps"] if s["title"] == DBA)
    assert step["response"]["answered_by"] == "bob" and step["response"]["client"] == "cli"
    received = [e for e in answered.json()["events"] if e["type"] == "input_received"]
    assert [e["data"]["answered_by"] for e in received] == ["bob"]
    (entry,) = backend.all_audit()
    assert entry["action"] == "answer" and entry["actor"] == "bob" and entry["client"] == "cli"
    assert entry["details"]["declared_by"] == "carol" and entry["details"]["value"] == "done"
    assert entry["run_id"] == run["id"] and entry["run_name"] == "Change approval"
    assert entry["step_id"] == step["id"]


def test_an_unknown_client_header_is_recorded_as_api(backend: Backend) -> None:
    run = backend.waiting_on(backend.start("ann"), DBA)
    assert backend.answer("bob", run, client="curl/8.5 \x1b[31m").status_code == 200
    assert [entry["client"] for entry in backend.all_audit()] == ["api"]


def test_every_action_is_audited_and_a_deletion_outlives_the_run(backend: Backend) -> None:
    run_id = backend.start("ann")
    run = backend.waiting_on(run_id, DBA)
    assert backend.answer("bob", run, client="dashboard").status_code == 200
    cancelled = backend.as_("carol", "cli").post(f"/runs/{run_id}/cancel", json={"actor": "x"})
    assert cancelled.status_code == 200 and cancelled.json()["error"] == "cancelled by carol"
    # A repeated cancel does nothing, so records nothing.
    assert backend.as_("ann").post(f"/runs/{run_id}/cancel").status_code == 200
    rerun = backend.as_("dana-sre", "dashboard").post(
        "/guides/approvals/runs", json={"rerun_of": run_id}
    )
    assert rerun.status_code == 201, rerun.text
    rerun_id = rerun.json()["id"]
    backend.as_(None).post(f"/runs/{rerun_id}/cancel")
    other = backend.start("ann")
    backend.as_(None).post(f"/runs/{other}/cancel")
    deleted = backend.as_("carol").delete(f"/runs/{run_id}")
    assert deleted.status_code == 204, deleted.text
    bulk = backend.as_("bob", "cli").post("/runs/delete", json={"ids": [rerun_id, other, "ghost"]})
    assert sorted(bulk.json()["deleted"]) == sorted([rerun_id, other])
    assert backend.as_(None).get(f"/runs/{run_id}").status_code == 404

    entries = backend.all_audit()
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    summary = [(e["action"], e["actor"], e["client"], e["run_id"]) for e in entries]
    assert summary[:6] == [
        ("answer", "bob", "dashboard", run_id),
        ("cancel", "carol", "cli", run_id),
        ("rerun", "dana-sre", "dashboard", rerun_id),
        ("cancel", "operator", "api", rerun_id),
        ("cancel", "operator", "api", other),
        ("delete", "carol", "api", run_id),
    ]
    assert sorted(summary[6:]) == sorted(
        [("bulk_delete", "bob", "cli", rerun_id), ("bulk_delete", "bob", "cli", other)]
    )
    assert entries[1]["details"] == {"declared_by": "x"}
    assert entries[2]["details"] == {"rerun_of": run_id}
    assert entries[5]["run_name"] == "Change approval"
    assert all(e["details"] == {"batch_size": 3} for e in entries[6:])


def test_the_run_s_own_log_carries_its_audit_events(backend: Backend) -> None:
    run_id = backend.start("ann")
    run = backend.waiting_on(run_id, DBA)
    assert backend.answer("bob", run, client="cli").status_code == 200
    backend.as_("carol", "dashboard").post(f"/runs/{run_id}/cancel")
    events = backend.run(run_id)["events"]
    audits = [e for e in events if e["type"] == "audit"]
    assert [(e["data"]["action"], e["data"]["actor"], e["data"]["client"]) for e in audits] == [
        ("answer", "bob", "cli"),
        ("cancel", "carol", "dashboard"),
    ]
    received = next(e for e in events if e["type"] == "input_received")
    assert audits[0]["step_id"] == received["step_id"] and audits[0]["at"] == received["at"]
    rerun = backend.as_("dana-sre").post("/guides/approvals/runs", json={"rerun_of": run_id})
    first_events = backend.run(rerun.json()["id"])["events"]
    assert [e["type"] for e in first_events[:2]] == ["run_created", "audit"]
    assert first_events[1]["data"]["details"] == {"rerun_of": run_id}


def test_an_expiry_is_audited_as_the_system_from_its_event(backend: Backend) -> None:
    """The typed slice records expiry as an `input_expired` event; whatever path saves it, the
    store adds the system's audit event and entry (tested here with the event itself)."""
    run = backend.waiting_on(backend.start("ann"), DBA)
    store = backend.backend.store
    detail = store.get_run(run["id"])
    step = detail.waiting_step()
    assert step is not None and step.prompt is not None
    expired = Event(
        seq=0,
        at=backend.clock.now(),
        type=EventType.INPUT_EXPIRED,
        step_id=step.id,
        data={"on_expiry": "fail", "prompt_id": step.prompt.prompt_id},
    )
    store.save_run(detail, [expired])
    (entry,) = backend.all_audit()
    assert entry["action"] == "expiry" and entry["actor"] == "system"
    assert entry["client"] == "backend" and entry["step_id"] == step.id
    assert entry["details"] == {"on_expiry": "fail", "prompt_id": step.prompt.prompt_id}
    events = RunDetail.model_validate(backend.run(run["id"])).events
    assert [e.type for e in events[-2:]] == [EventType.INPUT_EXPIRED, EventType.AUDIT]


def test_audit_pages_by_since_and_limit(backend: Backend) -> None:
    ids = [backend.start("ann") for _ in range(5)]
    for run_id in ids:
        backend.waiting_on(run_id, DBA)
        backend.as_("carol").post(f"/runs/{run_id}/cancel")
    first = backend.audit(0, 2)
    assert [e.seq for e in first.entries] == [1, 2] and first.has_more and first.next_cursor == 2
    second = backend.audit(first.next_cursor, 2)
    assert [e.seq for e in second.entries] == [3, 4] and second.has_more
    last = backend.audit(second.next_cursor, 2)
    assert [e.seq for e in last.entries] == [5] and not last.has_more and last.next_cursor == 5
    empty = backend.audit(last.next_cursor, 2)
    assert empty.entries == [] and empty.next_cursor == 5 and not empty.has_more
    assert [e.run_id for e in first.entries + second.entries + last.entries] == ids
    for bad in ({"limit": 0}, {"limit": 100_000}, {"since": -1}):
        refused = backend.as_("ann").get("/audit", params=bad)
        assert refused.status_code == 422, refused.text
    anonymous = httpx.get(f"{backend.backend.api_url}/audit")
    assert anonymous.status_code == 401


def test_a_waiting_run_stays_waiting_after_a_refusal(backend: Backend) -> None:
    run = backend.waiting_on(backend.start("ann"), DBA)
    for _ in range(3):
        assert backend.answer("ann", run).status_code == 403
    assert RunStatus(backend.run(run["id"])["status"]).is_waiting


def test_an_idempotency_key_replays_only_for_the_person_who_sent_it(backend: Backend) -> None:
    """A retry under the same key is the same answer for its sender; another person sending
    the same key (a script's fixed key, a leaked one) is answered as themselves: here the 409
    that says bob answered, not a replay of bob's 200 as if dana's answer had been taken."""
    run = backend.waiting_on(backend.start("ann"), DBA)
    headers = {"Idempotency-Key": "fixed-key-1"}
    step = next(s for s in run["steps"] if s["status"] == "waiting_for_input")
    path = f"/runs/{run['id']}/steps/{step['id']}/response"
    body = {"value": "done", "prompt_id": step["prompt"]["prompt_id"]}
    first = backend.as_("bob").post(path, json=body, headers=headers)
    assert first.status_code == 200, first.text
    again = backend.as_("bob").post(path, json=body, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()  # bob's retry: a replay
    other = backend.as_("dana-sre").post(path, json=body, headers=headers)
    assert other.status_code == 409, other.text  # dana's own request, refused as such
    assert other.json()["error"]["details"]["answered_by"] == "bob"
