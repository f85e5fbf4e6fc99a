"""The dashboard ends when its terminal goes away, instead of living on as an orphan.

Over SSH a dropped connection closes the pty's master side: the dashboard gets SIGHUP, reads
fail with EIO and writes fail too. Textual's Linux driver turns the failed read into a panic and
its writer thread dies on the failed write, after which the app blocks for ever on the writer's
full queue: the process (and the embedded backend in it) was found still running hours later.
`TerminalLossDriver` turns each of those signs into one orderly exit, so the caller's cleanup
(closing the client, the cache, stopping the embedded backend) runs as on `q`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from typing import IO, Any

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

HANG_UP_EXIT_CODE = 128 + signal.SIGHUP  # the shell's convention for "ended by SIGHUP"


def run_app(app: App[Any]) -> int:
    """Run the app on the terminal-loss-aware driver; its exit code (129 after a hang-up)."""
    app.driver_class = TerminalLossDriver
    app.run()
    return int(app.return_code or 0)


class _GuardedOutput:
    """The driver's output file, for its writer thread: the first failed write reports the
    loss and every later write is dropped (a dead writer thread would block the app)."""

    def __init__(self, file: IO[str], on_loss: Any) -> None:
        self._file = file
        self._on_loss = on_loss
        self._lost = False

    def write(self, text: str) -> None:
        if not self._lost:
            self._guard(lambda: self._file.write(text))

    def flush(self) -> None:
        if not self._lost:
            self._guard(self._file.flush)

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return True

    def _guard(self, action: Any) -> None:
        try:
            action()
        except (OSError, ValueError):
            self._lost = True
            self._on_loss()


class TerminalLossDriver(LinuxDriver):
    """LinuxDriver that exits the app on SIGHUP, on a failed terminal read or write."""

    def __init__(self, app: App[Any], **options: Any) -> None:
        super().__init__(app, **options)
        self._loss_lock = threading.Lock()
        self._terminal_lost = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._file = _GuardedOutput(self._file, self.terminal_lost)  # type: ignore[arg-type]

    def start_application_mode(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.add_signal_handler(signal.SIGHUP, self.terminal_lost)
        super().start_application_mode()

    def stop_application_mode(self) -> None:
        super().stop_application_mode()
        if self._loop is not None and not self._terminal_lost:
            self._loop.remove_signal_handler(signal.SIGHUP)

    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()
        except OSError:  # EIO: the other side of the pty is closed
            self.terminal_lost()

    def terminal_lost(self) -> None:
        """Safe from any thread; only the first call acts."""
        with self._loss_lock:
            if self._terminal_lost:
                return
            self._terminal_lost = True
        _silence_terminal()
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                self._loop.call_soon_threadsafe(self._exit_app)

    def _exit_app(self) -> None:
        """On the app's loop: a second hang-up must not kill the process mid-cleanup."""
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        self._app.exit(return_code=HANG_UP_EXIT_CODE)


def _silence_terminal() -> None:
    """Point stdout and stderr at /dev/null, so the goodbye writes of the shutdown (the
    driver's, Python's final flush) succeed instead of failing on the dead terminal."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                os.dup2(devnull, fd)
        os.close(devnull)
