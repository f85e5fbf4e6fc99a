"""Dashboard start: the whole `runs-tui` process in a pty, warm 100k-run cache, to the first
frame that shows a run's status — against a minimal Textual app started the same way.

The baseline, measured in the same run, is the smallest app that looks like the dashboard's
first frame: Header + DataTable + Footer with 10 rows (each with a status), in a child
process of its own. Both are started in a fresh pseudo-terminal at 80×24 and timed from
spawning the process to the moment the pty's output holds a status label; then `q` (or a
kill) ends them. After two warm-up starts of each (not counted), medians of --repeats runs
each, alternating, and the ratio (goal ≤ 1.5×), for the wall time and for the CPU time the
process used until then (read from /proc: on a loaded machine the wall time swings with the
other processes, the CPU time much less).

The dashboard is pointed at a real backend (a subprocess on a seeded SQLite file) with a
cache synced from it beforehand by `runs-tui sync`: a warm cache, as an operator has it.

    .venv/bin/python benchmarks/bench_startup.py [--runs 100000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import secrets
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_changefeed import seed, start_server

from runs_tui.models.status import RunStatus

STATUS = re.compile("|".join(re.escape(status.label) for status in RunStatus).encode())
MINIMAL_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header

class Minimal(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Name", "Status", "Started")
        for n in range(10):
            table.add_row(f"Database health check {n}", "Completed Success", f"{n} min ago")

Minimal().run()
"""


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_status_seconds(
    command: list[str], env: dict[str, str], timeout: float = 60
) -> tuple[float, float]:
    """Spawn `command` in a fresh 80×24 pty; (wall seconds, CPU seconds) until its output
    shows a status. The CPU figure hardly moves with the machine's load; the wall one does."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    try:
        deadline = started + timeout
        while not STATUS.search(seen):
            if time.perf_counter() > deadline or process.poll() is not None:
                raise RuntimeError(f"{command[-1]!r} showed no status: {seen[-400:]!r}")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                seen += os.read(master, 65536)
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(process.pid)
        end(process, master)
        return elapsed, cpu
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(master)


def end(process: subprocess.Popen[bytes], master: int) -> None:
    """`q` until it quits (it may still be starting up), else the kill in the caller."""
    deadline = time.perf_counter() + 15
    while process.poll() is None and time.perf_counter() < deadline:
        os.write(master, b"q")
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                os.read(master, 65536)
            except OSError:
                return


def environment(folder: Path, origin: str, token: str) -> dict[str, str]:
    """Bytecode is written and read under the run's folder, even where the environment says
    not to write it: an installed runs-tui has its bytecode, and compiling every module from
    source on each start (what PYTHONDONTWRITEBYTECODE makes an editable install do) would
    be timed for the dashboard and not for the baseline, whose Textual has its bytecode."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RUNS_TUI_")}
    env.pop("NO_COLOR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    env.update(
        TERM="xterm-256color",
        RUNS_TUI_URL=origin,
        RUNS_TUI_TOKEN=token,
        RUNS_TUI_CACHE_DIR=str(folder / "cache"),
        RUNS_TUI_CONFIG_DIR=str(folder / "config"),
        RUNS_TUI_DATA_DIR=str(folder / "data"),
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    runs_tui = str(Path(sys.executable).with_name("runs-tui"))
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as name:
        folder = Path(name)
        db_url = f"sqlite:///{folder / 'backend.sqlite3'}"
        seeded = seed(db_url, args.runs)
        token = secrets.token_urlsafe(16)
        server, origin = start_server(db_url, token)
        try:
            env = environment(folder, origin, token)
            subprocess.run([runs_tui, "sync"], env=env, check=True, capture_output=True)
            app_file = folder / "minimal_app.py"
            app_file.write_text(MINIMAL_APP)
            dashboard, minimal = [], []
            for _ in range(2):  # warm-up, not counted: bytecode written, files in the page cache
                first_status_seconds([sys.executable, str(app_file)], env)
                first_status_seconds([runs_tui], env)
            for _ in range(args.repeats):
                minimal.append(first_status_seconds([sys.executable, str(app_file)], env))
                dashboard.append(first_status_seconds([runs_tui], env))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"dashboard start to the first frame with a run's status, {args.runs:,}-run warm cache "
        f"(seeded in {seeded:.1f} s), pty 80x24, median of {args.repeats}:"
    )
    for what, at in (("wall", 0), ("CPU", 1)):
        base = statistics.median(run[at] for run in minimal)
        ours = statistics.median(run[at] for run in dashboard)
        print(
            f"  {what}: baseline minimal Textual app (Header+DataTable+Footer, 10 rows): "
            f"{base * 1000:5.0f} ms; runs-tui dashboard: {ours * 1000:5.0f} ms "
            f"({ours / base:.2f}x the baseline; goal <= 1.5x)"
        )
        print(
            "    each run (ms): minimal "
            + ", ".join(f"{run[at] * 1000:.0f}" for run in minimal)
            + "; dashboard "
            + ", ".join(f"{run[at] * 1000:.0f}" for run in dashboard)
        )


if __name__ == "__main__":
    main()
