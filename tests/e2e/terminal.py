"""The real `runs-tui` in tmux, driven as an operator drives it: keys in, the screen read back.

Each `Terminal` has a tmux server of its own (`tmux -L <unique socket>`), so parallel tests never
see each other's sessions, and its pane stays open after the program exits (`remain-on-exit`) so a
crash leaves its traceback on the screen for the assertion message. `screen()` is what a person
sees: tmux's own rendering of everything the program wrote, at the pane's size.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

DEFAULT_TIMEOUT = 30.0
POLL_SECONDS = 0.1


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


class Terminal:
    """One tmux pane running `python -m runs_tui ARGS` with `env`, at `width`×`height`."""

    def __init__(
        self, env: Mapping[str, str], args: Sequence[str] = (), *, width: int = 80, height: int = 24
    ) -> None:
        self.socket = f"runs-tui-e2e-{uuid.uuid4().hex[:12]}"
        self.width, self.height = width, height
        self._env = dict(env)
        self._args = list(args)
        self._started = False

    # lifecycle --------------------------------------------------------------------------------

    def start(self) -> Terminal:
        command = [sys.executable, "-m", "runs_tui", *self._args]
        # The server starts with exactly this environment (nothing leaks in from the test
        # process, NO_COLOR included), and the pane inherits it.
        self._tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "--",
            *command,
            env=self._env,
        )
        self._tmux("set-option", "-t", "main", "remain-on-exit", "on")
        self._tmux("set-option", "-t", "main", "status", "off")
        self._started = True
        return self

    def close(self) -> None:
        if self._started:
            self._tmux("kill-server", check=False)
            self._started = False

    def __enter__(self) -> Terminal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # keys -------------------------------------------------------------------------------------

    def send(self, *keys: str) -> None:
        """tmux key names, each pressed once in order: "a", "Enter", "Right", "Escape", "C-c"."""
        for key in keys:
            self._tmux("send-keys", "-t", "main", key)

    def send_at_once(self, *keys: str) -> None:
        """Several tmux key names in one `send-keys`, as a fast typist (or `tmux send-keys q e`)
        delivers them: the program reads them in one burst, before it reacts to the first."""
        self._tmux("send-keys", "-t", "main", *keys)

    def type(self, text: str) -> None:
        """Literal text, as typed (no key-name lookup)."""
        self._tmux("send-keys", "-t", "main", "-l", text)

    # the screen -------------------------------------------------------------------------------

    def screen(self) -> str:
        """The visible pane as text, one line per row, trailing spaces dropped."""
        return self._tmux("capture-pane", "-p", "-t", "main").stdout

    def styled_screen(self) -> str:
        """The visible pane with its SGR attributes (`capture-pane -e`), to check emphasis."""
        return self._tmux("capture-pane", "-p", "-e", "-t", "main").stdout

    def wait_for(self, wanted: str | re.Pattern[str], timeout: float = DEFAULT_TIMEOUT) -> str:
        """The screen once it shows `wanted` (a substring, or a compiled regex)."""
        if isinstance(wanted, re.Pattern):
            return self.wait_until(
                lambda screen: wanted.search(screen) is not None, timeout, repr(wanted.pattern)
            )
        return self.wait_until(lambda screen: wanted in screen, timeout, repr(wanted))

    def wait_until(
        self,
        predicate: Callable[[str], bool],
        timeout: float = DEFAULT_TIMEOUT,
        what: str = "the condition",
    ) -> str:
        """The screen once `predicate(screen)` holds; fails with the last screen otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen never showed {what} in {timeout:.0f}s:\n{screen}")
            time.sleep(POLL_SECONDS)

    # the program ------------------------------------------------------------------------------

    def exited(self) -> bool:
        return self._pane_format("#{pane_dead}") == "1"

    def exit_status(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """The program's exit code, once it has exited."""
        deadline = time.monotonic() + timeout
        while not self.exited():
            if time.monotonic() > deadline:
                raise AssertionError(f"runs-tui did not exit in {timeout:.0f}s:\n{self.screen()}")
            time.sleep(POLL_SECONDS)
        return int(self._pane_format("#{pane_dead_status}") or "0")

    def pid(self) -> int:
        """The process id of the program in the pane (to check from outside that it ended)."""
        return int(self._pane_format("#{pane_pid}"))

    def _pane_format(self, fmt: str) -> str:
        return self._tmux("display-message", "-p", "-t", "main", fmt).stdout.strip()

    def _tmux(
        self, *args: str, check: bool = True, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=30,
            env=dict(env) if env is not None else None,
        )


def environment(
    home: Path,
    backend_url: str,
    token: str,
    *,
    actor: str,
    no_color: bool = False,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What a `runs-tui` process of one operator needs: the backend, the token, its own folders."""
    env = {
        "RUNS_TUI_URL": backend_url,
        "RUNS_TUI_TOKEN": token,
        "RUNS_TUI_ACTOR": actor,
        "RUNS_TUI_CONFIG_DIR": str(home / "config"),
        "RUNS_TUI_CACHE_DIR": str(home / "cache"),
        "RUNS_TUI_DATA_DIR": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    if no_color:
        env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env
