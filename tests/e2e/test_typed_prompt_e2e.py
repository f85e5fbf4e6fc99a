"""A typed prompt as an operator meets it: the real dashboard in tmux at 80×24 with NO_COLOR,
the demo's Database failover asking for a ticket, replicas, areas and more. A bad field is
refused at the keyboard (nothing reaches the backend); the corrected answer is recorded field
by field as the person whose token the dashboard holds. And when another operator answers from
the CLI while the first is still typing, the first one's ctrl+s records nothing."""

from __future__ import annotations

from typing import Any

from .backend_process import BackendProcess, waiting, waiting_step
from .conftest import CliRunner, TerminalFactory


def _answers(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["data"] for e in detail["events"] if e["type"] == "input_received"]


def _failover(backend: BackendProcess) -> tuple[str, dict[str, Any]]:
    run_id = backend.start("guides", "database-failover", host="db-replica-01")
    step = waiting_step(backend.wait_for_run(run_id, waiting))
    assert [f["name"] for f in step["prompt"]["fields"]][:3] == ["ticket", "replicas", "areas"]
    return run_id, step


def test_a_bad_field_is_refused_at_the_keyboard_and_the_fixed_answer_is_recorded(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    run_id, step = _failover(e2e_backend)
    term = terminal(no_color=True)
    term.wait_for("Database failover")
    term.send("a")  # answer the waiting run, from the list
    term.wait_for("esc Leave prompt")  # the prompt has the focus
    term.type("42")
    term.wait_for("Incident ticket *       42")
    term.send("C-s")
    term.wait_for("Incident ticket: must match the pattern")
    assert _answers(e2e_backend.run(run_id)) == []  # refused here: nothing was sent

    # The focus is back on the ticket with its cursor at the end: what is typed now is added.
    # Then, as a person does it, without waiting for the screen: two tabs to the areas and a
    # space to tick the first one (these keys once reached the old focus when read together).
    term.send("BSpace", "BSpace")
    term.type("INC-12")
    term.wait_for("Incident ticket *       INC-12")
    term.type("34")
    term.send_at_once("Tab", "Tab", "Space")
    term.wait_for("[x] checkout")
    term.send("C-s")  # the other fields keep their defaults
    record = e2e_backend.wait_for_run(run_id, lambda d: bool(_answers(d)))
    [answer] = _answers(record)
    assert answer["answered_by"] == "e2e-operator"  # the token's identity
    answered = next(s for s in record["steps"] if s["id"] == step["id"])
    assert answered["response"]["values"] == {
        "ticket": "INC-1234",
        "replicas": 2,
        "areas": ["checkout"],
        "page_oncall": False,
    }


def test_an_answer_from_the_cli_while_the_operator_types_is_not_overwritten(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    run_id, step = _failover(e2e_backend)
    term = terminal(no_color=True)
    term.wait_for("Database failover")
    term.send("a")
    term.wait_for("esc Leave prompt")
    term.type("INC-777")
    term.wait_for("INC-777")

    answered = cli("runs", "respond", run_id, "--field", "ticket=INC-9999", "--field", "replicas=3")
    assert answered.returncode == 0, answered.stderr
    term.wait_for("cli-oncall answered")
    term.send("C-s")  # the operator's send, after the other answer
    term.wait_until(lambda screen: "INC-777" in screen, what="the draft, kept in view")
    record = e2e_backend.run(run_id)
    assert [a["answered_by"] for a in _answers(record)] == ["cli-oncall"]
    answered_step = next(s for s in record["steps"] if s["id"] == step["id"])
    assert answered_step["response"]["values"]["ticket"] == "INC-9999"
