"""The CLI as scripts run it: `python -m runs_tui ...` in a subprocess, `runs watch` following
a run as it moves, the `backend` subcommand, and the embedded default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cli.conftest import SENTINEL_TOKEN, CliRunner, start_guide
from runs_tui import user_dirs
from runs_tui.cli import ExitCode


def subprocess_env(dirs: dict[str, Path], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNS_TUI_")}
    env.update({name: str(path) for name, path in dirs.items()}, **extra)
    return env


def runs_tui(
    *argv: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runs_tui", *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_watch_prints_progress_as_the_run_moves_and_exits_0_on_success(
    cli: CliRunner, remote: Any, dirs: dict[str, Path]
) -> None:
    run_id = start_guide(remote)
    watcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runs_tui",
            "runs",
            "watch",
            run_id,
            "--exit-status",
            "--interval",
            "0.1",
        ],
        env=subprocess_env(dirs),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []

    def read_until(fragment: str) -> None:
        """Answer only once the watcher has shown the prompt: it must see every state."""
        assert watcher.stdout is not None
        for line in watcher.stdout:
            seen.append(line.rstrip("\n"))
            if fragment in line:
                return
        raise AssertionError(f"the watcher ended before printing {fragment!r}: {seen}")

    try:
        read_until("step 2 Acknowledge the open incidents: Waiting for input")
        assert cli("runs", "respond", run_id, "--value", "done").code == 0
        read_until("step 3 Transfer the pager: Waiting for input")
        assert cli("runs", "respond", run_id, "--value", "approve").code == 0
        rest, err = watcher.communicate(timeout=60)
    finally:
        watcher.kill()
    out = "\n".join(seen) + "\n" + rest
    assert watcher.returncode == 0, err
    lines = [line.split("  ", 1)[1] for line in out.splitlines()]
    assert lines[-1] == "status: Completed Success" or "status: Completed Success" in lines
    assert "status: Waiting for User Input (Remediation)" in lines
    assert any(
        line.startswith("step 2 Acknowledge the open incidents: Waiting for input")
        for line in lines
    )
    assert any("--value done|failed" in line for line in lines)
    assert any(line == "step 4 Announce the handover: Succeeded" for line in lines)
    assert lines.index("status: Summarizing") < lines.index("status: Completed Success")


def test_watch_exit_status_is_1_for_a_cancelled_run(
    cli: CliRunner, remote: Any, dirs: dict[str, Path]
) -> None:
    run_id = start_guide(remote)
    assert cli("runs", "cancel", run_id, "--yes").code == 0
    result = runs_tui("runs", "watch", run_id, "--exit-status", env=subprocess_env(dirs))
    assert result.returncode == ExitCode.NOT_SUCCEEDED and "status: Cancelled" in result.stdout


def test_subprocess_list_json_and_exit_codes(
    cli: CliRunner, remote: Any, dirs: dict[str, Path]
) -> None:
    run_id = start_guide(remote)
    env = subprocess_env(dirs)
    listed = runs_tui("runs", "list", "--format", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert run_id in [run["id"] for run in json.loads(listed.stdout)["runs"]]
    assert runs_tui("runs", "show", "missing-run", env=env).returncode == ExitCode.NOT_FOUND
    assert runs_tui("runs", "list", "--from", "soon", env=env).returncode == ExitCode.USAGE
    assert runs_tui("runs", "cancel", run_id, env=env).returncode == ExitCode.USAGE


def test_environment_url_and_token_select_a_backend_without_any_config(
    remote: Any, dirs: dict[str, Path], tmp_path: Path
) -> None:
    env = subprocess_env(
        {**dirs, user_dirs.CONFIG_DIR_ENV: tmp_path / "empty-config"},
        RUNS_TUI_URL=remote.url,
        RUNS_TUI_TOKEN=SENTINEL_TOKEN,
    )
    result = runs_tui("sync", env=env)
    assert result.returncode == 0 and result.stdout.startswith("synced env:")


def test_backend_subcommand_delegates_to_the_backend(dirs: dict[str, Path]) -> None:
    helped = runs_tui("backend", "--help", env=subprocess_env(dirs))
    assert (
        helped.returncode == 0 and "--demo" in helped.stdout and "runs-tui backend" in helped.stdout
    )
    wrong = runs_tui("backend", "--port", "eighty", env=subprocess_env(dirs))
    assert wrong.returncode == ExitCode.USAGE


def test_the_embedded_default_serves_demo_history_from_its_own_files(
    cli: CliRunner, dirs: dict[str, Path]
) -> None:
    first = cli(
        "runs",
        "list",
        "--since",
        "all",
        "--status",
        "completed",
        "--format",
        "json",
        "--limit",
        "5000",
    )
    assert first.code == 0, first.err
    seeded = json.loads(first.out)["runs"]
    assert len(seeded) >= 100
    database = dirs[user_dirs.DATA_DIR_ENV] / "embedded-backend.sqlite3"
    assert database.exists()
    assert (dirs[user_dirs.CACHE_DIR_ENV] / "embedded.sqlite3").exists()
    again = cli(
        "runs",
        "list",
        "--since",
        "all",
        "--status",
        "completed",
        "--format",
        "json",
        "--limit",
        "5000",
    )
    assert again.code == 0
    assert len(json.loads(again.out)["runs"]) < 2 * len(seeded)  # history is seeded once


def closed_pipe_run(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real CLI writing into a pipe whose reader is already gone (`| head` after its lines):
    the very first write fails, so the test does not depend on timing."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "runs_tui", *argv],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)


def test_a_closed_pipe_ends_the_command_quietly(
    cli: CliRunner, remote: Any, dirs: dict[str, Path]
) -> None:
    run_id = start_guide(remote)
    env = subprocess_env(dirs)
    for argv in (
        ("runs", "list", "--since", "all"),
        ("runs", "list", "--since", "all", "--format", "csv"),
        ("runs", "export", run_id, "--format", "csv"),
        ("runs", "export", run_id, "--format", "json"),
        ("runs", "export-list", "--since", "all", "--format", "json"),
        ("runs", "show", run_id),
    ):
        result = closed_pipe_run(*argv, env=env)
        assert result.stderr == "", (argv, result.stderr)
        assert result.returncode == ExitCode.BROKEN_PIPE, argv


def test_head_reads_the_first_lines_of_a_long_listing_and_nothing_complains(
    cli: CliRunner, remote: Any, dirs: dict[str, Path]
) -> None:
    run_id = start_guide(remote)
    script = (
        f"{sys.executable} -m runs_tui runs export {run_id} --format csv | head -c 10; echo; "
        f"{sys.executable} -m runs_tui runs list --since all | head -n 1"
    )
    result = subprocess.run(
        ["bash", "-c", script],
        env=subprocess_env(dirs),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.startswith("run_id,nam")


def test_backend_help_names_the_token_variable(dirs: dict[str, Path]) -> None:
    result = runs_tui("backend", "--help", env=subprocess_env(dirs))
    assert result.returncode == 0, result.stderr
    assert "RUNS_TUI_BACKEND_TOKEN" in result.stdout
