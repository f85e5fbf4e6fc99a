"""Runs an `http` tool: one request via httpx; success is the expected status code."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from runs_tui.backend.definitions.schema import HttpTool
from runs_tui.backend.outposts.result import ToolResult
from runs_tui.backend.outposts.templates import render_text, render_url

BODY_SHOWN = 64 * 1024


async def run_http(
    tool: HttpTool, variables: Mapping[str, str], write: Callable[[str], None]
) -> ToolResult:
    url = render_url(tool.url, variables)
    headers = {name: render_text(value, variables) for name, value in tool.headers.items()}
    body = render_text(tool.body, variables) if tool.body is not None else None
    write(f"{tool.method} {url}\n")
    try:
        async with httpx.AsyncClient(timeout=tool.timeout_seconds) as client:
            response = await client.request(tool.method, url, headers=headers, content=body)
    except httpx.HTTPError as error:
        return ToolResult(
            exit_status=None, error=f"request failed: {type(error).__name__}: {error}"
        )
    write(f"HTTP {response.status_code} {response.reason_phrase}\n")
    if response.text:
        write(response.text[:BODY_SHOWN] + ("" if response.text.endswith("\n") else "\n"))
    if response.status_code in tool.expected_status:
        return ToolResult(exit_status=0)
    expected = " or ".join(str(code) for code in tool.expected_status)
    return ToolResult(exit_status=1, error=f"expected HTTP {expected}, got {response.status_code}")
