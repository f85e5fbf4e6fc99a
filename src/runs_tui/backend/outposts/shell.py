"""Runs a `shell` tool: an argv list executed directly (no shell), in its own process group.

Its own session lets a cancel or timeout kill the whole group, so children the tool started
cannot linger holding the output pipe open.
"""

from __future__ import annotations

import asyncio
import codecs
import os
import signal
from collections.abc import Callable, Mapping

from runs_tui.backend.definitions.schema import ShellTool
from runs_tui.backend.outposts.result import ToolResult
from runs_tui.backend.outposts.templates import refuse_option_values, render_argv, render_text

READ_SIZE = 64 * 1024
INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")


def shell_environment(tool: ShellTool, variables: Mapping[str, str]) -> dict[str, str]:
    """A small inherited base plus the tool's own env, with values interpolated as plain text."""
    env = {name: os.environ[name] for name in INHERITED_ENV if name in os.environ}
    env.update({name: render_text(value, variables) for name, value in tool.env.items()})
    return env


async def run_shell(
    tool: ShellTool, variables: Mapping[str, str], write: Callable[[str], None]
) -> ToolResult:
    refuse_option_values(tool.argv, variables, tool.option_values)
    argv = render_argv(tool.argv, variables)
    process = await _spawn(tool, argv, shell_environment(tool, variables))
    try:
        await _pump(process, write)
        code = await process.wait()
    finally:
        if process.returncode is None:
            _kill_group(process.pid)
            await process.wait()
    return ToolResult(exit_status=code)


async def _spawn(
    tool: ShellTool, argv: list[str], env: dict[str, str]
) -> asyncio.subprocess.Process:
    """Starts the process; a cancel that lands while asyncio is still wiring the pipes (the
    program already runs) waits for the spawn and kills the whole group, not just the leader."""
    spawning = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            cwd=tool.cwd,
            start_new_session=True,
        )
    )
    try:
        return await asyncio.shield(spawning)
    except asyncio.CancelledError:
        process = await spawning
        _kill_group(process.pid)
        await process.wait()
        raise


async def _pump(process: asyncio.subprocess.Process, write: Callable[[str], None]) -> None:
    assert process.stdout is not None
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    while chunk := await process.stdout.read(READ_SIZE):
        write(decoder.decode(chunk))
    write(decoder.decode(b"", final=True))


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
