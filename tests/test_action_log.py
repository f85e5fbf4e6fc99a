"""The session's action log: entries newest first, and command lines a shell reads back."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta

from runs_tui.action_log import (
    Action,
    ActionLog,
    Outcome,
    cancel_command,
    delete_command,
    export_command,
    export_list_command,
    rerun_command,
    respond_command,
    shell_line,
)
from runs_tui.cli.parser import parse_args
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.models.status import RunStatus, StatusGroup

T0 = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def test_entries_are_newest_first_and_bounded() -> None:
    times = iter(T0 + timedelta(seconds=n) for n in range(10))
    log = ActionLog(lambda: next(times), limit=3)
    for n in range(5):
        log.record(Action.CANCEL, cancel_command(f"run-{n}"), run_id=f"run-{n}")
    assert [e.run_id for e in log.entries()] == ["run-4", "run-3", "run-2"]
    assert len(log) == 3


def test_refused_entry_says_why() -> None:
    log = ActionLog(lambda: T0)
    entry = log.record(
        Action.ANSWER,
        respond_command("r1", "s1", "approve"),
        Outcome.REFUSED,
        run_id="r1",
        reason="only group:sre may answer this step",
    )
    assert entry.outcome_words == "refused: only group:sre may answer this step"


def test_listeners_see_each_entry_until_unsubscribed() -> None:
    log = ActionLog(lambda: T0)
    seen: list[str] = []
    stop = log.subscribe(lambda entry: seen.append(entry.command))
    log.record(Action.RERUN, rerun_command("r1"))
    stop()
    log.record(Action.RERUN, rerun_command("r2"))
    assert seen == ["runs-tui runs rerun r1"]


def _parsed(line: str):  # the command line as the real CLI parser reads it
    argv = shlex.split(line)
    assert argv[0] == "runs-tui"
    return parse_args(argv[1:])


def test_respond_command_is_what_the_cli_parses_even_with_hostile_text() -> None:
    value = 'it\'s $(rm -rf /) `x` "q" ; | & \n next'
    line = (
        ActionLog(lambda: T0)
        .record(Action.ANSWER, respond_command("r1", "s 1", value, note="n'o"))
        .command
    )
    args = _parsed(line)
    assert (args.run_id, args.step, args.value, args.note) == ("r1", "s 1", value, "n'o")


def test_typed_answer_uses_fields() -> None:
    argv = respond_command(
        "r1", "s1", "", values={"ticket": "OPS-1", "ok": True, "n": 3, "envs": ["a", "b"]}
    )
    assert argv[-8:] == [
        "--field",
        "ticket=OPS-1",
        "--field",
        "ok=true",
        "--field",
        "n=3",
        "--field",
        "envs=a,b",
    ]
    assert "--value" not in argv


def test_cancel_delete_rerun_export_commands_parse() -> None:
    log = ActionLog(lambda: T0)
    args = _parsed(log.record(Action.CANCEL, cancel_command("r1", profile="prod")).command)
    assert (args.run_id, args.yes, args.profile) == ("r1", True, "prod")
    args = _parsed(log.record(Action.BULK_DELETE, delete_command(["a", "b"])).command)
    assert (args.run_ids, args.yes) == (["a", "b"], True)
    args = _parsed(log.record(Action.RERUN, rerun_command("r1")).command)
    assert args.run_id == "r1"
    args = _parsed(log.record(Action.EXPORT, export_command("r1", "csv", "/tmp/a b.csv")).command)
    assert (args.run_id, args.format, str(args.output)) == ("r1", "csv", "/tmp/a b.csv")


def test_export_list_command_selects_the_same_runs() -> None:
    run_filter = RunFilter.for_group(
        StatusGroup.FAILED, time=TimeRange(TimePreset.LAST_7D), name="disk's"
    )
    args = _parsed(shell_line(export_list_command(run_filter, "json", "/tmp/x.json")))
    assert frozenset().union(*args.status) == StatusGroup.FAILED.statuses
    assert (args.since, args.name, args.type, args.format) == ("7d", "disk's", "all", "json")
    odd = RunFilter(
        statuses=frozenset({RunStatus.CANCELLED, RunStatus.NO_STEPS}),
        time=TimeRange(TimePreset.CUSTOM, T0, T0 + timedelta(days=1)),
    )
    args = _parsed(shell_line(export_list_command(odd, "csv", "x.csv")))
    assert frozenset().union(*args.status) == odd.statuses
    assert (args.time_from, args.time_to) == (T0, T0 + timedelta(days=1))
