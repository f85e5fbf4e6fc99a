"""The benchmarks' own guide: N automated steps of one `sim` tool, written as TOML to a folder.

Shared so the engine, replica and dashboard benchmarks drive the same kind of work (and a change
to the definition schema is made once here). Run as `python benchmarks/bench_*.py`, the script's
folder is on `sys.path`, so they import it as `work_guide`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

DEFAULT_LINES = ("working on step", "done")


def write_work_guide(
    folder: Path,
    guide_id: str,
    title: str,
    *,
    steps: int,
    latency: float,
    lines: Sequence[str] = DEFAULT_LINES,
    line_delay: float | None = None,
) -> Path:
    """`folder/<guide_id>.toml`: `steps` automated steps, each running the tool `work`, which
    waits `latency` seconds and prints `lines` `line_delay` apart (default: half the latency)."""
    body = "\n".join(
        f'[[steps]]\ntitle = "Work {n}"\nautomation = "automated"\ntool = "work"\n'
        for n in range(1, steps + 1)
    )
    printed = ", ".join(f'"{line}"' for line in lines)
    delay = latency / 2 if line_delay is None else line_delay
    path = folder / f"{guide_id}.toml"
    path.write_text(f"""kind = "guide"
id = "{guide_id}"
title = "{title}"

{body}
[tools.work]
type = "sim"
latency = "{latency}s"
idempotent = true

[[tools.work.scenarios]]
lines = [{printed}]
line_delay = "{delay}s"
""")
    return path
