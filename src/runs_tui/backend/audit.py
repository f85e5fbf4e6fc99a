"""Who did what: the audit events a run's log carries, and the entries of the backend's audit log.

One record, two places. An action on a run (answer, cancel, rerun, and the system's expiry)
appends an `audit` event to the run's own log, so its timeline and exports show it; the store,
in the same transaction, copies every such event into the `audit_log` table, which is not
deleted with the run. A deletion has no run left to log in: the store writes its entries
directly (`deletion_entries`). Writing both from the one event keeps them from disagreeing.

An `audit` event's data is an `AuditEntry` without its `seq` (the audit log numbers entries as
it stores them) and with `at` the event's own time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runs_tui.models.domain import (
    API_CLIENT,
    KNOWN_CLIENTS,
    AuditAction,
    AuditEntry,
    Event,
    EventType,
)
from runs_tui.models.responders import SYSTEM

BACKEND_CLIENT = "backend"
"""The client of the backend's own actions (an expiry): no program sent them."""


def client_of(header: str | None) -> str:
    """`X-Runs-Client` as recorded: `dashboard` or `cli`, anything else (or none) `api`."""
    value = (header or "").strip().lower()
    return value if value in KNOWN_CLIENTS else API_CLIENT


def audit_event(
    at: datetime,
    action: AuditAction,
    actor: str,
    client: str,
    *,
    step_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> Event:
    """The `audit` event of an action on a run (numbered by the store)."""
    data = {"action": action.value, "actor": actor, "client": client, "details": details or {}}
    return Event(seq=0, at=at, type=EventType.AUDIT, step_id=step_id, data=data)


def with_expiry_audit(events: list[Event]) -> list[Event]:
    """`events` with an `audit` event (the system's expiry) after each `input_expired` one that
    has none yet. Why derived here and not where expiry is decided: every expiry, whichever code
    path records it, is then audited the same way."""
    if not any(event.type is EventType.INPUT_EXPIRED for event in events):
        return events
    audited = {
        event.step_id
        for event in events
        if event.type is EventType.AUDIT and event.data.get("action") == AuditAction.EXPIRY.value
    }
    out: list[Event] = []
    for event in events:
        out.append(event)
        if event.type is EventType.INPUT_EXPIRED and event.step_id not in audited:
            details = {
                key: event.data[key] for key in ("on_expiry", "prompt_id") if key in event.data
            }
            out.append(
                audit_event(
                    event.at,
                    AuditAction.EXPIRY,
                    SYSTEM,
                    BACKEND_CLIENT,
                    step_id=event.step_id,
                    details=details,
                )
            )
    return out


def entries_of(run_id: str, run_name: str, events: Iterable[Event]) -> list[AuditEntry]:
    """The audit log's entries for a run's new events (seq 0: the store numbers them)."""
    return [
        AuditEntry(
            seq=0,
            at=event.at,
            action=AuditAction(event.data["action"]),
            actor=str(event.data.get("actor", "")),
            client=str(event.data.get("client", API_CLIENT)),
            run_id=run_id,
            run_name=run_name,
            step_id=event.step_id,
            details=dict(event.data.get("details") or {}),
        )
        for event in events
        if event.type is EventType.AUDIT
    ]


@dataclass(frozen=True)
class Stamp:
    """Who acts and through what, for an action the store records itself (a deletion)."""

    actor: str
    client: str
    action: AuditAction = AuditAction.DELETE


def deletion_entries(
    stamp: Stamp, at: datetime, deleted: Iterable[tuple[str, str]], batch_size: int
) -> list[AuditEntry]:
    """One entry per deleted run (id, name): it outlives the run."""
    details = {"batch_size": batch_size} if stamp.action is AuditAction.BULK_DELETE else {}
    return [
        AuditEntry(
            seq=0,
            at=at,
            action=stamp.action,
            actor=stamp.actor,
            client=stamp.client,
            run_id=run_id,
            run_name=name,
            details=dict(details),
        )
        for run_id, name in deleted
    ]
