"""The token never leaks, and hostile backend text never reaches the terminal as escapes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from exports.hostile import hostile_strings, unsafe_characters

from cli.conftest import SENTINEL_TOKEN, CliRunner, start_guide, wait_for, waiting
from runs_tui import user_dirs
from runs_tui.models.domain import RunDetail, Variable, VariableDirection
from runs_tui.models.status import RunStatus


def every_byte_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_the_token_appears_in_no_output_log_cache_or_export(
    cli: CliRunner,
    remote: Any,
    dirs: dict[str, Path],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    exported = tmp_path / "exports"
    exported.mkdir()
    run_id = start_guide(remote)
    wait_for(remote, run_id, waiting)
    finished = start_guide(remote)
    results = [
        cli("sync"),
        cli("runs", "list", "--format", "table"),
        cli("runs", "list", "--format", "json"),
        cli("runs", "list", "--format", "csv"),
        cli("runs", "show", run_id),
        cli("runs", "show", run_id, "--format", "json"),
        cli("runs", "export", run_id, "--format", "json", "-o", str(exported)),
        cli("runs", "export", run_id, "--format", "csv", "-o", str(exported)),
        cli("runs", "export-list", "--format", "json", "-o", str(exported / "l.json")),
        cli("runs", "export-list", "--format", "csv", "-o", str(exported / "l.csv")),
        cli("runs", "respond", run_id, "--value", "done"),
        cli("runs", "cancel", finished, "--yes"),
        cli("runs", "rerun", finished),
        cli("runs", "watch", finished),
        cli("runs", "delete", finished, "--yes"),
        cli("runs", "cancel", "missing", "--yes"),
        cli("config", "show"),
        cli("config", "path"),
    ]
    assert [r.code for r in results][:15] == [0] * 15, [r.err for r in results]
    for result in results:
        assert SENTINEL_TOKEN not in result.out and SENTINEL_TOKEN not in result.err
    assert SENTINEL_TOKEN not in caplog.text
    assert caplog.records, "the commands are expected to log something at debug level"
    assert SENTINEL_TOKEN.encode() not in every_byte_under(dirs[user_dirs.CACHE_DIR_ENV])
    assert SENTINEL_TOKEN.encode() not in every_byte_under(exported)
    assert len(list(exported.iterdir())) == 4
    # the one place it may rest: the 0600 config file written by `login`
    assert SENTINEL_TOKEN in (dirs[user_dirs.CONFIG_DIR_ENV] / "config.toml").read_text()


_CONTROL = {chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}
_BIDI = {chr(c) for c in [0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


@pytest.fixture
def hostile_runs(remote: Any, make_run: Callable[..., RunDetail]) -> list[str]:
    ids = []
    for index, (_name, value) in enumerate(hostile_strings()):
        short = value[:5000]  # the 1 MiB line is exercised by the export tests
        run = make_run(
            id=f"hostile-{index}",
            name=short,
            status=RunStatus.COMPLETED_FAILURE,
            root_cause=short,
            variables=[Variable(name="v", value=short, direction=VariableDirection.OUTPUT)],
        )
        remote.store.insert_run(run, [])
        ids.append(run.id)
    return ids


def test_hostile_text_is_inert_in_table_and_text_output(
    cli: CliRunner, hostile_runs: list[str]
) -> None:
    table = cli("runs", "list", "--since", "all", "--limit", "500")
    assert table.code == 0, table.err
    outputs = [table.out] + [cli("runs", "show", run_id).out for run_id in hostile_runs]
    for output in outputs:
        assert not (set(output) & (_CONTROL | _BIDI)), (
            "a control or bidi character reached the terminal"
        )
        assert "\x1b" not in output and "\r" not in output
    lines = table.out.split("\n")[1:-1]
    for run_id in hostile_runs:  # no value broke the one-line-per-run layout
        assert sum(line.endswith(f"  {run_id}") for line in lines) == 1


def test_hostile_text_survives_the_json_output_literally(
    cli: CliRunner, hostile_runs: list[str]
) -> None:
    values = dict((f"hostile-{i}", v[:5000]) for i, (_, v) in enumerate(hostile_strings()))
    listed = json.loads(
        cli("runs", "list", "--since", "all", "--limit", "500", "--format", "json").out
    )
    names = {run["id"]: run["name"] for run in listed["runs"] if run["id"].startswith("hostile-")}
    assert names == values


def test_hostile_text_is_inert_in_every_csv_and_json_output_and_file(
    cli: CliRunner, hostile_runs: list[str], tmp_path: Path
) -> None:
    """Issue 9: CSV on stdout passed ESC sequences through, JSON left C1, DEL and bidi raw."""
    listing = ("--since", "all", "--limit", "500")
    outputs = {
        "list csv": cli("runs", "list", *listing, "--format", "csv"),
        "list json": cli("runs", "list", *listing, "--format", "json"),
        "export-list csv": cli("runs", "export-list", "--since", "all", "--format", "csv"),
        "export-list json": cli("runs", "export-list", "--since", "all", "--format", "json"),
    }
    for run_id in hostile_runs:
        for fmt in ("csv", "json"):
            outputs[f"{run_id} {fmt}"] = cli("runs", "export", run_id, "--format", fmt)
        outputs[f"{run_id} show json"] = cli("runs", "show", run_id, "--format", "json")
    files = tmp_path / "files"
    files.mkdir()
    for fmt in ("csv", "json"):
        assert (
            cli("runs", "export-list", "--since", "all", "--format", fmt, "-o", str(files)).code
            == 0
        )
        for run_id in hostile_runs:
            assert cli("runs", "export", run_id, "--format", fmt, "-o", str(files)).code == 0
    for label, result in outputs.items():
        assert result.code == 0, (label, result.err)
        assert not unsafe_characters(result.out + result.err), (
            f"{label}: raw control/bidi characters"
        )
    for path in files.iterdir():
        assert not unsafe_characters(path.read_text(encoding="utf-8")), (
            f"{path.name}: raw control/bidi"
        )
