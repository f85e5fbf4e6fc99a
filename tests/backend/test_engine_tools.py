"""Real tools under the engine: shell argv safety, cancel kills the process, timeout, http, cap."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from runs_tui.backend.store import TRUNCATION_MARKER
from runs_tui.models.domain import EventType, RunDetail, StepStatus
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

try:
    from engine_harness import Harness, assert_legal
except ImportError:
    from .engine_harness import Harness, assert_legal  # type: ignore[no-redef]

PY = sys.executable


def _guide(folder: Path, tool: str, *, inputs: str = "", extra_steps: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "g.toml").write_text(f"""
kind = "guide"
id = "g"
title = "Tool test"
{inputs}
{tool}
[[steps]]
title = "Run it"
automation = "automated"
tool = "t"
{extra_steps}
""")
    return folder


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize(
    "payload",
    [
        "$(touch {tmp}/x); rm -rf {tmp}/keep",
        "; touch {tmp}/pwned",
        "`touch {tmp}/b` && echo hi > {tmp}/c",
    ],
)
async def test_shell_values_are_single_literal_argv_items(tmp_path: Path, payload: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep").write_text("precious")
    value = payload.format(tmp=work)
    tool = f'''
[[inputs]]
name = "value"
required = true
[tools.t]
type = "shell"
argv = [
    "{PY}",
    "-c",
    "import json, os, sys; print(json.dumps([sys.argv[1:], os.environ['PAYLOAD']]))",
    "{{value}}",
]
env = {{ PAYLOAD = "{{value}}" }}
'''
    h = Harness(tmp_path, _guide(tmp_path / "defs", tool), pace=0)
    run_id = await h.start(RunKind.GUIDE, "g", value=value)
    run = await h.wait_real(run_id, lambda r: r.status.is_terminal)
    assert run.status is RunStatus.COMPLETED_SUCCESS, run.error
    import json

    argv, env_value = json.loads(run.steps[0].tool.output)
    assert argv == [value] and env_value == value
    assert sorted(p.name for p in work.iterdir()) == ["keep"]
    assert run.steps[0].tool.input["argv"][-1] == value


_ECHO_ARGV = f'"{PY}", "-c", "import sys; print(sys.argv[1:])"'


async def _run_value(
    tmp_path: Path, argv: str, value: str, extra: str = ""
) -> tuple[RunStatus, str, str | None]:
    tool = f"""
[[inputs]]
name = "value"
required = true
[tools.t]
type = "shell"
argv = [{argv}]
{extra}
"""
    h = Harness(tmp_path, _guide(tmp_path / "defs", tool), pace=0)
    run_id = await h.start(RunKind.GUIDE, "g", value=value)
    run = await h.wait_real(run_id, lambda r: r.status.is_terminal)
    step = run.steps[0]
    return run.status, step.tool.output if step.tool else "", step.error


@pytest.mark.parametrize("value", ["--help", "-n", "-rf", "--output=/etc/passwd"])
async def test_a_value_that_would_be_an_option_is_refused(tmp_path: Path, value: str) -> None:
    """One argv item stops shell injection, not option injection: `--help` reached the program
    as an option. The program must not even start."""
    marker = tmp_path / "started"
    argv = f'"{PY}", "-c", "open({str(marker)!r}, \'w\')", "{{value}}"'
    status, output, error = await _run_value(tmp_path, argv, value)
    assert status is RunStatus.COMPLETED_FAILURE
    assert error and "refused" in error and "option" in error and "{value}" in error
    assert not marker.exists() and output == ""


@pytest.mark.parametrize("value", ["--help", "-n"])
async def test_a_value_after_a_literal_double_dash_is_passed_as_it_is(
    tmp_path: Path, value: str
) -> None:
    argv = f'"{PY}", "-c", "import sys; print(sys.argv[1:])", "--", "{{value}}"'
    status, output, error = await _run_value(tmp_path, argv, value)
    assert status is RunStatus.COMPLETED_SUCCESS, error
    assert output.strip() == repr(["--", value])


async def test_option_values_lets_a_tool_take_dash_values_on_purpose(tmp_path: Path) -> None:
    status, output, error = await _run_value(
        tmp_path, _ECHO_ARGV + ', "{value}"', "-5", 'option_values = ["value"]'
    )
    assert status is RunStatus.COMPLETED_SUCCESS, error
    assert output.strip() == repr(["-5"])


async def test_cancel_kills_a_running_shell_tool_and_its_children(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = 'sleep 60 & echo $! > "$1"; echo $$ >> "$1"; echo started; wait'
    tool = f'''
[[inputs]]
name = "pidfile"
required = true
[tools.t]
type = "shell"
argv = ["sh", "-c", "{script.replace('"', chr(92) + '"')}", "sh", "{{pidfile}}"]
timeout = "10m"
'''
    h = Harness(tmp_path, _guide(tmp_path / "defs", tool), pace=0)
    run_id = await h.start(RunKind.GUIDE, "g", pidfile=str(pids))
    await h.wait_real(
        run_id,
        lambda r: (
            r.steps[0].status is StepStatus.RUNNING
            and pids.exists()
            and len(pids.read_text().split()) == 2
        ),
    )
    child, shell = (int(p) for p in pids.read_text().split())
    assert _alive(child) and _alive(shell)
    summary = await h.engine.cancel(run_id, actor="alice@example.com")
    assert summary.status is RunStatus.CANCELLED
    run = h.run(run_id)
    assert run.steps[0].status is StepStatus.CANCELLED and "cancelled" in (
        run.steps[0].tool.error or ""
    )
    assert not _alive(shell)
    for _ in range(100):
        if not _alive(child):
            break
        await asyncio.sleep(0.05)
    assert not _alive(child), (
        Path(f"/proc/{child}/stat").read_text() + str(os.getpgid(child)) + " " + str(shell)
    )
    assert_legal(run)


async def _advance_in_real_time_until(
    h: Harness, run_id: str, predicate: Callable[[RunDetail], bool], seconds: float = 40
) -> RunDetail:
    """Fake time by half seconds, with real pauses for subprocesses to be killed and reaped."""
    deadline = time.monotonic() + seconds
    while not predicate(run := h.run(run_id)):
        assert time.monotonic() < deadline, f"never got there: {run.status}"
        await h.clock.advance(0.5)
        await asyncio.sleep(0.05)
    return run


async def test_shell_timeout_kills_the_tool_and_fails_the_step(tmp_path: Path) -> None:
    tool = """
[tools.t]
type = "shell"
argv = ["sleep", "30"]
timeout = "2s"
"""
    h = Harness(tmp_path, _guide(tmp_path / "defs", tool), pace=0)
    run_id = await h.start(RunKind.GUIDE, "g")
    await h.wait_real(run_id, lambda r: r.steps[0].status is StepStatus.RUNNING)
    # The step shows running before the tool's timer is set; on a loaded machine one advance
    # could come first and leave the timer unfired, so time moves on until the run ends.
    run = await _advance_in_real_time_until(h, run_id, lambda r: r.status.is_terminal)
    assert run.status is RunStatus.COMPLETED_FAILURE
    assert run.steps[0].error == "timed out after 2s" and run.steps[0].tool.exit_status is None


async def test_output_is_capped_with_a_marker_and_streamed_in_batches(tmp_path: Path) -> None:
    tool = f'''
[tools.t]
type = "shell"
argv = [
    "{PY}",
    "-c",
    "import sys\\nfor i in range(60000): sys.stdout.write('line %06d of chatty output\\\\n' % i)",
]
'''
    h = Harness(tmp_path, _guide(tmp_path / "defs", tool), pace=0)
    run_id = await h.start(RunKind.GUIDE, "g")
    run = await h.wait_real(run_id, lambda r: r.status.is_terminal)
    output = run.steps[0].tool.output
    assert run.status is RunStatus.COMPLETED_SUCCESS
    assert output.endswith(TRUNCATION_MARKER) and run.steps[0].tool.output_truncated
    assert len(output.encode()) <= 1024 * 1024 + len(TRUNCATION_MARKER.encode())
    assert output.startswith("line 000000 of chatty output\n")
    chunks = [e for e in run.events if e.type is EventType.TOOL_OUTPUT]
    assert 1 < len(chunks) < 200  # 60,000 lines, batched


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # http.server's name
        code = 200 if self.path.startswith("/ok") else 503
        body = f"path={self.path}".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    ("path", "status"), [("ok", RunStatus.COMPLETED_SUCCESS), ("down", RunStatus.COMPLETED_FAILURE)]
)
async def test_http_tool_against_a_local_server(
    tmp_path: Path, http_server: str, path: str, status: RunStatus
) -> None:
    tool = f'''
[[inputs]]
name = "where"
required = true
[tools.t]
type = "http"
url = "{http_server}/{{where}}"
expected_status = 200
'''
    h = Harness(tmp_path, _guide(tmp_path / "defs", tool), pace=0)
    run_id = await h.start(RunKind.GUIDE, "g", where=f"{path}/x?y=1")
    run = await h.wait_real(run_id, lambda r: r.status.is_terminal)
    assert run.status is status
    step = run.steps[0]
    assert f"path=/{path}%2Fx%3Fy%3D1" in step.tool.output  # the value cannot add a path or query
    if status is RunStatus.COMPLETED_FAILURE:
        assert step.error == "expected HTTP 200, got 503"


async def test_unknown_program_fails_the_step_with_a_readable_error(tmp_path: Path) -> None:
    tool = """
[tools.t]
type = "shell"
argv = ["/nonexistent/diagnose"]
"""
    h = Harness(tmp_path, _guide(tmp_path / "defs", tool), pace=0)
    run = await h.wait_real(await h.start(RunKind.GUIDE, "g"), lambda r: r.status.is_terminal)
    assert run.status is RunStatus.COMPLETED_FAILURE and "could not start" in run.steps[0].error
    assert os.path.exists(tmp_path / "runs.db")
