"""Fixed data for the dashboard tests: runs placed relative to a frozen clock, hostile strings.

Importable by any UI test module (`from ui.ui_data import ...`); the fixtures are in conftest.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runs_tui.cache import Cache
from runs_tui.models import ChangesPage, DefinitionSummary, RunKind, RunStatus, RunSummary, Trigger
from runs_tui.models.domain import TriggerKind

REPO = Path(__file__).resolve().parents[2]
HOSTILE_PATH = REPO / "tests" / "data" / "hostile-strings.json"
NOW = datetime(2025, 11, 25, 14, 30, tzinfo=UTC)


# --- data --------------------------------------------------------------------------------------


def make_run(
    index: int,
    name: str,
    status: RunStatus,
    *,
    age: timedelta,
    ran: timedelta | None,
    kind: RunKind = RunKind.FLOW,
    trigger: Trigger | None = None,
    now: datetime = NOW,
    **extra: Any,
) -> RunSummary:
    """A run created `age` before `now`; `ran` is how long it has run (None: not started)."""
    created = now - age
    started = created + timedelta(seconds=5) if ran is not None else None
    finished = started + ran if (started and ran is not None and status.is_terminal) else None
    return RunSummary(
        id=f"run-{index:04d}",
        kind=kind,
        definition_id=name.lower().replace(" ", "-"),
        name=name,
        status=status,
        trigger=trigger or Trigger(kind=TriggerKind.MANUAL, actor="alice"),
        created_at=created,
        started_at=started,
        finished_at=finished,
        updated_at=finished or started or created,
        version=1,
        seq=index,
        **extra,
    )


_HISTORY_NAMES = (
    "Database health check",
    "Network diagnostics",
    "Disk space remediation",
    "Certificate rotation",
    "Restart web tier",
    "Kafka lag triage",
)
_HISTORY_STATUSES = (
    RunStatus.COMPLETED_SUCCESS,
    RunStatus.COMPLETED_SUCCESS,
    RunStatus.COMPLETED_FAILURE,
    RunStatus.COMPLETED_PARTIAL,
    RunStatus.CANCELLED,
    RunStatus.COMPLETED_SUCCESS,
    RunStatus.NO_STEPS,
)
_TRIGGERS = (
    Trigger(kind=TriggerKind.CHAT, actor="alice"),
    Trigger(kind=TriggerKind.EXTERNAL, actor="pagerduty"),
    Trigger(kind=TriggerKind.SCHEDULE, actor="nightly"),
    Trigger(kind=TriggerKind.MANUAL, actor="bob"),
)


def sample_runs(now: datetime = NOW) -> list[RunSummary]:
    """A fixed set: every phase, both kinds, every trigger kind, some outside the last 24h."""
    m, h = timedelta(minutes=1), timedelta(hours=1)
    runs = [
        make_run(
            1,
            "Database health check",
            RunStatus.EXECUTING_TRIAGE,
            age=4 * m,
            ran=3 * m + 50 * timedelta(seconds=1),
            trigger=_TRIGGERS[0],
            now=now,
        ),
        make_run(
            2,
            "Disk space remediation",
            RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION,
            age=12 * m,
            ran=11 * m,
            trigger=_TRIGGERS[1],
            now=now,
        ),
        make_run(
            3,
            "Certificate rotation",
            RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION,
            age=25 * m,
            ran=20 * m,
            kind=RunKind.GUIDE,
            trigger=_TRIGGERS[3],
            now=now,
        ),
        make_run(4, "API latency triage", RunStatus.SUMMARIZING, age=31 * m, ran=30 * m, now=now),
        make_run(
            5,
            "Nightly backup verification",
            RunStatus.SCHEDULED_FOR_EXECUTION,
            age=40 * m,
            ran=None,
            trigger=_TRIGGERS[2],
            now=now,
        ),
        make_run(6, "Memory leak triage", RunStatus.PENDING, age=45 * m, ran=None, now=now),
        make_run(
            7,
            "Queue drain",
            RunStatus.EXECUTING_REMEDIATION,
            age=3 * 24 * h,
            ran=3 * 24 * h,
            kind=RunKind.GUIDE,
            trigger=_TRIGGERS[1],
            now=now,
        ),
    ]
    for offset in range(24):
        status = _HISTORY_STATUSES[offset % len(_HISTORY_STATUSES)]
        runs.append(
            make_run(
                10 + offset,
                _HISTORY_NAMES[offset % len(_HISTORY_NAMES)],
                status,
                age=h + offset * 37 * m,
                ran=timedelta(seconds=45 + offset * 53),
                kind=RunKind.GUIDE if offset % 4 == 3 else RunKind.FLOW,
                trigger=_TRIGGERS[offset % len(_TRIGGERS)],
                now=now,
                error="tool timeout after 30s" if status is RunStatus.COMPLETED_FAILURE else None,
            )
        )
    runs.append(
        make_run(
            40,
            "Database health check",
            RunStatus.COMPLETED_SUCCESS,
            age=5 * 24 * h,
            ran=2 * m,
            now=now,
        )
    )
    return runs


def sample_definitions() -> list[DefinitionSummary]:
    return [
        DefinitionSummary(id=name.lower().replace(" ", "-"), kind=RunKind.FLOW, title=name)
        for name in (*_HISTORY_NAMES, "API latency triage", "Queue drain", "Memory leak triage")
    ]


def hostile_values() -> list[str]:
    """The short hostile strings (the generated 1 MiB ones are for the detail views)."""
    data = json.loads(HOSTILE_PATH.read_text(encoding="utf-8"))
    return [entry["value"] for entry in data["strings"] if "value" in entry]


def fill(cache: Cache, runs: list[RunSummary]) -> None:
    cache.apply_changes(
        ChangesPage(changes=runs, deleted=[], next_cursor=len(runs) + 1000, has_more=False)
    )


class SendsSeen:
    """A `run_test(message_hook=...)`: counts the answers the prompt posted (`Send`), the
    observable the tests use instead of a counter kept in the widget."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, message: object) -> None:
        from runs_tui.widgets.prompt import PromptPanel

        if isinstance(message, PromptPanel.Send):
            self.count += 1
