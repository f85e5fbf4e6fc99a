"""One backend per SQLite file.

SQLite has no notifications and its engine takes over every unfinished run at start, so two
backends on one file would drive the same runs twice. A backend on SQLite therefore holds an
exclusive `flock` on `<database>.lock` while it runs; a second one is refused with a message
saying why. The kernel drops the lock when the process dies (even by kill -9), so a crashed
backend never blocks the next start. Replicas belong on PostgreSQL (docs/deployment.md).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import make_url


class DatabaseInUse(Exception):
    """Another backend process serves this SQLite file."""


class SqliteLock:
    """Context manager; a no-op for URLs that are not an SQLite file (PostgreSQL, `:memory:`)."""

    def __init__(self, db_url: str) -> None:
        self.path = _lock_path(db_url)
        self._fd: int | None = None

    def acquire(self) -> SqliteLock:
        """Raises `DatabaseInUse`."""
        if self.path is None or self._fd is not None:
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            database = self.path.with_suffix("")
            raise DatabaseInUse(
                f"another runs-tui backend is already serving {database}: "
                "SQLite takes one backend per database file "
                "(run several replicas on PostgreSQL, see docs/deployment.md)"
            ) from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> SqliteLock:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _lock_path(db_url: str) -> Path | None:
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = Path(url.database)
    return database.with_name(database.name + ".lock")
