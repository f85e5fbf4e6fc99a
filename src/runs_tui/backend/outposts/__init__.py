"""Tool runners: the built-in `local` outpost with `shell`, `http` and `sim` tools."""

from runs_tui.backend.outposts.local import LocalOutpost
from runs_tui.backend.outposts.result import ToolResult
from runs_tui.backend.outposts.sink import OUTPUT_CAP_BYTES, OutputSink
from runs_tui.backend.outposts.templates import MissingVariable, render_argv

__all__ = [
    "OUTPUT_CAP_BYTES",
    "LocalOutpost",
    "MissingVariable",
    "OutputSink",
    "ToolResult",
    "render_argv",
]
