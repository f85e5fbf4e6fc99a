"""WAL checkpoints on a thread of their own, off the writer's path.

Why: SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold, so the
writer — a sync applying pages — stops to copy the WAL back into the database file: about
6 % of a first sync's time, measured with `benchmarks/bench_cache.py`. A cache writer instead
raises that threshold out of the way (`FALLBACK_PAGES`) and reports its commits here; once
enough rows changed since the last checkpoint, a daemon thread runs a PASSIVE checkpoint (one
that never waits for readers or for the writer) on its own connection, so the copying happens
on another core while the next page is applied. sqlite3 releases the GIL while SQLite works,
so the two really overlap.

Checkpoints are batched by rows changed, not run per commit: a checkpoint syncs the WAL and
the database file to disk, and an idle dashboard commits a few rows at every poll (a
checkpoint per commit made ~3 fsyncs of each). The fallback threshold stays as a safety net:
should this thread fall behind (or a long-lived reader pin the WAL), the writer checkpoints
by itself again, just later. A killed process loses nothing: the WAL is recovered on the next
open, as always.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

FALLBACK_PAGES = 4096
"""`wal_autocheckpoint` of a cache writer (64 MiB of 16 KiB pages, 16 MiB in caches made
with 4 KiB pages): only if this thread falls behind. SQLite's default is 1000 pages."""
CHANGES_PER_CHECKPOINT = 1000
"""Rows written (inserted, updated or deleted) between two background checkpoints: one
page of a bulk load, or hundreds of idle polls."""
WAL_SIZE_LIMIT = 64 * 1024 * 1024
"""`journal_size_limit`: after a big load the WAL file is truncated back to this size."""
SETTLE_SECONDS = 0.02
"""Pause after each checkpoint so a burst of commits is copied in one go, not one by one."""


class Checkpointer:
    """Checkpoints `path`'s WAL on a daemon thread whenever `nudge` is called."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._uri = f"{path.resolve().as_uri()}?mode=rw"  # never creates a file
        self._changes_at_nudge = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @staticmethod
    def configure_writer(conn: sqlite3.Connection) -> None:
        """Hand the writer's checkpoints to this thread (see the module docstring)."""
        conn.execute(f"PRAGMA wal_autocheckpoint = {FALLBACK_PAGES}")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")

    def committed(self, total_changes: int) -> None:
        """The writer committed; `total_changes` is its connection's running row count."""
        if total_changes - self._changes_at_nudge >= CHANGES_PER_CHECKPOINT:
            self._changes_at_nudge = total_changes
            self.nudge()

    def nudge(self) -> None:
        """A commit happened: checkpoint soon. Starts the thread on first use."""
        with self._lock:
            if self._stop.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"checkpoint {self._path.name}", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        """Ask the thread to end after the checkpoint under way, if any, without waiting."""
        with self._lock:
            self._stop.set()
        self._wake.set()

    def close(self) -> None:
        """Stop the thread and wait for it."""
        self.stop()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(
                self._uri, uri=True, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error:
            return  # the writer's own fallback checkpoints still bound the WAL
        try:
            while True:
                self._wake.wait()
                if self._stop.is_set():
                    return
                self._wake.clear()
                checkpoint(conn)
                self._stop.wait(SETTLE_SECONDS)  # nudges meanwhile leave `_wake` set
        finally:
            conn.close()


def checkpoint(conn: sqlite3.Connection) -> None:
    """One PASSIVE checkpoint. Any failure (busy, locked, a file replaced under us) just
    means "next time": this thread must never print over the dashboard or stop a sync."""
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error:
        pass
