"""Runs a `sim` tool: scripted output with real (clock) latency, for the demo and tests.

A scenario is chosen by the run's inputs when one declares `when`, otherwise by a stable hash of
the run id, so a demo flow takes different paths across runs yet replays the same for one run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping

from runs_tui.backend.clock import Clock
from runs_tui.backend.definitions.schema import SimScenario, SimTool
from runs_tui.backend.outposts.result import ToolResult
from runs_tui.backend.outposts.templates import render_lenient


def choose_scenario(tool: SimTool, variables: Mapping[str, str], seed: str) -> SimScenario:
    for scenario in tool.scenarios:
        if scenario.when_input is not None and scenario.when_pattern is not None:
            value = variables.get(scenario.when_input)
            if value is not None and re.search(scenario.when_pattern, value):
                return scenario
    pool = [scenario for scenario in tool.scenarios if scenario.when_input is None] or list(
        tool.scenarios
    )
    digest = hashlib.sha256(f"{seed}:{tool.name}".encode()).digest()
    ticket = int.from_bytes(digest[:8], "big") % sum(scenario.weight for scenario in pool)
    for scenario in pool:
        ticket -= scenario.weight
        if ticket < 0:
            return scenario
    return pool[-1]


async def run_sim(
    tool: SimTool,
    variables: Mapping[str, str],
    write: Callable[[str], None],
    clock: Clock,
    seed: str,
) -> ToolResult:
    scenario = choose_scenario(tool, variables, seed)
    await clock.sleep(tool.latency_seconds)
    for index, line in enumerate(scenario.lines):
        if index:
            await clock.sleep(scenario.line_delay_seconds)
        write(render_lenient(line, variables) + "\n")
    return ToolResult(exit_status=scenario.exit_status, error=scenario.error)
