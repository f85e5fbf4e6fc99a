"""Random API actions against the real backend (demo definitions, fake clock): no run ever takes
a transition the lifecycle forbids, and no answer is ever a 5xx. Answers are valid or not
(typed prompts' fields included), and time jumps past the deadlines of short-lived typed prompts
(`machine_definitions/`), so expiry races answers, cancels and deletes; each asking still ends
once.

The machine follows the change feed after every step and checks each changed run's whole
STATUS_CHANGED chain: it starts at Pending, each `from` is the previous `to`, each pair is legal
for the run's kind, and the run's status is the chain's last `to`; and no step runs twice.

Several people act, each with their own token (a team config): the demo's `change-approval`
guide has a responders list and a four-eyes step, so some answers are forbidden. A forbidden
answer is a 403 (never applied), an allowed one never is, and an applied answer names the
token's identity, whatever the body claims.

In its replicas mode (PostgreSQL) two backends share one database and the machine sends its
calls to one and the other in turn: a run started through one is answered, cancelled, deleted
and read through either.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Team  # the suite's root conftest (tests/ is on sys.path)
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from runs_tui.backend.clock import FakeClock
from runs_tui.backend.definitions import demo_definitions_dir
from runs_tui.backend.server import EmbeddedBackend, ReplicaOptions
from runs_tui.models.domain import Prompt
from runs_tui.models.lifecycle import RunKind, is_legal
from runs_tui.models.prompt_fields import FieldType, PromptField, check_answer
from runs_tui.models.responders import Identity, answer_refusal
from runs_tui.models.status import RunStatus

MACHINE_DEFINITIONS = Path(__file__).parent / "machine_definitions"
INPUT_CANDIDATES = ("db-1", "ann@example.com", "/var/log")
SHARED = "operator"  # the shared token's identity
PEOPLE = (SHARED, *Team.MEMBERS)


def _team(folder: Path) -> Team:
    return Team(folder)


NOT_ALLOWED = "definitely-not-a-choice"


@pytest.fixture(scope="module")
def demo_backend(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EmbeddedBackend, FakeClock]]:
    clock = FakeClock(datetime(2026, 2, 1, 8, 0, tzinfo=UTC))
    folder = tmp_path_factory.mktemp("lifecycle")
    team = _team(folder)
    db = folder / "backend.db"
    definitions = _definitions(tmp_path_factory.mktemp("definitions"))
    with EmbeddedBackend(
        db_url=f"sqlite:///{db}", clock=clock, definitions_dir=definitions, config=team.path
    ) as backend:
        backend.team = team  # type: ignore[attr-defined]
        yield backend, clock


@pytest.fixture
def two_replicas(pg_url: str, tmp_path: Path) -> Iterator[list[tuple[EmbeddedBackend, FakeClock]]]:
    """Two backends on one PostgreSQL schema, each with its own fake clock (advanced together).
    Leases outlast the test's fake hours, so no run changes hands by expiry here."""
    start = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    (tmp_path / "definitions").mkdir()
    folder = _definitions(tmp_path / "definitions")  # apart from the team's config file
    pairs: list[tuple[EmbeddedBackend, FakeClock]] = []
    team = _team(tmp_path)
    shared = "lifecycle-" + team.token("ann")  # one shared token for both replicas
    try:
        for name in ("a", "b"):
            clock = FakeClock(start)
            backend = EmbeddedBackend(
                db_url=pg_url,
                token=shared,
                clock=clock,
                definitions_dir=folder,
                replica=ReplicaOptions(name, lease_timeout=36_000),
                config=team.path,
            )
            backend.team = team  # type: ignore[attr-defined]
            pairs.append((backend.start(), clock))
        yield pairs
    finally:
        for backend, _ in pairs:
            backend.stop()


def _definitions(folder: Path) -> str:
    """The demo set, plus typed prompts whose deadlines (30 to 60 s) the machine's time jumps
    reach: the demo's own, 10 to 30 minutes, would cost a schedule tick per fake second."""
    for source in [*demo_definitions_dir().glob("*.toml"), *MACHINE_DEFINITIONS.glob("*.toml")]:
        shutil.copy(source, folder / source.name)
    return str(folder)


def _input_value(pattern: str | None) -> str:
    return next((v for v in INPUT_CANDIDATES if pattern is None or re.fullmatch(pattern, v)), "x")


class LifecycleMachine(RuleBasedStateMachine):
    runs = Bundle("runs")

    def __init__(self, backends: list[tuple[EmbeddedBackend, FakeClock]]) -> None:
        super().__init__()
        self.backends = backends
        team: Team = backends[0][0].team  # type: ignore[attr-defined]
        tokens = {SHARED: backends[0][0].token, **team.tokens}
        self.people = {
            name: [
                httpx.Client(
                    base_url=backend.api_url,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                for backend, _ in backends
            ]
            for name, token in tokens.items()
        }
        self.identities = {SHARED: Identity(SHARED)} | {
            name: Identity(name, frozenset(groups)) for name, groups in Team.MEMBERS.items()
        }
        self.clients = self.people[SHARED]
        self.turn = 0
        self.definitions = [
            (kind, d) for kind in ("flows", "guides") for d in self._get(f"/{kind}").json()
        ]
        self.cursor: int | None = self._get("/runs/changes", params={"limit": 1}).json()[
            "next_cursor"
        ]
        self.deleted: set[str] = set()

    def teardown(self) -> None:
        for clients in self.people.values():
            for client in clients:
                client.close()

    def _call(self, method: str, path: str, *, who: str = SHARED, **kwargs: Any) -> httpx.Response:
        """Each call goes to the next replica in turn (one replica: always the same), with
        `who`'s token."""
        self.turn += 1
        clients = self.people[who]
        answer = clients[self.turn % len(clients)].request(method, path, **kwargs)
        assert answer.status_code < 500, f"{method} {path} → {answer.status_code}: {answer.text}"
        if answer.status_code >= 400:
            assert set(answer.json()) == {"error"}
        return answer

    def _get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._call("GET", path, **kwargs)

    @rule(
        target=runs,
        choice=st.integers(min_value=0),
        with_required=st.booleans(),
        who=st.sampled_from(PEOPLE),
    )
    def start_run(self, choice: int, with_required: bool, who: str) -> str:
        kind, definition = self.definitions[choice % len(self.definitions)]
        inputs = {
            spec["name"]: _input_value(spec.get("pattern"))
            for spec in definition["inputs"]
            if spec["required"] and with_required
        }
        answer = self._call(
            "POST", f"/{kind}/{definition['id']}/runs", who=who, json={"inputs": inputs}
        )
        needs_input = any(
            spec["required"] and spec.get("default") is None for spec in definition["inputs"]
        )
        expected = 422 if needs_input and not with_required else 201
        assert answer.status_code == expected, answer.text
        if expected == 201:
            assert answer.json()["trigger"]["actor"] == who
        return answer.json()["id"] if expected == 201 else ""

    @rule(target=runs, who=st.sampled_from(PEOPLE))
    def start_approval(self, who: str) -> str:
        """The demo guide whose prompts say who may answer (responders, four eyes), started
        more often than the others and brought to its first prompt, so forbidden answers are
        part of every run of the machine."""
        body = {"inputs": {"service": "orders-api"}}
        answer = self._call("POST", "/guides/change-approval/runs", who=who, json=body)
        assert answer.status_code == 201, answer.text
        run_id = str(answer.json()["id"])
        for _ in range(60):  # until it asks its first question (a DBA's)
            if RunStatus(self._get(f"/runs/{run_id}").json()["status"]).is_waiting:
                break
            self.advance_time(0.5)
        return run_id

    @rule(seconds=st.sampled_from([0.5, 1, 3, 10, 60]))
    def advance_time(self, seconds: float) -> None:
        for backend, clock in self.backends:
            backend.run(clock.advance(seconds))

    @rule(run_id=runs, valid=st.booleans(), who=st.sampled_from(PEOPLE))
    def respond(self, run_id: str, valid: bool, who: str) -> None:
        if not run_id or run_id in self.deleted:
            return
        run = self._get(f"/runs/{run_id}").json()
        waiting = [s for s in run["steps"] if s["status"] == "waiting_for_input" and s["prompt"]]
        step = waiting[0] if waiting else run["steps"][0] if run["steps"] else None
        if step is None:
            return
        prompt = Prompt.model_validate(step["prompt"]) if step["prompt"] else None
        body = {**_answer(prompt, valid), "answered_by": "someone-claimed"}
        answer = self._call(
            "POST", f"/runs/{run_id}/steps/{step['id']}/response", who=who, json=body
        )
        refusal = prompt and answer_refusal(
            self.identities[who],
            responders=prompt.responders,
            allow_self=prompt.allow_self,
            started_by=run["trigger"]["actor"],
        )
        if answer.status_code == 200:
            answered = next(s for s in answer.json()["steps"] if s["id"] == step["id"])
            assert answered["response"]["answered_by"] == who, answered["response"]
        if not waiting:
            assert answer.status_code == 409, answer.text
        elif refusal:
            assert answer.status_code in (403, 409), answer.text
            if answer.status_code == 403:
                assert answer.json()["error"]["message"] == refusal
        elif not valid:  # 409: it expired (or was cancelled) in between
            assert answer.status_code in (409, 422), answer.text
        else:
            assert answer.status_code in (200, 409), answer.text

    @rule(run_id=runs)
    def cancel(self, run_id: str) -> None:
        if not run_id or run_id in self.deleted:
            return
        before = RunStatus(self._get(f"/runs/{run_id}").json()["status"])
        answer = self._call("POST", f"/runs/{run_id}/cancel")
        if before.is_terminal and before is not RunStatus.CANCELLED:
            assert answer.status_code == 409
        elif answer.status_code == 200:
            assert answer.json()["status"] == "cancelled"
        else:
            assert answer.status_code == 409  # it finished on its own in between

    @rule(run_id=runs)
    def delete(self, run_id: str) -> None:
        if not run_id or run_id in self.deleted:
            return
        answer = self._call("DELETE", f"/runs/{run_id}")
        assert answer.status_code in (204, 409)
        if answer.status_code == 204:
            self.deleted.add(run_id)

    @invariant()
    def every_transition_is_legal(self) -> None:
        more = True
        while more:
            page = self._get("/runs/changes", params={"cursor": self.cursor, "limit": 500}).json()
            for summary in page["changes"]:
                _check_chain(self._get(f"/runs/{summary['id']}"))
            self.cursor, more = page["next_cursor"], page["has_more"]


def _answer(prompt: Prompt | None, valid: bool) -> dict[str, Any]:
    """A body the prompt accepts (typed fields: a value for each, checked by the shared rule),
    or one it refuses: a value out of its choices, an empty answer, a field it does not have."""
    if prompt is None:
        return {"value": "looked fine"}
    if prompt.fields:
        if not valid:
            return {"values": {"no_such_field": "x"}}
        values = {field.name: _sample(field) for field in prompt.fields}
        check_answer(prompt.fields, values)  # the machine itself must send a valid answer
        return {"values": values}
    allowed = prompt.allowed_values()
    if valid:
        return {"value": allowed[0] if allowed else "looked fine"}
    return {"value": NOT_ALLOWED if allowed else ""}


def _sample(field: PromptField) -> Any:
    if field.default is not None:
        return field.default
    if field.type in (FieldType.CHOICE, FieldType.CHOICES):
        return field.choices[0] if field.type is FieldType.CHOICE else field.choices[:1]
    if field.type in (FieldType.INTEGER, FieldType.NUMBER):
        return field.minimum if field.minimum is not None else 1
    if field.type is FieldType.BOOLEAN:
        return True
    if field.pattern is not None:
        return next(v for v in ("INC-1042", "x") if re.fullmatch(field.pattern, v))
    return "looked fine"


def _check_one_outcome_per_asking(run: dict[str, Any]) -> None:
    """Each asking ends once: a person's answer or its deadline, never both (the system's
    answer at an `on_expiry = default` deadline is the deadline's, not a second outcome)."""
    for step_id in {e["step_id"] for e in run["events"] if e["type"] == "input_requested"}:
        of_step = [e for e in run["events"] if e["step_id"] == step_id]
        asked = sum(1 for e in of_step if e["type"] == "input_requested")
        answered = sum(
            1 for e in of_step if e["type"] == "input_received" and not e["data"].get("expired")
        )
        expired = sum(1 for e in of_step if e["type"] == "input_expired")
        assert answered + expired <= asked, f"{run['id']} {step_id}: {answered} + {expired}"


def _check_chain(answer: httpx.Response) -> None:
    if answer.status_code == 404:
        return  # deleted after the page was read
    run = answer.json()
    kind = RunKind(run["kind"])
    current = RunStatus.PENDING
    _check_no_step_twice(run)
    _check_one_outcome_per_asking(run)
    for evt in run["events"]:
        if evt["type"] != "status_changed":
            continue
        source, target = RunStatus(evt["data"]["from"]), RunStatus(evt["data"]["to"])
        assert source is current, f"{run['id']}: chain broken at {source} (was {current})"
        assert is_legal(kind, source, target), (
            f"{run['id']}: illegal {source.label} → {target.label}"
        )
        current = target
    assert RunStatus(run["status"]) is current


def _check_no_step_twice(run: dict[str, Any]) -> None:
    """Each step starts once (a re-run after a takeover says so) and finishes once."""
    for kind in ("step_started", "step_finished"):
        steps = [
            e["step_id"] for e in run["events"] if e["type"] == kind and not e["data"].get("rerun")
        ]
        assert len(steps) == len(set(steps)), f"{run['id']}: a step has two {kind} events: {steps}"


def test_random_api_actions_only_take_legal_transitions(
    demo_backend: tuple[EmbeddedBackend, FakeClock],
) -> None:
    _run_machine([demo_backend])


@pytest.mark.postgres
def test_random_api_actions_spread_over_two_replicas_only_take_legal_transitions(
    two_replicas: list[tuple[EmbeddedBackend, FakeClock]],
) -> None:
    _run_machine(two_replicas)


def _run_machine(backends: list[tuple[EmbeddedBackend, FakeClock]]) -> None:
    run_state_machine_as_test(
        lambda: LifecycleMachine(backends),
        settings=settings(
            max_examples=6,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the backend keeps state
        ),
    )
