"""Every `runs-tui runs ...` command and `runs-tui sync`, in-process, against the real backend."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ui.detail_fixtures import two_waiting_detail

from cli.conftest import CliRunner, api, start_guide, wait_for, waiting
from runs_tui.cli import ExitCode
from runs_tui.models.domain import (
    AutomationType,
    RunDetail,
    Step,
    StepPhase,
    StepStatus,
    ToolInvocation,
    Trigger,
    TriggerKind,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

NOW = datetime.now(UTC)


@pytest.fixture
def history(remote: Any, make_run: Callable[..., RunDetail]) -> dict[str, RunDetail]:
    """Finished runs stored straight into the backend: known names, kinds, times, statuses."""
    step = Step(
        id="s1",
        phase=StepPhase.TRIAGE,
        position=1,
        title="Check disk",
        automation=AutomationType.AUTOMATED,
        status=StepStatus.FAILED,
        tool=ToolInvocation(
            tool="df", tool_type="shell", input={"path": "/"}, output="=1+1 disk full"
        ),
    )
    runs = {
        "ok": make_run(
            id="run-ok",
            status=RunStatus.COMPLETED_SUCCESS,
            created_at=NOW - timedelta(hours=1),
            started_at=NOW - timedelta(hours=1),
            finished_at=NOW - timedelta(minutes=58),
            trigger=Trigger(kind=TriggerKind.CHAT, actor="ann"),
        ),
        "failed": make_run(
            id="run-failed",
            name="Disk pressure",
            status=RunStatus.COMPLETED_FAILURE,
            created_at=NOW - timedelta(hours=3),
            started_at=NOW - timedelta(hours=3),
            steps=[step],
            root_cause="disk full",
            summary="+cleanup needed",
        ),
        "old_guide": make_run(
            id="run-old-guide",
            kind=RunKind.GUIDE,
            name="On-call handover",
            status=RunStatus.CANCELLED,
            created_at=NOW - timedelta(days=10),
        ),
    }
    for run in runs.values():
        remote.store.insert_run(run, [])
    return runs


def listed_ids(result_out: str) -> list[str]:
    return [run["id"] for run in json.loads(result_out)["runs"]]


def test_sync_reports_what_it_brought(cli: CliRunner, history: dict[str, RunDetail]) -> None:
    result = cli("sync")
    assert result.code == 0 and result.out.startswith("synced live:")


def test_list_formats(cli: CliRunner, history: dict[str, RunDetail]) -> None:
    table = cli("runs", "list", "--since", "all")
    assert table.code == 0, table.err
    header, *rows = table.out.splitlines()
    assert header.split() == ["NAME", "STATUS", "STARTED", "DURATION", "TRIGGER", "ID"]
    assert any("Completed Failure" in row and "run-failed" in row for row in rows)
    assert any("chat: ann" in row and "2m00s" in row for row in rows)
    as_json = cli("runs", "list", "--since", "all", "--format", "json")
    assert {"run-ok", "run-failed", "run-old-guide"} <= set(listed_ids(as_json.out))
    as_csv = cli("runs", "list", "--since", "all", "--format", "csv", "--limit", "2")
    assert len(list(csv.DictReader(io.StringIO(as_csv.out)))) == 2


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--status", "failed"), {"run-failed"}),
        (
            ("--status", "Completed Success", "--status", "cancelled", "--since", "all"),
            {"run-ok", "run-old-guide"},
        ),
        (("--status", "Completed Success", "--status", "cancelled"), {"run-ok"}),
        (("--type", "guide", "--status", "completed", "--since", "30d"), {"run-old-guide"}),
        (("--since", "24h", "--status", "completed"), {"run-ok", "run-failed"}),
        (("--name", "pressure"), {"run-failed"}),
        (
            (
                "--from",
                (NOW - timedelta(days=11)).isoformat(),
                "--to",
                (NOW - timedelta(days=9)).isoformat(),
            ),
            {"run-old-guide"},
        ),
    ],
)
def test_list_filters(
    cli: CliRunner, history: dict[str, RunDetail], options: tuple[str, ...], expected: set[str]
) -> None:
    result = cli("runs", "list", "--format", "json", *options)
    assert result.code == 0, result.err
    assert set(listed_ids(result.out)) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--from", "last tuesday"), "not an ISO 8601"),
        (("--status", "exploded"), "neither a status group"),
        (("--since", "1y"), "invalid choice"),
        (("--since", "7d", "--from", "2026-01-01"), "--since cannot be combined"),
        (("--from", "2026-02-01", "--to", "2026-01-01"), "--from must be before --to"),
        (("--limit", "0"), "positive"),
    ],
)
def test_bad_filters_exit_2_with_a_clear_message(
    cli: CliRunner, remote: Any, options: tuple[str, ...], message: str
) -> None:
    result = cli("runs", "list", *options)
    assert result.code == ExitCode.USAGE and message in result.err and result.out == ""


def test_list_answers_from_the_cache_when_the_backend_is_gone(
    cli: CliRunner, history: dict[str, RunDetail], remote: Any
) -> None:
    assert cli("sync").code == 0
    remote.stop()
    result = cli("runs", "list", "--since", "all", "--format", "json")
    assert result.code == 0 and "run-failed" in listed_ids(result.out)
    assert "could not sync" in result.err and "answering from the cache" in result.err
    offline = cli("runs", "list", "--since", "all", "--format", "json", "--offline")
    assert offline.code == 0 and offline.err == "" and "run-failed" in listed_ids(offline.out)
    assert cli("sync").code == ExitCode.UNREACHABLE


def test_a_wrong_token_exits_6(
    cli: CliRunner, remote: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNS_TUI_TOKEN", "not-the-token")
    result = cli("sync")
    assert result.code == ExitCode.UNAUTHORIZED and "unauthorized" in result.err


def test_show_text_and_json(cli: CliRunner, history: dict[str, RunDetail]) -> None:
    text = cli("runs", "show", "run-failed")
    assert text.code == 0, text.err
    assert "Disk pressure  [Completed Failure]" in text.out and "root cause: disk full" in text.out
    assert "[Failed] Check disk" in text.out
    as_json = json.loads(cli("runs", "show", "run-failed", "--format", "json").out)
    assert as_json["run"]["steps"][0]["tool"]["output"] == "=1+1 disk full"
    missing = cli("runs", "show", "no-such-run")
    assert missing.code == ExitCode.NOT_FOUND and missing.out == ""


def test_show_offline_uses_the_cached_detail(
    cli: CliRunner, history: dict[str, RunDetail], remote: Any
) -> None:
    assert cli("runs", "show", "run-ok").code == 0
    remote.stop()
    offline = cli("runs", "show", "run-ok", "--offline")
    assert offline.code == 0 and "[Completed Success]" in offline.out
    fallback = cli("runs", "show", "run-ok")
    assert fallback.code == 0 and "showing the cached copy" in fallback.err
    assert cli("runs", "show", "never-fetched", "--offline").code == ExitCode.NOT_FOUND


def test_export_to_stdout_and_to_files_byte_identical(
    cli: CliRunner, history: dict[str, RunDetail], tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    stdout_csv = cli("runs", "export", "run-failed", "--format", "csv")
    assert stdout_csv.code == 0 and "'=1+1 disk full" in stdout_csv.out
    first = cli("runs", "export", "run-failed", "--format", "json", "-o", str(out_dir))
    assert first.code == 0 and first.out == ""
    written = out_dir / "run-run-failed.json"
    content = written.read_bytes()
    assert (
        cli(
            "runs", "export", "run-failed", "--format", "json", "-o", str(out_dir), "--offline"
        ).code
        == 0
    )
    assert written.read_bytes() == content
    assert json.loads(content)["run"]["root_cause"] == "disk full"
    named = tmp_path / "chosen.csv"
    assert cli("runs", "export", "run-failed", "--format", "csv", "-o", str(named)).code == 0
    assert named.read_bytes().decode() == stdout_csv.out
    assert sorted(p.name for p in out_dir.iterdir()) == ["run-run-failed.json"]


def test_export_list_byte_identical_from_the_same_cache(
    cli: CliRunner, history: dict[str, RunDetail], tmp_path: Path
) -> None:
    target = tmp_path / "runs.csv"
    options = (
        "runs",
        "export-list",
        "--from",
        "2020-01-01",
        "--to",
        NOW.isoformat(),
        "--format",
        "csv",
    )
    assert cli(*options, "-o", str(target)).code == 0
    first = target.read_bytes()
    assert cli(*options, "-o", str(target), "--offline").code == 0
    assert target.read_bytes() == first
    rows = list(csv.DictReader(io.StringIO(first.decode(), newline="")))
    assert {row["run_id"] for row in rows} >= {"run-ok", "run-failed", "run-old-guide"}
    assert first.count(b"\r\n") == len(rows) + 1
    as_json = cli("runs", "export-list", "--status", "failed", "--since", "all", "--format", "json")
    assert listed_ids(as_json.out) == ["run-failed"]


def test_respond_answers_the_waiting_step_and_explains_refusals(
    cli: CliRunner, remote: Any
) -> None:
    run_id = start_guide(remote)
    wait_for(remote, run_id, waiting)
    answered = cli("runs", "respond", run_id, "--value", "done", "--note", "all acked")
    assert answered.code == 0, answered.err
    assert answered.out.startswith(run_id + "\t")
    detail = wait_for(remote, run_id, lambda d: d["steps"][2]["status"] == "waiting_for_input")
    assert detail["steps"][1]["response"]["note"] == "all acked"
    again = cli("runs", "respond", run_id, "--step", "procedure-2", "--value", "done")
    assert again.code == ExitCode.CONFLICT, again.err
    invalid = cli("runs", "respond", run_id, "--value", "maybe")
    assert invalid.code == ExitCode.INVALID, invalid.err
    assert (
        cli("runs", "respond", "no-such-run", "--step", "x", "--value", "done").code
        == ExitCode.NOT_FOUND
    )


def test_respond_binds_the_answer_to_the_prompt_it_fetched(cli: CliRunner, remote: Any) -> None:
    """The CLI echoes the prompt id of the step it fetched; the record shows it, so the answer
    went to the asking the operator was told about (and a stale one would have been a 409)."""
    run_id = start_guide(remote)
    before = wait_for(remote, run_id, waiting)
    asked = [e for e in before["events"] if e["type"] == "input_requested"][-1]
    assert asked["data"]["prompt_id"]
    assert cli("runs", "respond", run_id, "--value", "done").code == 0
    detail = wait_for(
        remote, run_id, lambda d: any(e["type"] == "input_received" for e in d["events"])
    )
    received = next(e for e in detail["events"] if e["type"] == "input_received")
    assert received["step_id"] == asked["step_id"]
    assert received["data"]["prompt_id"] == asked["data"]["prompt_id"]


def test_respond_answers_the_step_the_dashboard_shows_when_two_wait(
    cli: CliRunner, remote: Any
) -> None:
    """s3 and s4 both wait, the pointer names s4: the CLI answers s4, as the dashboard does
    (tests/ui/test_one_step_rule.py); the first waiting step, s3's confirm, would refuse
    "done" as invalid."""
    remote.store.insert_run(two_waiting_detail(), [])
    result = cli("runs", "respond", "run-two-waiting", "--value", "done")
    assert result.code == 0, result.err
    steps = {s.id: s for s in remote.store.get_run("run-two-waiting").steps}
    assert steps["s3"].response is None
    assert steps["s4"].response is not None and steps["s4"].response.value == "done"


def test_respond_to_a_run_that_is_not_waiting_is_a_conflict(
    cli: CliRunner, history: dict[str, RunDetail]
) -> None:
    result = cli("runs", "respond", "run-ok", "--value", "done")
    assert result.code == ExitCode.CONFLICT and "not waiting for input" in result.err


def test_cancel_needs_yes_without_a_terminal_and_refuses_finished_runs(
    cli: CliRunner, history: dict[str, RunDetail], remote: Any
) -> None:
    run_id = start_guide(remote)
    refused = cli("runs", "cancel", run_id)
    assert refused.code == ExitCode.USAGE and "--yes" in refused.err
    cancelled = cli("runs", "cancel", run_id, "--yes")
    assert cancelled.code == 0 and cancelled.out == f"{run_id}\tCancelled\n"
    finished = cli("runs", "cancel", "run-ok", "--yes")
    assert finished.code == ExitCode.CONFLICT and finished.out == ""


def test_delete_removes_finished_runs_and_refuses_active_ones(
    cli: CliRunner, history: dict[str, RunDetail], remote: Any
) -> None:
    active = start_guide(remote)
    assert cli("runs", "delete", "run-ok").code == ExitCode.USAGE
    result = cli("runs", "delete", "run-ok", "run-old-guide", "--yes")
    assert result.code == 0 and result.out == "run-ok\tdeleted\nrun-old-guide\tdeleted\n"
    assert set(
        listed_ids(cli("runs", "list", "--since", "all", "--format", "json").out)
    ).isdisjoint({"run-ok", "run-old-guide"})
    refused = cli("runs", "delete", active, "--yes")
    assert refused.code == ExitCode.CONFLICT and active in refused.err


def test_rerun_starts_the_same_definition_with_the_same_inputs(cli: CliRunner, remote: Any) -> None:
    original = start_guide(remote, engineer="bob@example.com")
    result = cli("runs", "rerun", original)
    assert result.code == 0, result.err
    new_id = result.out.strip()
    assert new_id != original
    detail = api(remote, "GET", f"/runs/{new_id}").json()
    assert (
        detail["definition_id"] == "on-call-handover"
        and detail["inputs"]["engineer"] == "bob@example.com"
    )
    assert cli("runs", "rerun", "no-such-run").code == ExitCode.NOT_FOUND


def test_watch_a_finished_run_with_exit_status(
    cli: CliRunner, history: dict[str, RunDetail]
) -> None:
    ok = cli("runs", "watch", "run-ok", "--exit-status")
    assert ok.code == 0 and "status: Completed Success" in ok.out
    failed = cli("runs", "watch", "run-failed", "--exit-status")
    assert failed.code == ExitCode.NOT_SUCCEEDED and "root cause: disk full" in failed.out
    assert cli("runs", "watch", "run-failed").code == 0
    assert cli("runs", "watch", "no-such-run").code == ExitCode.NOT_FOUND
