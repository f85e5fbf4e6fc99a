"""Issue 13 from the command line: `runs respond` says "you may not" (exit 10) before sending,
`runs-tui audit` and `runs-tui whoami` read the backend's record of who did what."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cli.conftest import CliRunner, api, wait_for, waiting
from runs_tui.cli import ExitCode


def as_(backend: Any, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One API call with another person's token (`api` uses the shared one)."""
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, f"{backend.api_url}{path}", headers=headers, timeout=10, **kwargs)


def start_approval(backend: Any, token: str | None = None) -> str:
    answer = as_(
        backend,
        token or backend.token,
        "POST",
        "/guides/change-approval/runs",
        json={"inputs": {"service": "orders-api"}},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def login_as(cli: CliRunner, remote: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    login = cli(
        "login", "--profile", name, "--url", remote.url, stdin=remote.team.token(name) + "\n"
    )
    assert login.code == 0, login.err
    monkeypatch.setenv("RUNS_TUI_PROFILE", name)


def test_respond_exits_10_before_sending_when_the_responders_rule_refuses(
    cli: CliRunner, remote: Any
) -> None:
    run_id = start_approval(remote)
    before = wait_for(remote, run_id, waiting, timeout=30)
    refused = cli("runs", "respond", run_id, "--value", "done")
    assert refused.code == ExitCode.FORBIDDEN == 10, refused.err
    assert "you may not answer: only group:dba, alice@example.com may answer this step" in (
        refused.err
    )
    after = api(remote, "GET", f"/runs/{run_id}").json()
    assert after["version"] == before["version"] and after["events"] == before["events"]
    entries = api(remote, "GET", "/audit").json()["entries"]
    assert entries == []


def test_the_backend_s_403_is_exit_10_too(cli: CliRunner, remote: Any) -> None:
    """A CLI that could not ask /me first still ends with the forbidden code, in the backend's
    words (here: the identity is learnt, so the backend's refusal is checked directly)."""
    run_id = start_approval(remote)
    detail = wait_for(remote, run_id, waiting, timeout=30)
    step = next(s for s in detail["steps"] if s["status"] == "waiting_for_input")
    answer = api(
        remote, "POST", f"/runs/{run_id}/steps/{step['id']}/response", json={"value": "done"}
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["details"] == {"rule": "responders"}


def test_four_eyes_refuses_the_starter_and_lets_another_answer(
    cli: CliRunner, remote: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = start_approval(remote, remote.team.token("ann"))
    detail = wait_for(remote, run_id, waiting, timeout=30)
    step = next(s for s in detail["steps"] if s["status"] == "waiting_for_input")
    dba = as_(  # bob is a DBA
        remote,
        remote.team.token("bob"),
        "POST",
        f"/runs/{run_id}/steps/{step['id']}/response",
        json={"value": "done"},
    )
    assert dba.status_code == 200, dba.text
    wait_for(remote, run_id, lambda d: waiting(d) and d["current_step_id"] != step["id"], 30)
    login_as(cli, remote, "ann", monkeypatch)
    own = cli("runs", "respond", run_id, "--value", "approve")
    assert own.code == ExitCode.FORBIDDEN, own.err
    assert "ann started this run" in own.err
    login_as(cli, remote, "carol", monkeypatch)
    other = cli("runs", "respond", run_id, "--value", "approve")
    assert other.code == 0, other.err
    record = api(remote, "GET", f"/runs/{run_id}").json()
    answers = [e["data"] for e in record["events"] if e["type"] == "audit"]
    assert [(a["actor"], a["client"]) for a in answers] == [("bob", "api"), ("carol", "cli")]


def test_audit_lists_who_did_what_oldest_first(
    cli: CliRunner, remote: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as(cli, remote, "dana-sre", monkeypatch)
    monkeypatch.setenv("RUNS_TUI_ACTOR", "dana-sre")  # the name claimed is the token's own
    run_id = start_approval(remote)
    wait_for(remote, run_id, waiting, timeout=30)
    assert cli("runs", "cancel", run_id, "--yes").code == 0
    rerun = cli("runs", "rerun", run_id)
    assert rerun.code == 0, rerun.err
    assert cli("runs", "delete", run_id, "--yes").code == 0
    table = cli("audit")
    assert table.code == 0, table.err
    header, *rows = table.out.splitlines()
    assert header.split()[:5] == ["SEQ", "TIME", "ACTION", "ACTOR", "CLIENT"]
    assert [row.split()[3:6] for row in rows] == [
        ["cancel", "dana-sre", "cli"],
        ["rerun", "dana-sre", "cli"],
        ["bulk_delete", "dana-sre", "cli"],  # the CLI deletes through the bulk endpoint
    ]
    page = cli("audit", "--since", "1", "--limit", "1", "--format", "json")
    assert page.code == 0, page.err
    document = json.loads(page.out)
    assert [e["action"] for e in document["entries"]] == ["rerun"]
    assert document["entries"][0]["details"] == {"rerun_of": run_id}
    assert document["next_cursor"] == 2
    assert cli("audit", "--since", "-1").code == ExitCode.USAGE


def test_whoami_names_the_token_s_identity(
    cli: CliRunner, remote: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = cli("whoami", "--profile", "live")
    assert shared.code == 0 and shared.out == "operator\tno groups\n", shared.err
    login_as(cli, remote, "bob", monkeypatch)
    bob = cli("whoami")
    assert bob.code == 0 and bob.out == "bob\tdba, oncall\n", bob.err
