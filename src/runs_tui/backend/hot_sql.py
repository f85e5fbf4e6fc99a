"""The engine's hot statements (driver saves, output appends) as plain DB-API SQL.

At 1,000 active runs a save is made dozens of times a second. Through SQLAlchemy Core each one
built, cache-keyed and wrapped its statements: ~10 ms of Python per save, most of it not the
database's (benchmarks/bench_engine.py, issue 12). Here the statements are strings made once
per dialect and run on the transaction's own DB-API cursor, in the transaction the store
opened (so the locking, fencing and sequence rules of `store.py` hold unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

RUN_COLUMNS = (
    "seq",
    "kind",
    "definition_id",
    "name",
    "status",
    "created_us",
    "version",
    "last_event_seq",
    "summary_json",
    "detail_json",
)
LEASE_COLUMNS = ("owner", "epoch", "lease_until_us")


@dataclass(frozen=True)
class HotSql:
    """The statements, spelled for one dialect (`?` for SQLite, `%s` for psycopg)."""

    placeholder: str
    row_lock: str  # " FOR UPDATE" on PostgreSQL, "" on SQLite (its writer holds the file)

    @classmethod
    def for_dialect(cls, sqlite: bool) -> HotSql:
        return cls("?", "") if sqlite else cls("%s", " FOR UPDATE")

    def _set(self, columns: tuple[str, ...]) -> str:
        return ", ".join(f"{name} = {self.placeholder}" for name in columns)

    def lock_run(self, conn: Connection, run_id: str) -> tuple[int, int, str, int, int] | None:
        """(version, last_event_seq, owner, epoch, seq) under the run's row lock."""
        p = self.placeholder
        return self._one(
            conn,
            f"SELECT version, last_event_seq, owner, epoch, seq FROM runs WHERE id = {p}"
            + self.row_lock,
            (run_id,),
        )

    def take_seqs(self, conn: Connection, count: int, counter: str) -> int:
        p = self.placeholder
        row = self._one(
            conn,
            f"UPDATE counters SET value = value + {p} WHERE name = {p} RETURNING value",
            (count, counter),
        )
        assert row is not None, f"the {counter} counter is missing"
        return int(row[0])

    def insert_events(self, conn: Connection, rows: list[tuple[str, int, str]]) -> None:
        if rows:
            p = self.placeholder
            self._many(
                conn,
                f"INSERT INTO run_events (run_id, seq, event_json) VALUES ({p}, {p}, {p})",
                rows,
            )

    def update_run(self, conn: Connection, run_id: str, values: dict[str, Any]) -> None:
        """`values`: some of RUN_COLUMNS and LEASE_COLUMNS (the statement is cached per set)."""
        columns = tuple(values)
        self._many(
            conn,
            f"UPDATE runs SET {self._set(columns)} WHERE id = {self.placeholder}",
            [(*values.values(), run_id)],
        )

    def step_output(self, conn: Connection, run_id: str, step_id: str) -> tuple[int, bool] | None:
        p = self.placeholder
        row = self._one(
            conn,
            f"SELECT size_bytes, truncated FROM step_outputs WHERE run_id = {p} AND step_id = {p}",
            (run_id, step_id),
        )
        return None if row is None else (int(row[0]), bool(row[1]))

    def insert_output(
        self, conn: Connection, run_id: str, step_id: str, text: str, size: int, truncated: bool
    ) -> None:
        p = self.placeholder
        self._many(
            conn,
            "INSERT INTO step_outputs (run_id, step_id, output, size_bytes, truncated) "
            f"VALUES ({p}, {p}, {p}, {p}, {p})",
            [(run_id, step_id, text, size, truncated)],
        )

    def extend_output(
        self, conn: Connection, run_id: str, step_id: str, text: str, size: int, truncated: bool
    ) -> None:
        p = self.placeholder
        self._many(
            conn,
            f"UPDATE step_outputs SET output = output || {p}, size_bytes = size_bytes + {p}, "
            f"truncated = {p} WHERE run_id = {p} AND step_id = {p}",
            [(text, size, truncated, run_id, step_id)],
        )

    def notify(self, conn: Connection, channel: str, payload: str) -> None:
        p = self.placeholder
        self._one(conn, f"SELECT pg_notify({p}, {p})", (channel, payload))

    @staticmethod
    def _one(conn: Connection, sql: str, params: tuple[Any, ...]) -> Any:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()

    @staticmethod
    def _many(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()
