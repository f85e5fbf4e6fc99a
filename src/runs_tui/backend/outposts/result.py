"""What running a tool produced, apart from its output (which is streamed, not returned)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToolResult:
    exit_status: int | None
    error: str | None = None
    timed_out: bool = False
