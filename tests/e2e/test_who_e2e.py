"""Who did what, as operators meet it (issue 13): the real dashboard in tmux at 80×24 and the
real CLI, each operator with a token of their own; the backend's record and audit log checked.
The name an operator's client claims (RUNS_TUI_ACTOR) is not who the backend records."""

from __future__ import annotations

import json
from typing import Any

from .backend_process import BackendProcess, waiting, waiting_step
from .conftest import CliRunner, TerminalFactory


def _audit(cli: CliRunner) -> list[dict[str, Any]]:
    listed = cli("audit", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout)["entries"])


def _approval(e2e_backend: BackendProcess) -> str:
    return e2e_backend.start("guides", "change-approval", service="orders-api")


def test_a_dashboard_answer_is_recorded_as_the_token_s_identity_and_audited(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    step = waiting_step(e2e_backend.wait_for_run(run_id, waiting))
    term = terminal(no_color=True, env={"RUNS_TUI_ACTOR": "mallory"})  # claims another name
    term.wait_for("On-call handover")
    term.send("a")
    term.wait_for("▸ Done")
    term.send("Enter")
    term.wait_for("Answer sent.")
    detail = e2e_backend.wait_for_run(
        run_id, lambda d: any(e["type"] == "input_received" for e in d["events"])
    )
    answered = next(s for s in detail["steps"] if s["id"] == step["id"])
    assert answered["response"]["answered_by"] == "e2e-operator"
    assert answered["response"]["client"] == "dashboard"
    cancelled = cli("runs", "cancel", run_id, "--yes")
    assert cancelled.returncode == 0, cancelled.stderr
    entries = [(e["action"], e["actor"], e["client"], e["run_id"]) for e in _audit(cli)]
    assert entries == [
        ("answer", "e2e-operator", "dashboard", run_id),
        ("cancel", "cli-oncall", "cli", run_id),
    ]
    assert _audit(cli)[0]["details"]["declared_by"] == "mallory"


def test_the_cli_refuses_a_prompt_its_identity_may_not_answer_exit_10(
    e2e_backend: BackendProcess, cli: CliRunner
) -> None:
    run_id = _approval(e2e_backend)
    before = e2e_backend.wait_for_run(run_id, waiting)
    refused = cli("runs", "respond", run_id, "--value", "done")
    assert refused.returncode == 10, refused.stderr
    assert "only group:dba, alice@example.com may answer this step" in refused.stderr
    after = e2e_backend.run(run_id)
    assert after["version"] == before["version"] and after["events"] == before["events"]
    assert _audit(cli) == []
    who = cli("whoami")
    assert who.returncode == 0 and who.stdout == "cli-oncall\toncall\n", who.stderr


def test_enter_on_a_prompt_another_answered_meanwhile_names_the_real_answerer(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    """The operator looks at the DBA review; bob (a DBA, claiming to be "alice") answers it from
    the CLI; the operator's Enter records nothing and the dashboard names bob, the token's
    identity, not the claimed name."""
    run_id = _approval(e2e_backend)
    first = waiting_step(e2e_backend.wait_for_run(run_id, waiting))
    term = terminal(no_color=True, actor="e2e-lead")
    term.wait_for("Approve a schema")
    term.send("a")
    term.wait_for("DBA review")
    answered = cli(
        "runs", "respond", run_id, "--value", "done", actor="bob", RUNS_TUI_ACTOR="alice"
    )
    assert answered.returncode == 0, answered.stderr
    term.wait_for("bob answered ‘done’")
    term.send("Enter")
    detail = e2e_backend.wait_for_run(
        run_id, lambda d: waiting(d) and waiting_step(d)["id"] != first["id"]
    )
    received = [e["data"]["answered_by"] for e in detail["events"] if e["type"] == "input_received"]
    assert received == ["bob"]
    (entry,) = _audit(cli)
    assert (entry["actor"], entry["details"].get("declared_by")) == ("bob", "alice")


def test_a_dashboard_answer_the_rules_refuse_is_not_recorded(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    run_id = _approval(e2e_backend)
    before = e2e_backend.wait_for_run(run_id, waiting)
    term = terminal(no_color=True)  # e2e-operator: on call, not a DBA
    term.wait_for("Approve a schema")
    term.send("a")
    term.wait_for("DBA review")
    # Said before typing, in the backend's words (the dashboard knows its token's identity):
    term.wait_for("You may not answer this step: only group:dba, alice@example.com")
    term.send("Enter")  # the prompt is not armed: nothing is sent
    term.send("a")
    term.wait_for("You may not answer this step")
    after = e2e_backend.run(run_id)
    assert after["version"] == before["version"] and after["events"] == before["events"]
    assert _audit(cli) == []
