"""`runs-tui` with no configuration opens the dashboard on the embedded backend (in a pty)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from runs_tui import user_dirs


def read_until(
    master: int, process: subprocess.Popen[bytes], wanted: bytes, timeout: float
) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None and wanted not in seen:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen


TERMINALS = {
    "xterm-256color": {"TERM": "xterm-256color"},
    "linux console": {"TERM": "linux"},
    "NO_COLOR": {"TERM": "xterm-256color", "NO_COLOR": "1"},
    "tmux": {"TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0"},
}


def set_window_size(fd: int, columns: int, rows: int) -> None:
    """The smallest size operators work at over SSH."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


@pytest.mark.parametrize("terminal", TERMINALS, ids=list(TERMINALS))
def test_the_bare_command_opens_the_dashboard_on_the_embedded_backend_and_quits(
    terminal: str,
    dirs: dict[str, Path],
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNS_TUI_")}
    env.pop("NO_COLOR", None)
    env.update({name: str(path) for name, path in dirs.items()}, **TERMINALS[terminal])
    master, slave = pty.openpty()
    set_window_size(slave, 80, 24)
    process = subprocess.Popen(
        [sys.executable, "-m", "runs_tui"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    try:
        screen = read_until(master, process, b"Compl", timeout=60)
        assert b"Compl" in screen and b"Traceback" not in screen
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            os.write(master, b"q")  # until the app has finished starting and takes the key
            read_until(master, process, b"\x00", timeout=1.0)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
        os.close(master)
    assert (dirs[user_dirs.CACHE_DIR_ENV] / "embedded.sqlite3").exists()
    assert (dirs[user_dirs.DATA_DIR_ENV] / "embedded-backend.sqlite3").exists()
