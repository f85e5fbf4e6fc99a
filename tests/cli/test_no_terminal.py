"""The dashboard without a terminal: refused at once on a pipe; ended cleanly when its pty goes.

Each test runs the real `runs-tui` in a subprocess (its own session, so whatever it leaves
behind can be found) on the embedded backend. "Nothing survives" is checked from outside: no
process of the session is left, and the embedded backend's listening port no longer answers.
"""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runs_tui import user_dirs

from .test_dashboard_launch import read_until, set_window_size

NEEDS_TERMINAL = (
    "runs-tui: the dashboard needs a terminal (use `ssh -t`, or `runs-tui runs list` for scripts)\n"
)
HANG_UP_EXIT_CODE = 128 + signal.SIGHUP


def dashboard_env(dirs: dict[str, Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNS_TUI_")}
    env.update({name: str(path) for name, path in dirs.items()}, TERM="xterm-256color")
    return env


@pytest.mark.parametrize("tty_side", ["neither", "stdin only", "stdout only"])
def test_the_dashboard_refuses_to_start_without_a_terminal_on_stdin_and_stdout(
    tty_side: str,
    dirs: dict[str, Path],
) -> None:
    master, slave = pty.openpty()
    stdin = slave if tty_side == "stdin only" else subprocess.PIPE
    stdout = slave if tty_side == "stdout only" else subprocess.PIPE
    try:
        process = subprocess.run(
            [sys.executable, "-m", "runs_tui"],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=dashboard_env(dirs),
            timeout=60,
            check=False,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert process.returncode == 2
    assert process.stderr.decode() == NEEDS_TERMINAL
    assert not process.stdout  # no escape sequences written into the pipe
    database = dirs[user_dirs.DATA_DIR_ENV] / "embedded-backend.sqlite3"
    assert not database.exists()  # nothing was started


@pytest.fixture
def dashboard_in_pty(dirs: dict[str, Path]) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The dashboard on the embedded backend in a pty, shown its first runs; (process, master)."""
    master, slave = pty.openpty()
    set_window_size(slave, 80, 24)
    process = subprocess.Popen(
        [sys.executable, "-m", "runs_tui"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dashboard_env(dirs),
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    try:
        screen = read_until(master, process, b"Compl", timeout=60)
        assert b"Compl" in screen and b"Traceback" not in screen
        yield process, master
    finally:
        kill_session(process.pid)
        process.wait(timeout=10)
        try:
            os.close(master)
        except OSError:
            pass


def session_processes(session_id: int) -> list[int]:
    """Live processes of a session (zombies are gone already: they have exited)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session_id and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def kill_session(session_id: int) -> None:
    for pid in session_processes(session_id):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def listening_ports(pid: int) -> set[int]:
    """The TCP ports the process listens on, read from /proc (the embedded backend's port)."""
    inodes = set()
    for fd in (Path("/proc") / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("loss", ["pty closed (EIO)", "SIGHUP"])
def test_the_dashboard_exits_cleanly_and_stops_its_backend_when_the_terminal_goes_away(
    loss: str,
    dashboard_in_pty: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, master = dashboard_in_pty
    ports = listening_ports(process.pid)
    assert ports and all(answers(port) for port in ports)  # the embedded backend is up
    if loss == "SIGHUP":
        process.send_signal(signal.SIGHUP)
    else:
        os.close(master)  # what sshd does when the connection drops
    assert process.wait(timeout=60) == HANG_UP_EXIT_CODE  # its own exit, not the signal's kill
    assert session_processes(process.pid) == []
    assert not any(answers(port) for port in ports)
