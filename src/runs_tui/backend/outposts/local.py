"""The built-in `local` outpost: where tools run, with a timeout timed by the injected clock.

Tool lookup: a definition's own `[tools]` first, then the shared tools files. A tool that is in
neither does not exist on this outpost, which the engine finds while Identifying Tools.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from runs_tui.backend.clock import Clock
from runs_tui.backend.definitions.schema import HttpTool, ShellTool, SimTool, ToolSpec
from runs_tui.backend.outposts.http import run_http
from runs_tui.backend.outposts.result import ToolResult
from runs_tui.backend.outposts.shell import run_shell
from runs_tui.backend.outposts.sim import run_sim
from runs_tui.backend.outposts.templates import MissingVariable, OptionValueRefused


class LocalOutpost:
    name = "local"

    def __init__(self, clock: Clock, shared_tools: Mapping[str, ToolSpec] | None = None) -> None:
        self._clock = clock
        self._shared_tools = dict(shared_tools or {})

    def resolve(self, name: str, own_tools: Mapping[str, ToolSpec]) -> ToolSpec | None:
        return own_tools.get(name) or self._shared_tools.get(name)

    async def run(
        self,
        tool: ToolSpec,
        variables: Mapping[str, str],
        write: Callable[[str], None],
        seed: str = "",
    ) -> ToolResult:
        """Runs to completion, timeout or cancellation; a cancel kills the tool before it
        propagates, so "cancelled" really means the tool is gone."""
        work = asyncio.ensure_future(self._dispatch(tool, variables, write, seed))
        timer = asyncio.ensure_future(self._clock.sleep(tool.timeout_seconds))
        try:
            await asyncio.wait({work, timer}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await _stop(work, timer)
            raise
        if not work.done():
            await _stop(work, timer)
            return ToolResult(
                exit_status=None, timed_out=True, error=f"timed out after {tool.timeout_seconds:g}s"
            )
        timer.cancel()
        return _result_of(work)

    async def _dispatch(
        self, tool: ToolSpec, variables: Mapping[str, str], write: Callable[[str], None], seed: str
    ) -> ToolResult:
        if isinstance(tool, ShellTool):
            return await run_shell(tool, variables, write)
        if isinstance(tool, HttpTool):
            return await run_http(tool, variables, write)
        if isinstance(tool, SimTool):
            return await run_sim(tool, variables, write, self._clock, seed)
        raise TypeError(f"unsupported tool type {type(tool).__name__}")


async def _stop(work: asyncio.Future[ToolResult], timer: asyncio.Future[None]) -> None:
    timer.cancel()
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)


def _result_of(work: asyncio.Future[ToolResult]) -> ToolResult:
    error = work.exception()
    if error is None:
        return work.result()
    if isinstance(error, MissingVariable | OptionValueRefused):
        return ToolResult(exit_status=None, error=str(error))
    if isinstance(error, OSError):
        return ToolResult(exit_status=None, error=f"could not start: {error.strerror or error}")
    return ToolResult(exit_status=None, error=f"{type(error).__name__}: {error}")
