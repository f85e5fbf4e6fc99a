"""`runs-tui runs diff A B`: exit 0 same, 1 different, and the CLI's error codes; against the
real backend over loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cli.conftest import CliRunner
from runs_tui.cli import ExitCode
from runs_tui.models.domain import (
    AutomationType,
    RunDetail,
    Step,
    StepPhase,
    StepStatus,
    ToolInvocation,
)
from runs_tui.models.status import RunStatus

NOW = datetime.now(UTC)


def _steps(output: str, status: StepStatus = StepStatus.SUCCEEDED) -> list[Step]:
    start = NOW - timedelta(minutes=30)
    return [
        Step(
            id="triage-1",
            phase=StepPhase.TRIAGE,
            position=1,
            title="Check disk",
            automation=AutomationType.AUTOMATED,
            status=status,
            started_at=start,
            finished_at=start + timedelta(seconds=3),
            tool=ToolInvocation(tool="df", tool_type="shell", output=output, exit_status=0),
        )
    ]


@pytest.fixture
def runs(remote: Any, make_run: Callable[..., RunDetail]) -> dict[str, RunDetail]:
    """Three runs of one flow: `first` and `same` differ only in ids and times (masked),
    `failed` in a step's status and output and the run's outcome."""
    made = {
        "first": make_run(
            id="cmpa1111aaaa",
            created_at=NOW - timedelta(hours=2),
            steps=_steps(f"checked at {(NOW - timedelta(hours=2)).isoformat()}\n/ 40% used\n"),
            outcome="Logs full",
        ),
        "same": make_run(
            id="cmpb2222bbbb",
            created_at=NOW - timedelta(hours=1),
            steps=_steps(f"checked at {(NOW - timedelta(hours=1)).isoformat()}\n/ 40% used\n"),
            outcome="Logs full",
        ),
        "failed": make_run(
            id="cmpc3333cccc",
            status=RunStatus.COMPLETED_FAILURE,
            created_at=NOW - timedelta(minutes=30),
            steps=_steps("/ 96% used\n", StepStatus.FAILED),
            error="disk full",
        ),
    }
    for run in made.values():
        remote.store.insert_run(run, [])
    return made


def test_runs_that_differ_only_in_masked_text_are_the_same(cli: CliRunner, runs: Any) -> None:
    result = cli("runs", "diff", "cmpa1111aaaa", "cmpb2222bbbb", "--profile", "live")
    assert result.code == ExitCode.OK, result.err
    assert "no differences" in result.out


def test_runs_that_differ_exit_1_and_say_where(cli: CliRunner, runs: Any) -> None:
    result = cli("runs", "diff", "cmpa", "cmpc", "--profile", "live")
    assert result.code == 1, result.err
    assert "first divergence: step “Check disk”: status and output differ" in result.out
    assert "-/ 40% used" in result.out and "+/ 96% used" in result.out
    assert "outcome: Logs full  →  (none)" in result.out
    assert "A: Succeeded, 3s, exit 0" in result.out


def test_json_format_is_the_comparison(cli: CliRunner, runs: Any) -> None:
    result = cli("runs", "diff", "cmpa1111aaaa", "cmpc3333cccc", "--format", "json")
    assert result.code == 1, result.err
    document = json.loads(result.out)
    assert document["same"] is False
    assert document["a"]["id"] == "cmpa1111aaaa" and document["b"]["id"] == "cmpc3333cccc"
    assert document["first_divergence"]["section"] == "steps"
    (step,) = document["steps"]
    assert step["status_differs"] and step["output_differs"]
    same = json.loads(cli("runs", "diff", "cmpa1111aaaa", "cmpb2222bbbb", "--format", "json").out)
    assert same["same"] is True and same["first_divergence"] is None


def test_offline_compares_the_cached_copies(cli: CliRunner, runs: Any) -> None:
    assert cli("runs", "diff", "cmpa1111aaaa", "cmpc3333cccc").code == 1  # fetched and cached
    result = cli("runs", "diff", "cmpa1111aaaa", "cmpc3333cccc", "--offline")
    assert result.code == 1, result.err


def test_a_run_that_does_not_exist_exits_3(cli: CliRunner, runs: Any) -> None:
    result = cli("runs", "diff", "cmpa1111aaaa", "nosuchrun-000")
    assert result.code == ExitCode.NOT_FOUND
    assert "nosuchrun-000" in result.err


def test_a_prefix_matching_several_runs_exits_9(
    cli: CliRunner, remote: Any, make_run: Callable[..., RunDetail]
) -> None:
    for run_id in ("dupe0001", "dupe0002"):
        remote.store.insert_run(make_run(id=run_id), [])
    result = cli("runs", "diff", "dupe0001", "dupe")
    assert result.code == ExitCode.AMBIGUOUS
    assert "dupe0002" in result.err


def test_an_unreachable_backend_exits_5(cli: CliRunner, dirs: Any) -> None:
    login = cli(
        "login",
        "--profile",
        "dead",
        "--url",
        "http://127.0.0.1:9",
        "--no-verify",
        stdin="dead-token-0123456789abcdef\n",
    )
    assert login.code == 0, login.err
    result = cli("runs", "diff", "aaaa1111", "bbbb2222", "--profile", "dead")
    assert result.code == ExitCode.UNREACHABLE, result.err


def test_a_missing_argument_is_a_usage_error(cli: CliRunner, runs: Any) -> None:
    assert cli("runs", "diff", "cmpa1111aaaa").code == ExitCode.USAGE


def test_hostile_text_never_reaches_the_terminal(
    cli: CliRunner, remote: Any, make_run: Callable[..., RunDetail]
) -> None:
    """Escape sequences in step titles and tool output arrive as pictures (text) or as JSON
    escapes (json): a diff of someone's output cannot drive the operator's terminal."""
    hostile = "\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b31m"
    for run_id, output in (("hostile01", "ok\n"), ("hostile02", hostile + "\n")):
        steps = _steps(output)
        steps[0] = steps[0].model_copy(update={"title": "Check " + hostile})
        remote.store.insert_run(make_run(id=run_id, steps=steps), [])
    text = cli("runs", "diff", "hostile01", "hostile02")
    assert text.code == 1, text.err
    document = cli("runs", "diff", "hostile01", "hostile02", "--format", "json")
    assert document.code == 1
    for out in (text.out, document.out):
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert json.loads(document.out)["steps"][0]["a"]["title"] == "Check " + hostile


def test_the_profiles_compare_masks_are_used(
    cli: CliRunner, remote: Any, make_run: Callable[..., RunDetail], config_file: Any
) -> None:
    """`compare_masks` add patterns to the built-in masks: a build number that differs on
    every run is then no difference."""
    for run_id, build in (("build0001", "build-17"), ("build0002", "build-18")):
        remote.store.insert_run(make_run(id=run_id, steps=_steps(f"{build} ok\n")), [])
    assert cli("runs", "diff", "build0001", "build0002").code == 1
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(
        text.replace("[profiles.live]", "[profiles.live]\ncompare_masks = ['build-\\d+']"),
        encoding="utf-8",
    )
    same = cli("runs", "diff", "build0001", "build0002", "--format", "json")
    assert same.code == 0, same.err
    assert json.loads(same.out)["masks"][-1] == {"pattern": "build-\\d+", "placeholder": "<masked>"}
    config_file.write_text(
        text.replace("[profiles.live]", "[profiles.live]\ncompare_masks = ['(unclosed']"),
        encoding="utf-8",
    )
    refused = cli("runs", "diff", "build0001", "build0002")
    assert refused.code == ExitCode.USAGE
    assert "compare_masks" in refused.err and "not a regular expression" in refused.err
