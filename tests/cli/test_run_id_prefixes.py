"""Every command that takes a run id takes a unique prefix of at least 4 characters (issue 9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cli.conftest import CliRunner, api, start_guide, wait_for, waiting
from runs_tui.cli import ExitCode
from runs_tui.models.domain import RunDetail
from runs_tui.models.status import RunStatus


@pytest.fixture
def twins(remote: Any, make_run: Callable[..., RunDetail]) -> dict[str, RunDetail]:
    """Two finished runs sharing the prefix `beef`, one alone under `cafe`."""
    runs = {
        "beef1": make_run(id="beef1111aaaa", name="First twin", status=RunStatus.COMPLETED_SUCCESS),
        "beef2": make_run(
            id="beef2222bbbb", name="Second twin", status=RunStatus.COMPLETED_FAILURE
        ),
        "cafe": make_run(id="cafe3333cccc", name="Alone", status=RunStatus.COMPLETED_SUCCESS),
    }
    for run in runs.values():
        remote.store.insert_run(run, [])
    return runs


def test_show_export_watch_and_delete_take_a_unique_prefix(
    cli: CliRunner, twins: dict[str, RunDetail]
) -> None:
    shown = cli("runs", "show", "cafe")
    assert shown.code == 0, shown.err
    assert "id:        cafe3333cccc" in shown.out
    assert '"id": "beef2222bbbb"' in cli("runs", "export", "beef2", "--format", "json").out
    assert cli("runs", "watch", "cafe3").code == 0
    deleted = cli("runs", "delete", "beef1", "cafe", "--yes")
    assert deleted.code == 0, deleted.err
    assert deleted.out == "beef1111aaaa\tdeleted\ncafe3333cccc\tdeleted\n"


def test_an_ambiguous_prefix_lists_the_candidates_and_exits_9(
    cli: CliRunner, twins: dict[str, RunDetail], remote: Any
) -> None:
    for argv in (
        ("runs", "show", "beef"),
        ("runs", "cancel", "beef", "--yes"),
        ("runs", "delete", "beef", "--yes"),
        ("runs", "rerun", "beef"),
        ("runs", "export", "beef", "--format", "csv"),
    ):
        result = cli(*argv)
        assert result.code == ExitCode.AMBIGUOUS, (argv, result.err)
        assert "beef1111aaaa (First twin, Completed Success)" in result.err
        assert "beef2222bbbb (Second twin, Completed Failure)" in result.err
        assert result.out == ""
    kept = {run["id"] for run in api(remote, "GET", "/runs", params={"limit": 500}).json()["runs"]}
    assert {"beef1111aaaa", "beef2222bbbb"} <= kept  # nothing was deleted on a guess


def test_a_short_prefix_or_no_match_is_not_found(
    cli: CliRunner, twins: dict[str, RunDetail]
) -> None:
    short = cli("runs", "show", "caf")
    assert short.code == ExitCode.NOT_FOUND and "at least 4 characters" in short.err
    missing = cli("runs", "show", "dead")
    assert missing.code == ExitCode.NOT_FOUND and "'dead'" in missing.err


def test_a_run_created_elsewhere_since_the_last_sync_is_found_by_prefix(
    cli: CliRunner, remote: Any, make_run: Callable[..., RunDetail]
) -> None:
    assert cli("sync").code == 0
    remote.store.insert_run(make_run(id="f00d4444dddd", name="Started by someone else"), [])
    assert (
        cli("runs", "show", "f00d", "--offline").code == ExitCode.NOT_FOUND
    )  # the cache alone does not know it
    shown = cli("runs", "show", "f00d")
    assert shown.code == 0, shown.err
    assert "Started by someone else" in shown.out


def test_respond_cancel_and_rerun_take_a_prefix_of_a_live_run(cli: CliRunner, remote: Any) -> None:
    run_id = start_guide(remote)
    wait_for(remote, run_id, waiting)
    answered = cli("runs", "respond", run_id[:6], "--value", "done")
    assert answered.code == 0, answered.err
    assert answered.out.startswith(run_id + "\t")
    rerun = cli("runs", "rerun", run_id[:6])
    assert rerun.code == 0, rerun.err
    cancelled = cli("runs", "cancel", run_id[:6], "--yes")
    assert cancelled.code == 0, cancelled.err
    assert cancelled.out == f"{run_id}\tCancelled\n"


def test_cancel_and_rerun_record_the_operator_not_operator(
    cli: CliRunner, remote: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9: a cancel from the CLI was recorded as "operator". Issue 13: it is the identity
    of the operator's own token (RUNS_TUI_ACTOR alone no longer decides it: a name claimed by
    the client is not who acted)."""
    token = remote.team.token("cli-oncall")
    login = cli("login", "--profile", "oncall", "--url", remote.url, stdin=token + "\n")
    assert login.code == 0, login.err
    monkeypatch.setenv("RUNS_TUI_PROFILE", "oncall")
    monkeypatch.setenv("RUNS_TUI_ACTOR", "somebody-else")
    run_id = start_guide(remote)
    rerun = cli("runs", "rerun", run_id)
    assert rerun.code == 0, rerun.err
    assert (
        api(remote, "GET", f"/runs/{rerun.out.strip()}").json()["trigger"]["actor"] == "cli-oncall"
    )
    assert cli("runs", "cancel", run_id[:8], "--yes").code == 0
    record = api(remote, "GET", f"/runs/{run_id}").json()
    assert record["error"] == "cancelled by cli-oncall"
    assert [
        e["data"].get("actor") for e in record["events"] if e["data"].get("to") == "cancelled"
    ] == ["cli-oncall"]
