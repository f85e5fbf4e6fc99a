"""`runs-tui inbox` against the real backend: what waits, in order, as a table and as JSON."""

from __future__ import annotations

import json
from typing import Any

from cli.conftest import CliRunner, api, start_guide, wait_for, waiting
from runs_tui.cli import ExitCode


def test_inbox_lists_waiting_steps_as_table_and_json(cli: CliRunner, remote: Any) -> None:
    first = start_guide(remote, "ann@example.com")
    second = start_guide(remote, "bob@example.com")
    for run_id in (first, second):
        wait_for(remote, run_id, waiting)

    table = cli("inbox")
    assert table.code == ExitCode.OK, table.err
    header, *rows = table.out.splitlines()
    assert header.split()[:3] == ["RUN", "STEP", "QUESTION"]
    assert {row.split()[-1] for row in rows} == {first, second}
    assert all("no deadline" in row and "yes" in row for row in rows)

    listed = cli("inbox", "--format", "json")
    assert listed.code == ExitCode.OK, listed.err
    document = json.loads(listed.out)
    assert document["problems"] == []
    items = document["items"]
    assert {item["run_id"] for item in items} == {first, second}
    detail = wait_for(remote, first, waiting)
    step = next(s for s in detail["steps"] if s["status"] == "waiting_for_input")
    mine = next(item for item in items if item["run_id"] == first)
    assert mine["step_id"] == step["id"]
    assert mine["question"] == step["prompt"]["question"]
    assert mine["prompt_id"] == step["prompt"]["prompt_id"]
    assert mine["fetched"] is True and mine["may_answer"] is True
    assert mine["expires_at"] is None and mine["expires_in_seconds"] is None
    # Oldest waiting first when neither has a deadline.
    assert [item["run_id"] for item in items] == sorted(
        (first, second),
        key=lambda rid: next(i["requested_at"] for i in items if i["run_id"] == rid),
    )

    # Answered: it leaves the inbox.
    assert cli("runs", "respond", first, "--value", "done").code == 0
    after = json.loads(cli("inbox", "--format", "json").out)["items"]
    assert first not in {item["run_id"] for item in after if item["prompt_id"] == mine["prompt_id"]}


def test_inbox_offline_answers_from_the_cache(cli: CliRunner, remote: Any) -> None:
    run_id = start_guide(remote)
    wait_for(remote, run_id, waiting)
    assert cli("inbox").code == 0  # syncs and fetches the detail into the cache
    offline = cli("inbox", "--offline", "--format", "json")
    assert offline.code == ExitCode.OK, offline.err
    assert [item["run_id"] for item in json.loads(offline.out)["items"]] == [run_id]


def test_inbox_says_when_nothing_waits(cli: CliRunner, remote: Any) -> None:
    result = cli("inbox")
    assert result.code == ExitCode.OK
    assert result.out == "" and "nothing waits for input" in result.err


def test_inbox_says_who_may_not_answer_as_the_backend_would(cli: CliRunner, remote: Any) -> None:
    """The first step of the demo's change approval is for DBAs (or alice): this token's
    identity is neither, so the inbox says `may_answer: false` before anyone tries."""
    started = api(
        remote, "POST", "/guides/change-approval/runs", json={"inputs": {"service": "orders"}}
    )
    assert started.status_code == 201, started.text
    run_id = str(started.json()["id"])
    wait_for(remote, run_id, waiting)
    listed = cli("inbox", "--format", "json")
    assert listed.code == ExitCode.OK, listed.err
    [item] = [i for i in json.loads(listed.out)["items"] if i["run_id"] == run_id]
    assert item["may_answer"] is False
    refused = cli("runs", "respond", run_id, "--value", "done")
    assert refused.code == ExitCode.FORBIDDEN  # and the backend agrees
