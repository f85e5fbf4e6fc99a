"""Opening a cache file: pragmas, explicit transactions, and the schema version check.

Every write runs in `BEGIN IMMEDIATE`: a deferred transaction that later upgrades to a write
lock fails at once with "database is locked" when another process got there first, while an
immediate one waits (up to the busy timeout) for the lock it needs before doing anything.
The connection is in autocommit mode so that Python's sqlite3 module never opens transactions
behind our back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runs_tui.cache.schema_sql import CREATE_SCHEMA, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 5000
PAGE_SIZE = 16384
"""Bytes per database page, for new files. Bigger than SQLite's 4096 because the cache is
written in bulk (a first sync appends 100k-row pages and builds six indexes by sorting):
fewer, fuller pages cut a bulk load by about 4 %, and a window read still touches only a
handful of pages."""
READ_CACHE_KIB = 2000  # SQLite's default page cache: what an idle dashboard keeps
WRITE_CACHE_KIB = 65536
"""Page cache while writing: a page of changes touches eight indexes at scattered places, and a
small cache spills and re-reads pages mid-transaction (measured: ~15-20 % faster applies).
It is shrunk back after each write, so the resident memory of an idle cache stays flat."""


class CacheTooNew(RuntimeError):
    """The file was written by a newer release whose schema this one does not understand."""

    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            f"the cache {path} has schema version {found}, but this runs-tui understands only "
            f"up to version {supported}: upgrade runs-tui, or delete the file (it is only a "
            f"cache and is refilled by the next sync)"
        )
        self.path = path
        self.found = found
        self.supported = supported


def connect(path: Path) -> sqlite3.Connection:
    """An autocommit connection in WAL mode with a busy timeout, schema checked and ready.

    A file that is not a database at all (truncated, overwritten) is moved aside to
    `<name>.corrupt` and a fresh cache created: it only ever held copies of server data.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _connect(path)
    except sqlite3.DatabaseError as error:
        if "file is not a database" not in str(error):
            raise
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.replace(path.with_name(path.name + ".corrupt" + suffix))
    return _connect(path)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # takes effect on a new file only
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = OFF")
        ensure_schema(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT`, rolled back on any exception."""
    conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.execute(f"PRAGMA cache_size = -{READ_CACHE_KIB}")


@contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A deferred read transaction, so several queries see one consistent state."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Create, keep, rebuild (older schema) or refuse (newer schema) the cache's tables.

    The check is repeated under the write lock so two processes opening an old cache at once
    rebuild it only once. Rebuilding drops everything, sync cursor included, so the next sync
    starts over and refills the cache.
    """
    if _user_version(conn) == SCHEMA_VERSION and _has_tables(conn):
        return
    with write_transaction(conn):
        found = _user_version(conn)
        if found > SCHEMA_VERSION:
            raise CacheTooNew(path, found, SCHEMA_VERSION)
        if found == SCHEMA_VERSION and _has_tables(conn):
            return
        _drop_everything(conn)
        _create_everything(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'")
    return row.fetchone() is not None


def _drop_everything(conn: sqlite3.Connection) -> None:
    """Drop every object of an older cache (dropping a virtual table drops its shadows)."""
    virtual = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        )
    ]
    for name in virtual:
        conn.execute(f'DROP TABLE IF EXISTS "{_quoted(name)}"')
    for kind in ("trigger", "view", "table"):
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'",
                (kind,),
            )
        ]
        for name in names:
            conn.execute(f'DROP {kind.upper()} IF EXISTS "{_quoted(name)}"')


def _quoted(identifier: str) -> str:
    return identifier.replace('"', '""')


def _create_everything(conn: sqlite3.Connection) -> None:
    for statement in CREATE_SCHEMA:  # compiled from `tables.py` (see `ddl.py`)
        conn.execute(statement)
    conn.execute(
        "INSERT INTO sync_state (id, resync_in_progress, bulk_loading, generation) "
        "VALUES (1, 0, 0, 0)"
    )
