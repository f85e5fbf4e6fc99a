"""`runs respond --field/--json` and `runs show` on a typed prompt, against the real backend
(demo guide `database-failover`): a wrong value is caught before sending (exit 7, the field
named, nothing on the record), a right one is recorded as typed values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli.conftest import CliRunner, api, wait_for, waiting
from runs_tui.cli import ExitCode

FAILOVER = "database-failover"


def start_failover(backend: Any) -> str:
    response = api(backend, "POST", f"/guides/{FAILOVER}/runs", json={"inputs": {}})
    assert response.status_code == 201, response.text
    run_id = str(response.json()["id"])
    wait_for(backend, run_id, waiting)
    return run_id


def _answers(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["data"] for e in detail["events"] if e["type"] == "input_received"]


def test_show_prints_the_fields_the_deadline_and_the_description(
    cli: CliRunner, remote: Any
) -> None:
    run_id = start_failover(remote)
    shown = cli("runs", "show", run_id)
    assert shown.code == 0, shown.err
    out = shown.out
    assert "waiting for input: Fail over db-prod-01 to a replica?" in out
    assert "| Read the replicas' lag in “Check the replicas” first." in out
    assert "deadline: " in out and "(then: fail)" in out
    assert "field ticket “Incident ticket” (text, required, pattern INC-[0-9]{3,6})" in out
    assert "field replicas “Replicas to keep” (integer, required, range 1..5, default 2)" in out
    assert "field page_oncall “Page on-call” (boolean, required, default no)" in out


def test_an_invalid_field_exits_7_naming_it_and_sends_nothing(cli: CliRunner, remote: Any) -> None:
    run_id = start_failover(remote)
    cases = [
        (["--field", "ticket=CHG-1"], "invalid answer: ticket: must match the pattern"),
        (["--field", "ticket=INC-123", "--field", "replicas=9"], "replicas: at most 5"),
        (["--field", "ticket=INC-123", "--field", "areas=checkout,mars"], "areas: 'mars'"),
        (["--field", "ticket=INC-123", "--field", "page_oncall=perhaps"], "page_oncall"),
        (["--field", "replicas=2"], "ticket: an answer is required"),
        (["--field", "ticket=INC-123", "--field", "colour=red"], "colour: this prompt has no"),
    ]
    for options, message in cases:
        result = cli("runs", "respond", run_id, *options)
        assert result.code == ExitCode.INVALID, (options, result.err)
        assert message in result.err, result.err
    detail = api(remote, "GET", f"/runs/{run_id}").json()
    assert _answers(detail) == [] and waiting(detail)


def test_usage_errors_of_the_answer_options(cli: CliRunner, remote: Any) -> None:
    run_id = start_failover(remote)
    one_value = cli("runs", "respond", run_id, "--value", "INC-123")
    assert one_value.code == ExitCode.USAGE and "asks for 5 fields" in one_value.err
    assert cli("runs", "respond", run_id, "--field", "ticket").code == ExitCode.USAGE
    twice = cli("runs", "respond", run_id, "--field", "ticket=INC-123", "--field", "ticket=INC-9")
    assert twice.code == ExitCode.USAGE and "given twice" in twice.err
    not_json = cli("runs", "respond", run_id, "--json", "-", stdin="{nope")
    assert not_json.code == ExitCode.USAGE and "not JSON" in not_json.err
    assert cli("runs", "respond", run_id, "--json", "-", stdin="[1]").code == ExitCode.USAGE


def test_respond_with_fields_records_typed_values(cli: CliRunner, remote: Any) -> None:
    run_id = start_failover(remote)
    result = cli(
        "runs",
        "respond",
        run_id,
        "--field",
        "ticket=INC-4242",
        "--field",
        "replicas=3",
        "--field",
        "areas=search,checkout",
        "--field",
        "page_oncall=yes",
    )
    assert result.code == 0, result.err
    detail = wait_for(remote, run_id, lambda d: d["steps"][2]["status"] == "succeeded")
    response = detail["steps"][1]["response"]
    assert response["values"] == {
        "ticket": "INC-4242",
        "replicas": 3,
        "areas": ["checkout", "search"],
        "page_oncall": True,
    }
    assert (
        response["value"] == "ticket=INC-4242, replicas=3, areas=checkout+search, page_oncall=yes"
    )
    assert "INC-4242" in detail["steps"][2]["tool"]["output"]  # the next tool used the ticket


def test_respond_with_json_from_stdin_or_a_file(
    cli: CliRunner, remote: Any, tmp_path: Path
) -> None:
    run_id = start_failover(remote)
    wrong = cli("runs", "respond", run_id, "--json", "-", stdin='{"ticket": "INC-1"}')
    assert wrong.code == ExitCode.INVALID and "ticket: must match" in wrong.err
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({"ticket": "INC-777", "replicas": 1, "notes": "line 1\nline 2"}))
    assert cli("runs", "respond", run_id, "--json", str(answer)).code == 0
    detail = wait_for(remote, run_id, lambda d: d["steps"][1]["response"] is not None)
    assert detail["steps"][1]["response"]["values"]["notes"] == "line 1\nline 2"
    assert detail["steps"][1]["response"]["values"]["page_oncall"] is False  # the default


def test_answered_by_someone_else_first_is_a_conflict_not_a_second_answer(
    cli: CliRunner, remote: Any
) -> None:
    """A second actor answers through the API after the operator read the prompt: the CLI's
    answer is refused (exit 4), and the record keeps one answer, the first."""
    run_id = start_failover(remote)
    detail = api(remote, "GET", f"/runs/{run_id}").json()
    step = detail["steps"][1]
    first = api(
        remote,
        "POST",
        f"/runs/{run_id}/steps/{step['id']}/response",
        json={
            "values": {"ticket": "INC-100", "replicas": 2},
            "prompt_id": step["prompt"]["prompt_id"],
        },
    )
    assert first.status_code == 200, first.text
    late = cli("runs", "respond", run_id, "--step", step["id"], "--field", "ticket=INC-200")
    assert late.code == ExitCode.CONFLICT, late.err
    after = api(remote, "GET", f"/runs/{run_id}").json()
    assert [a["values"]["ticket"] for a in _answers(after)] == ["INC-100"]


def test_the_backend_refuses_what_the_cli_would_with_the_field_named(remote: Any) -> None:
    """The same rule on the other side: a script that skips the CLI meets a 422 with details."""
    run_id = start_failover(remote)
    step = api(remote, "GET", f"/runs/{run_id}").json()["steps"][1]
    refused = api(
        remote,
        "POST",
        f"/runs/{run_id}/steps/{step['id']}/response",
        json={"values": {"ticket": "INC-100", "replicas": 0}},
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid"
    assert error["details"] == {"field": "replicas", "reason": "at least 1"}
    assert _answers(api(remote, "GET", f"/runs/{run_id}").json()) == []


def test_runs_respond_field_end_to_end_in_a_subprocess(
    cli: CliRunner, remote: Any, dirs: dict[str, Path]
) -> None:
    """As a script runs it: `python -m runs_tui runs respond ID --field …`, exit codes and all."""
    from cli.test_live_and_subprocess import runs_tui, subprocess_env

    run_id = start_failover(remote)
    env = subprocess_env(dirs)
    wrong = runs_tui("runs", "respond", run_id[:8], "--field", "ticket=nope", env=env)
    assert wrong.returncode == ExitCode.INVALID, wrong.stderr
    assert "ticket" in wrong.stderr and wrong.stdout == ""
    right = runs_tui(
        "runs",
        "respond",
        run_id[:8],
        "--field",
        "ticket=INC-9001",
        "--field",
        "replicas=1",
        env=env,
    )
    assert right.returncode == 0, right.stderr
    assert right.stdout.startswith(run_id + "\t")
    detail = wait_for(remote, run_id, lambda d: d["steps"][1]["response"] is not None)
    assert detail["steps"][1]["response"]["values"]["ticket"] == "INC-9001"
    assert [a["values"]["ticket"] for a in _answers(detail)] == ["INC-9001"]


def test_the_answer_hint_names_the_fields_a_script_must_give() -> None:
    """What `runs watch` prints after a waiting step's question."""
    from runs_tui.cli.answers import fields_hint
    from runs_tui.models.domain import Prompt, PromptKind
    from runs_tui.models.prompt_fields import FieldType, PromptField

    typed = Prompt(
        kind=PromptKind.ANSWER,
        question="?",
        fields=[
            PromptField(name="ticket"),
            PromptField(name="replicas", type=FieldType.INTEGER, default=2),
            PromptField(name="notes", required=False),
        ],
    )
    assert fields_hint(typed) == "--field ticket=…"
    assert fields_hint(Prompt(kind=PromptKind.CONFIRM, question="?")) == "--value approve|reject"
    free = Prompt(kind=PromptKind.ANSWER, question="?", allow_free_text=True)
    assert fields_hint(free) == "--value TEXT"
