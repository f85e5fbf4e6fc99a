"""The HTTP API over real HTTP (uvicorn on a loopback port), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import sqlalchemy

from runs_tui.backend.clock import FakeClock
from runs_tui.backend.server import EmbeddedBackend
from runs_tui.models.domain import API_PREFIX, ApiError, RunDetail
from runs_tui.models.status import RunStatus

if TYPE_CHECKING:
    from conftest import Team  # the suite's root conftest: the `team` fixture

pytestmark = pytest.mark.postgres
DEFINITIONS = str(Path(__file__).parent / "api_definitions")
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Api:
    """A backend under a fake clock, and an authenticated client of it."""

    def __init__(
        self, backend: EmbeddedBackend, clock: FakeClock, team: Team | None = None
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.team = team
        self.http = self._client(backend.token)
        self._people: dict[str, httpx.Client] = {}

    def _client(self, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.backend.api_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    def as_(self, name: str) -> httpx.Client:
        """A client holding `name`'s own token (the team's config)."""
        assert self.team is not None, "this backend was started without a team config"
        if name not in self._people:
            self._people[name] = self._client(self.team.token(name))
        return self._people[name]

    def close(self) -> None:
        self.http.close()
        for client in self._people.values():
            client.close()

    def start(
        self, kind: str = "guides", definition: str = "checklist", **inputs: str
    ) -> dict[str, Any]:
        answer = self.http.post(
            f"/{kind}/{definition}/runs", json={"inputs": inputs or {"host": "db-1"}}
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    def wait_for(self, run_id: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Advance fake time until the run satisfies `check`."""
        for _ in range(200):
            run = self.http.get(f"/runs/{run_id}").json()
            if check(run):
                return run
            self.backend.run(self.clock.advance(1))
        raise AssertionError(f"run never got there: {run['status']}")

    def waiting(self, run_id: str) -> dict[str, Any]:
        return self.wait_for(run_id, lambda run: RunStatus(run["status"]).is_waiting)


@pytest.fixture
def api(backend_db: str, backend_token: str, team: Team) -> Iterator[Api]:
    clock = FakeClock(START)
    backend = EmbeddedBackend(
        db_url=backend_db,
        token=backend_token,
        clock=clock,
        definitions_dir=DEFINITIONS,
        heartbeat_seconds=0.3,
        tombstone_retention=3,
        config=team.path,
    )
    with backend:
        client = Api(backend, clock, team)
        yield client
        client.close()


def _error(answer: httpx.Response, status: int, code: str) -> ApiError:
    assert answer.status_code == status, answer.text
    error = ApiError.model_validate_json(answer.content)
    assert error.error.code == code
    assert "Traceback" not in answer.text
    return error


def _seed_finished(
    api: Api, make_run: Callable[..., RunDetail], count: int, **fields: Any
) -> list[RunDetail]:
    runs = [make_run(index=i, **fields) for i in range(count)]
    api.backend.store.seed_history(runs)
    return runs


def test_health_is_open_and_everything_else_needs_the_token(api: Api) -> None:
    assert httpx.get(f"{api.backend.api_url}/health").json() == {"status": "ok"}
    anonymous = httpx.get(f"{api.backend.api_url}/runs/changes")
    _error(anonymous, 401, "unauthorized")
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    wrong = httpx.get(
        f"{api.backend.api_url}/flows", headers={"Authorization": f"Bearer {api.backend.token}x"}
    )
    _error(wrong, 401, "unauthorized")
    basic = httpx.get(
        f"{api.backend.api_url}/flows", headers={"Authorization": f"Basic {api.backend.token}"}
    )
    _error(basic, 401, "unauthorized")
    assert api.http.get("/flows").status_code == 200


def test_every_error_is_api_error_json(api: Api) -> None:
    _error(api.http.get("/no/such/route"), 404, "not_found")
    _error(api.http.put("/runs/abc"), 405, "invalid")
    bad_limit = _error(api.http.get("/runs/changes", params={"limit": 10_001}), 422, "invalid")
    assert bad_limit.error.details["errors"][0]["loc"] == ["query", "limit"]
    _error(api.http.get("/runs/changes", params={"cursor": "abc"}), 422, "invalid")
    _error(api.http.get("/runs", params={"status": "exploded"}), 422, "invalid")
    missing = _error(api.http.get("/runs/nope"), 404, "not_found")
    assert missing.error.run_id == "nope"
    _error(api.http.post("/flows/question-flow/runs", content=b"{not json"), 422, "invalid")
    _error(api.http.post("/flows/no-such-flow/runs", json={}), 404, "not_found")


def test_unexpected_failures_answer_500_without_a_trace(api: Api, backend_db: str) -> None:
    run = api.start()
    engine = sqlalchemy.create_engine(backend_db)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE run_events")
    engine.dispose()
    crashed = _error(api.http.get(f"/runs/{run['id']}"), 500, "server_error")
    assert crashed.error.message == "internal server error"
    assert "run_events" not in api.http.get(f"/runs/{run['id']}").text


def test_openapi_is_served_with_the_token_only(api: Api) -> None:
    """The README says only /health answers without a token: the document and /docs did too."""
    document = api.http.get("/openapi.json").json()
    assert {"/api/v1/runs/changes", "/api/v1/runs/{run_id}", "/api/v1/stream"} <= set(
        document["paths"]
    )
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    _error(httpx.get(f"{api.backend.url}{API_PREFIX}/openapi.json"), 401, "unauthorized")
    assert httpx.get(f"{api.backend.url}{API_PREFIX}/docs").status_code in (401, 404)
    assert httpx.get(f"{api.backend.url}/openapi.json").status_code in (401, 404)


def test_start_run_answers_201_and_422_for_missing_inputs(api: Api) -> None:
    summary = api.start(host="db-1")
    assert summary["status"] == "pending" and summary["inputs"] == {"host": "db-1", "note": "none"}
    missing = _error(api.http.post("/guides/checklist/runs", json={"inputs": {}}), 422, "invalid")
    assert "host" in missing.error.message
    assert [d["id"] for d in api.http.get("/guides").json()] == ["checklist"]
    assert [d["id"] for d in api.http.get("/flows").json()] == ["question-flow"]


def test_start_run_honours_idempotency_keys(api: Api) -> None:
    body = {"inputs": {"host": "a"}}
    first = api.http.post(
        "/guides/checklist/runs", json=body, headers={"Idempotency-Key": "start-1"}
    )
    again = api.http.post(
        "/guides/checklist/runs", json=body, headers={"Idempotency-Key": "start-1"}
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = api.http.post(
        "/guides/checklist/runs",
        json={"inputs": {"host": "b"}},
        headers={"Idempotency-Key": "start-1"},
    )
    refused = _error(other, 422, "invalid")
    assert refused.error.details == {"reason": "idempotency_key_reused"}
    assert api.http.get("/runs").json()["total"] == 1


def test_change_feed_pages_tombstones_and_410(api: Api, make_run: Callable[..., RunDetail]) -> None:
    seeded = _seed_finished(api, make_run, 25)
    seen: list[str] = []
    cursor: int | None = None
    while True:
        params = {"limit": 10} | ({"cursor": cursor} if cursor is not None else {})
        page = api.http.get("/runs/changes", params=params).json()
        seen += [run["id"] for run in page["changes"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [run.id for run in seeded] and cursor == 25
    assert api.http.delete(f"/runs/{seeded[0].id}").status_code == 204
    tail = api.http.get("/runs/changes", params={"cursor": cursor}).json()
    assert tail["deleted"] == [seeded[0].id] and tail["changes"] == [] and tail["next_cursor"] == 26
    bulk = api.http.post("/runs/delete", json={"ids": [run.id for run in seeded[1:5]]}).json()
    assert bulk == {"deleted": [run.id for run in seeded[1:5]], "refused": []}
    gone = _error(api.http.get("/runs/changes", params={"cursor": cursor}), 410, "gone")
    assert gone.error.details == {"cursor": cursor}
    restart = api.http.get("/runs/changes").json()
    assert restart["deleted"] == [run.id for run in seeded[2:5]]
    assert len(restart["changes"]) == 20
    resync = api.http.get("/runs/changes", params={"cursor": 3, "limit": 5, "resync": "true"})
    assert resync.status_code == 200 and resync.json()["next_cursor"] > 3


def test_run_detail_etag_and_304(api: Api) -> None:
    run = api.start()
    first = api.http.get(f"/runs/{run['id']}")
    etag = first.headers["ETag"]
    assert RunDetail.model_validate_json(first.content).id == run["id"]
    unchanged = api.http.get(f"/runs/{run['id']}", headers={"If-None-Match": etag})
    assert (
        unchanged.status_code == 304
        and unchanged.content == b""
        and unchanged.headers["ETag"] == etag
    )
    api.waiting(run["id"])
    changed = api.http.get(f"/runs/{run['id']}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_respond_validates_conflicts_and_replays(api: Api) -> None:
    run = api.waiting(api.start()["id"])
    step = next(s for s in run["steps"] if s["status"] == "waiting_for_input")
    path = f"/runs/{run['id']}/steps/{step['id']}/response"
    refused = _error(api.http.post(path, json={"value": "green"}), 422, "invalid")
    assert refused.error.run_id == run["id"]
    answer = {"value": "red", "answered_by": "ann"}
    first = api.as_("ann").post(path, json=answer, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 200, first.text
    replay = api.as_("ann").post(path, json=answer, headers={"Idempotency-Key": "k-1"})
    assert replay.status_code == 200 and replay.json() == first.json()
    recorded = [
        e
        for e in api.http.get(f"/runs/{run['id']}").json()["events"]
        if e["type"] == "input_received"
    ]
    assert len(recorded) == 1
    reused = _error(
        api.as_("ann").post(path, json={"value": "blue"}, headers={"Idempotency-Key": "k-1"}),
        422,
        "invalid",
    )
    assert reused.error.details["reason"] == "idempotency_key_reused"
    late = _error(
        api.as_("bob").post(path, json={"value": "blue", "answered_by": "bob"}), 409, "conflict"
    )
    assert late.error.details["answered_by"] == "ann" and late.error.details["answered_at"]
    _error(
        api.http.post(f"/runs/{run['id']}/steps/no-step/response", json={"value": "red"}),
        404,
        "not_found",
    )
    _error(api.http.post("/runs/ghost/steps/x/response", json={"value": "red"}), 404, "not_found")


def test_respond_to_a_stale_prompt_id_is_409_and_records_nothing(api: Api) -> None:
    """The answer names the asking it was given to; another one (or one answered meanwhile) is
    refused with what waits now, and the run's record does not move."""
    run = api.waiting(api.start()["id"])
    first = next(s for s in run["steps"] if s["status"] == "waiting_for_input")
    prompt_id = first["prompt"]["prompt_id"]
    assert prompt_id
    path = f"/runs/{run['id']}/steps/{first['id']}/response"
    stale = _error(
        api.http.post(path, json={"value": "red", "prompt_id": "seen-elsewhere"}), 409, "conflict"
    )
    assert stale.error.details["waiting_step_id"] == first["id"]
    assert stale.error.details["prompt_id"] == prompt_id
    after = api.http.get(f"/runs/{run['id']}").json()
    assert after["version"] == run["version"] and after["events"] == run["events"]
    answered = api.as_("ann").post(path, json={"value": "red", "prompt_id": prompt_id})
    assert answered.status_code == 200, answered.text
    second_run = api.waiting(run["id"])
    second = next(s for s in second_run["steps"] if s["status"] == "waiting_for_input")
    assert second["id"] != first["id"] and second["prompt"]["prompt_id"] not in (None, prompt_id)
    # The operator who saw the first prompt answers its id at the next step's URL: refused.
    late_path = f"/runs/{run['id']}/steps/{second['id']}/response"
    late = _error(
        api.http.post(late_path, json={"value": "done", "prompt_id": prompt_id}), 409, "conflict"
    )
    assert late.error.details["prompt_id"] == second["prompt"]["prompt_id"]
    # ...and at the first step's URL: who answered what.
    again = _error(
        api.http.post(path, json={"value": "blue", "prompt_id": prompt_id}), 409, "conflict"
    )
    assert (
        again.error.details["answered_by"] == "ann"
        and again.error.details["answered_value"] == "red"
    )
    assert again.error.details["waiting_step_id"] == second["id"]
    final = api.http.get(f"/runs/{run['id']}").json()
    assert final["version"] == second_run["version"] and final["events"] == second_run["events"]


def test_cancel_semantics(api: Api, make_run: Callable[..., RunDetail]) -> None:
    run = api.waiting(api.start()["id"])
    cancelled = api.http.post(f"/runs/{run['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = api.http.post(f"/runs/{run['id']}/cancel")
    assert again.status_code == 200 and again.json()["version"] == cancelled.json()["version"]
    [finished] = _seed_finished(api, make_run, 1)
    conflict = _error(api.http.post(f"/runs/{finished.id}/cancel"), 409, "conflict")
    assert conflict.error.details["status"] == "completed_success"
    _error(api.http.post("/runs/ghost/cancel"), 404, "not_found")


def test_delete_only_finished_runs(api: Api, make_run: Callable[..., RunDetail]) -> None:
    active = api.start()
    [finished] = _seed_finished(api, make_run, 1)
    conflict = _error(api.http.delete(f"/runs/{active['id']}"), 409, "conflict")
    assert conflict.error.details == {"status": "pending"}
    _error(api.http.delete("/runs/ghost"), 404, "not_found")
    bulk = api.http.post("/runs/delete", json={"ids": [finished.id, active["id"], "ghost"]}).json()
    assert bulk["deleted"] == [finished.id]
    assert [(r["run_id"], r["code"]) for r in bulk["refused"]] == [
        (active["id"], "conflict"),
        ("ghost", "not_found"),
    ]
    _error(api.http.get(f"/runs/{finished.id}"), 404, "not_found")


def test_list_runs_filters(api: Api, make_run: Callable[..., RunDetail]) -> None:
    base = START - timedelta(days=1)
    api.backend.store.seed_history(
        [
            make_run(name="Disk full", status=RunStatus.COMPLETED_FAILURE, created_at=base),
            make_run(
                name="Disk check",
                status=RunStatus.COMPLETED_PARTIAL,
                created_at=base - timedelta(hours=1),
            ),
            make_run(name="Net", status=RunStatus.CANCELLED, created_at=base - timedelta(hours=2)),
        ]
    )
    live = api.start()

    def names(**params: Any) -> list[str]:
        return [r["name"] for r in api.http.get("/runs", params=params).json()["runs"]]

    assert names(status="failed") == ["Disk full", "Disk check"]
    assert names(status=["cancelled", "Completed Failure"]) == ["Disk full", "Net"]
    assert names(status="active") == [live["name"]]
    assert names(kind="guide") == [live["name"]]
    assert names(name="DISK") == ["Disk full", "Disk check"]
    assert names(since=(base - timedelta(minutes=90)).isoformat(), until=base.isoformat()) == [
        "Disk check"
    ]
    first = api.http.get("/runs", params={"limit": 2}).json()
    assert first["total"] == 4 and first["next_cursor"] == "2"
    rest = api.http.get("/runs", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [r["name"] for r in rest["runs"]] == ["Disk check", "Net"] and rest[
        "next_cursor"
    ] is None


def test_stream_announces_changes_and_heartbeats(api: Api) -> None:
    """A heartbeat on connect and after each quiet interval (0.3 s here), then a `change`
    notice carrying the new run's sequence number."""
    events: list[tuple[str, dict[str, Any]]] = []
    quiet_heartbeats = threading.Event()

    def listen() -> None:
        with httpx.Client(
            base_url=api.backend.api_url, headers=api.http.headers, timeout=10
        ) as client:
            with client.stream("GET", "/stream") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                kind = ""
                for line in stream.iter_lines():
                    if line.startswith("event: "):
                        kind = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        events.append((kind, json.loads(line.removeprefix("data: "))))
                        if [k for k, _ in events].count("heartbeat") >= 2:
                            quiet_heartbeats.set()
                        if kind == "change":
                            return

    listener = threading.Thread(target=listen)
    listener.start()
    assert quiet_heartbeats.wait(10)
    run = api.start()
    listener.join(10)
    assert not listener.is_alive()
    assert events[0] == ("heartbeat", {})
    assert events[-1] == ("change", {"seq": run["seq"]})


def _stream_until_change(api: Api, path: str, ready: threading.Event) -> list[tuple[str, Any]]:
    """The events one client gets on `path` until its first `change` notice."""
    events: list[tuple[str, Any]] = []
    with httpx.Client(base_url=api.backend.api_url, headers=api.http.headers, timeout=10) as http:
        with http.stream("GET", path) as stream:
            kind = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line.removeprefix("data: "))))
                    ready.set()
                    if kind == "change":
                        return events
    return events


async def _print_then_change(api: Api, seq: int) -> None:
    """Tool output of three runs, then a change notice that ends every listener."""
    bus = api.backend.bus
    for run_id in ("run-a", "run-b", "run-c"):
        bus.publish_output(run_id, "step-1", f"{run_id} says hi")
    bus.publish_change(seq)


def test_stream_sends_a_client_only_the_output_it_asked_for(api: Api) -> None:
    """Issue 12: tool output went to every client; a dashboard follows one run, and 500 of
    them watching the list must not each receive every chunk of every executing run."""
    paths = ["/stream", "/stream?output=run-a", "/stream?output=run-b&output=run-c"]
    results: dict[str, list[tuple[str, Any]]] = {}
    readies = {path: threading.Event() for path in paths}
    listeners = [
        threading.Thread(
            target=lambda p=path: results.setdefault(p, _stream_until_change(api, p, readies[p]))
        )
        for path in paths
    ]
    for listener in listeners:
        listener.start()
    assert all(ready.wait(10) for ready in readies.values())  # each got its first heartbeat
    api.backend.run(_print_then_change(api, 1))
    for listener in listeners:
        listener.join(10)
    chunks = {
        path: [d["chunk"] for k, d in events if k == "output"] for path, events in results.items()
    }
    assert chunks == {
        "/stream": [],
        "/stream?output=run-a": ["run-a says hi"],
        "/stream?output=run-b&output=run-c": ["run-b says hi", "run-c says hi"],
    }
    assert all(events[-1] == ("change", {"seq": 1}) for events in results.values())


def test_stream_bounds_the_runs_one_client_may_follow(api: Api) -> None:
    many = "&".join(f"output=run-{n}" for n in range(33))
    _error(api.http.get(f"/stream?{many}"), 422, "invalid")
    _error(api.http.get("/stream?output="), 422, "invalid")


def _cancel_event_actor(run: dict[str, Any]) -> str | None:
    return next(
        (
            event["data"].get("actor")
            for event in run["events"]
            if event["type"] == "status_changed" and event["data"].get("to") == "cancelled"
        ),
        None,
    )


def test_cancel_records_the_authenticated_actor(api: Api) -> None:
    """Issue 9: every cancel was recorded as "operator", whoever pressed the key. Issue 13: the
    actor is the token's identity; the name in the body no longer decides it."""
    run = api.waiting(api.start()["id"])
    answer = api.as_("cli-oncall").post(
        f"/runs/{run['id']}/cancel",
        json={"actor": "cli-oncall"},
        headers={"Idempotency-Key": "c-1"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["error"] == "cancelled by cli-oncall"
    again = api.as_("cli-oncall").post(
        f"/runs/{run['id']}/cancel",
        json={"actor": "cli-oncall"},
        headers={"Idempotency-Key": "c-1"},
    )
    assert again.json() == answer.json()
    detail = api.http.get(f"/runs/{run['id']}").json()
    assert _cancel_event_actor(detail) == "cli-oncall"


def test_a_cancel_without_a_body_is_still_accepted(api: Api) -> None:
    run = api.waiting(api.start()["id"])
    answer = api.http.post(f"/runs/{run['id']}/cancel")
    assert answer.status_code == 200, answer.text
    assert _cancel_event_actor(api.http.get(f"/runs/{run['id']}").json()) == "operator"
