"""Terminal output of the dashboard while runs change: bytes/s and CPU, under a real pty.

Run: `.venv/bin/python benchmarks/bench_ui_executing.py [--runs 20] [--seconds 20] [--repeats 2]`.

A real `runs-tui backend` (subprocess, loopback, its own SQLite file) serves a guide of six
automated steps whose tool prints a line every 0.4 s, so each step takes ~4 s and every run
moves a step (a change notice, a feed pull, a list reload) every few seconds. The real
`runs-tui` dashboard runs in a pseudo-terminal at 120×40 against it; the parent counts the bytes
the terminal driver writes and the dashboard process's CPU time (from /proc) after a warm-up.

Cases, measured in the same run:
- executing: `--runs` runs executing at once (finished ones are replaced to keep the count);
- waiting (the baseline): the same number of runs, each waiting on a manual step, nothing moving
  but their duration cells;
- detail: as executing, with one run's detail open (Enter), its tool output streaming in;
Issue 12's goals: executing ≤ 20 KB/s and ≤ 5 % CPU; waiting ≤ 2 KB/s.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import secrets
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

import httpx
from work_guide import write_work_guide

SIZE = (120, 40)
WARMUP_SECONDS = 8.0
SERVING = re.compile(r"serving (http://\S+?)/api/v1")

DEFINITIONS = {
    "ask.toml": """
kind = "guide"
id = "ask"
title = "Waiting guide"
description = "One manual step: the run waits for an answer."

[[steps]]
title = "Confirm"
automation = "manual"
prompt = { kind = "complete", question = "Done?" }
""",
}


class Backend:
    """`runs-tui backend` in a subprocess, as an operator team runs it."""

    def __init__(self, folder: Path) -> None:
        definitions = folder / "definitions"
        definitions.mkdir()
        for name, text in DEFINITIONS.items():
            (definitions / name).write_text(text)
        write_work_guide(  # six steps of ~4 s, each printing a line every 0.4 s
            definitions,
            "busy",
            "Busy guide",
            steps=6,
            latency=0.1,
            lines=[f"line {n}" for n in range(1, 11)],
            line_delay=0.4,
        )
        self._launch(folder, definitions)

    def _launch(self, folder: Path, definitions: Path) -> None:
        """Start the backend on `definitions` and wait until it says where it serves (shared
        with bench_health_http.py, which serves other definitions)."""
        self.token = secrets.token_urlsafe(24)
        env = {**os.environ, "RUNS_TUI_BACKEND_TOKEN": self.token}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "runs_tui", "backend", "--port", "0"]
            + ["--db", f"sqlite:///{folder / 'backend.sqlite3'}"]
            + ["--definitions", str(definitions)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.url = self._serving_url()
        self.http = httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    def _serving_url(self) -> str:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if match := SERVING.search(line):
                threading.Thread(target=self._drain, daemon=True).start()
                return match.group(1)
        sys.exit("the backend stopped before serving")

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for _ in self.process.stderr:
            pass

    def start(self, guide: str) -> str:
        answer = self.http.post(f"/guides/{guide}/runs", json={"inputs": {}})
        answer.raise_for_status()
        return str(answer.json()["id"])

    def active(self, ids: list[str]) -> list[str]:
        still = []
        for run_id in ids:
            status = self.http.get(f"/runs/{run_id}").json()["status"]
            if not (status.startswith("completed") or status in ("cancelled", "no_steps")):
                still.append(run_id)
        return still

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (clock ticks → seconds)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dashboard(backend: Backend, home: Path) -> tuple[int, int]:
    """The real `runs-tui` in a pty pointed at the backend: (pid, master fd)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(
            TERM="xterm-256color",
            HOME=str(home),
            RUNS_TUI_CONFIG_DIR=str(home / "config"),
            RUNS_TUI_CACHE_DIR=str(home / "cache"),
            RUNS_TUI_DATA_DIR=str(home / "data"),
            RUNS_TUI_URL=backend.url,
            RUNS_TUI_TOKEN=backend.token,
        )
        os.execv(sys.executable, [sys.executable, "-m", "runs_tui"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    return pid, fd


def count_bytes(fd: int, seconds: float, keep_going: object = None) -> int:
    counted, start = 0, time.monotonic()
    while (left := seconds - (time.monotonic() - start)) > 0:
        ready, _, _ = select.select([fd], [], [], min(0.2, left))
        if ready:
            try:
                counted += len(os.read(fd, 65536))
            except OSError:
                break
        if callable(keep_going):
            keep_going()
    return counted


def measure(
    backend: Backend, folder: Path, guide: str, runs: int, seconds: float, open_run: bool
) -> dict:
    ids = [backend.start(guide) for _ in range(runs)]
    pid, fd = dashboard(backend, folder)
    last_check = [time.monotonic()]

    def top_up() -> None:  # keep `runs` runs executing: replace the finished ones
        if guide != "busy" or time.monotonic() - last_check[0] < 1.0:
            return
        last_check[0] = time.monotonic()
        still = backend.active(ids)
        ids[:] = still + [backend.start(guide) for _ in range(runs - len(still))]

    try:
        count_bytes(fd, WARMUP_SECONDS, top_up)
        if open_run:  # Enter on the first row: its detail, with its tool's output streaming
            os.write(fd, b"\r")
            count_bytes(fd, 3.0, top_up)
        cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
        counted = count_bytes(fd, seconds, top_up)
        cpu = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
    finally:
        os.kill(pid, 15)
        os.waitpid(pid, 0)
        os.close(fd)
        for run_id in backend.active(ids):
            backend.http.post(f"/runs/{run_id}/cancel")
    return {"bytes_per_s": counted / seconds, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    cases = (("waiting", "ask", False), ("executing", "busy", False), ("detail", "busy", True))
    results: dict[str, list[dict]] = {case: [] for case, _, _ in cases}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for case, guide, open_run in cases:
                folder = Path(tmp) / f"{case}-{repeat}"
                folder.mkdir()
                backend = Backend(folder)
                try:
                    figures = measure(backend, folder, guide, args.runs, args.seconds, open_run)
                    results[case].append(figures)
                finally:
                    backend.stop()
    print(
        f"dashboard terminal output, {SIZE[0]}x{SIZE[1]}, {args.runs} runs, "
        f"{args.seconds:.0f} s per case after {WARMUP_SECONDS:.0f} s warm-up, "
        f"median of {args.repeats}; load {os.getloadavg()[0]:.1f}"
    )
    waiting = statistics.median(r["bytes_per_s"] for r in results["waiting"])
    for case, rows in results.items():
        rate = statistics.median(r["bytes_per_s"] for r in rows)
        cpu = statistics.median(r["cpu"] for r in rows)
        each = ", ".join(f"{r['bytes_per_s'] / 1000:.1f}" for r in rows)
        print(
            f"  {case:<10} {rate / 1000:8.2f} KB/s ({each})  CPU {cpu * 100:5.1f} %  "
            f"{rate / waiting:6.1f}x waiting"
        )
    print("  goals (issue 12): executing <= 20 KB/s and <= 5 % CPU; waiting <= 2 KB/s")


if __name__ == "__main__":
    main()
