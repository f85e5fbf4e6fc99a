"""Run details (steps, variables, events) fetched on demand, and the known definitions.

A detail keeps its own summary exactly as fetched (the list row may be newer, from the change
feed), so `get_detail` returns what the server sent, field for field. Steps keep their nested
tool/prompt/response as JSON next to the columns a screen might want without parsing.
Storing a detail also refreshes the run's list row when the detail is newer; it never
creates a row, because membership of the list is the change feed's to decide.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from runs_tui.cache.rows import moment
from runs_tui.cache.writes import DETAIL_TABLES, NameIds, current_generation, upsert_runs
from runs_tui.models import DefinitionSummary, Event, RunDetail, RunSummary, Step, Variable
from runs_tui.models.ordering import micros


@dataclass(frozen=True)
class CachedDetail:
    detail: RunDetail
    etag: str | None
    fetched_at: datetime


def store_detail(
    conn: sqlite3.Connection,
    names: NameIds,
    detail: RunDetail,
    etag: str | None,
    fetched_at: datetime,
) -> None:
    """Replace the cached detail of `detail.id`; call inside one write transaction."""
    run_id = detail.id
    for table in DETAIL_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
    summary = RunSummary.model_validate(detail.model_dump(exclude={"steps", "variables", "events"}))
    conn.execute(
        "INSERT INTO run_details (run_id, etag, fetched_at, summary_json) VALUES (?, ?, ?, ?)",
        (run_id, etag, micros(fetched_at), summary.model_dump_json()),
    )
    conn.executemany(
        "INSERT INTO run_steps (run_id, position, step_id, phase, title, status, step_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (run_id, i, s.id, s.phase.value, s.title, s.status.value, s.model_dump_json())
            for i, s in enumerate(detail.steps)
        ],
    )
    conn.executemany(
        "INSERT INTO run_variables (run_id, position, name, value, direction, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                run_id,
                i,
                v.name,
                v.value,
                v.direction.value,
                v.updated_at.isoformat() if v.updated_at else None,
            )
            for i, v in enumerate(detail.variables)
        ],
    )
    conn.executemany(
        "INSERT INTO run_events (run_id, position, seq, at, type, step_id, data_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                run_id,
                i,
                e.seq,
                e.at.isoformat(),
                e.type.value,
                e.step_id,
                json.dumps(e.model_dump(mode="json")["data"], ensure_ascii=False),
            )
            for i, e in enumerate(detail.events)
        ],
    )
    _refresh_list_row(conn, names, summary)


def _refresh_list_row(conn: sqlite3.Connection, names: NameIds, summary: RunSummary) -> None:
    row = conn.execute("SELECT seq FROM runs WHERE id = ?", (summary.id,)).fetchone()
    if row is not None and summary.seq >= row[0]:
        upsert_runs(conn, names, [summary], _generation_of(conn, summary.id))


def _generation_of(conn: sqlite3.Connection, run_id: str) -> int:
    """Keep the row's generation: a detail is not evidence for a running full resync."""
    row = conn.execute("SELECT seen_generation FROM runs WHERE id = ?", (run_id,)).fetchone()
    return int(row[0]) if row else current_generation(conn)


def load_detail(conn: sqlite3.Connection, run_id: str) -> CachedDetail | None:
    head = conn.execute(
        "SELECT etag, fetched_at, summary_json FROM run_details WHERE run_id = ?", (run_id,)
    ).fetchone()
    if head is None:
        return None
    etag, fetched_at, summary_json = head
    steps = [
        Step.model_validate_json(text)
        for (text,) in conn.execute(
            "SELECT step_json FROM run_steps WHERE run_id = ? ORDER BY position", (run_id,)
        )
    ]
    variables = [
        Variable(
            name=name,
            value=value,
            direction=direction,
            updated_at=datetime.fromisoformat(at) if at else None,
        )
        for name, value, direction, at in conn.execute(
            "SELECT name, value, direction, updated_at FROM run_variables WHERE run_id = ? "
            "ORDER BY position",
            (run_id,),
        )
    ]
    events = [
        Event(
            seq=seq,
            at=datetime.fromisoformat(at),
            type=kind,
            step_id=step_id,
            data=json.loads(data),
        )
        for seq, at, kind, step_id, data in conn.execute(
            "SELECT seq, at, type, step_id, data_json FROM run_events WHERE run_id = ? "
            "ORDER BY position",
            (run_id,),
        )
    ]
    summary = json.loads(summary_json)
    detail = RunDetail.model_validate(
        {**summary, "steps": steps, "variables": variables, "events": events}
    )
    return CachedDetail(detail, etag, moment(fetched_at))


def replace_definitions(conn: sqlite3.Connection, definitions: list[DefinitionSummary]) -> None:
    conn.execute("DELETE FROM definitions")
    conn.executemany(
        "INSERT OR REPLACE INTO definitions (id, kind, title, definition_json) VALUES (?, ?, ?, ?)",
        [(d.id, d.kind.value, d.title, d.model_dump_json()) for d in definitions],
    )


def load_definitions(conn: sqlite3.Connection) -> list[DefinitionSummary]:
    return [
        DefinitionSummary.model_validate_json(text)
        for (text,) in conn.execute(
            "SELECT definition_json FROM definitions ORDER BY kind, title, id"
        )
    ]
