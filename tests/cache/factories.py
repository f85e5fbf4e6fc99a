"""Runs for cache tests, and a plain-Python oracle of what a filter should show."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runs_tui.models import (
    ChangesPage,
    RunFilter,
    RunKind,
    RunStatus,
    RunSummary,
    StatusGroup,
    TimePreset,
    Trigger,
    TriggerKind,
)
from runs_tui.models.ordering import sort_value

NOW = datetime(2024, 5, 20, 12, 30, tzinfo=UTC)
HOSTILE_FILE = Path(__file__).resolve().parents[1] / "data" / "hostile-strings.json"


def hostile_strings() -> list[str]:
    """Every corpus value, `generate` entries expanded."""
    entries = json.loads(HOSTILE_FILE.read_text(encoding="utf-8"))["strings"]
    values = []
    for entry in entries:
        if "generate" in entry:
            values.append(entry["generate"]["repeat"] * entry["generate"]["times"])
        else:
            values.append(entry["value"])
    return values


def make_run(
    index: int, rng: random.Random, *, names: list[str], now: datetime = NOW, **overrides: Any
) -> RunSummary:
    status = rng.choice(list(RunStatus))
    created = now - timedelta(seconds=rng.randrange(40 * 86400))
    started = None if rng.random() < 0.15 else created + timedelta(seconds=rng.randrange(600))
    finished = None
    if status.is_terminal and rng.random() < 0.9:
        finished = (started or created) + timedelta(seconds=rng.randrange(1, 7200))
    fields: dict[str, Any] = {
        "id": f"run-{index:06d}",
        "kind": rng.choice(list(RunKind)),
        "definition_id": f"def-{index % 7}",
        "name": rng.choice(names),
        "status": status,
        "trigger": Trigger(
            kind=rng.choice(list(TriggerKind)),
            actor=rng.choice(["alice", "Bob", "cron", "", "zoë"]),
        ),
        "created_at": created,
        "started_at": started,
        "finished_at": finished,
        "updated_at": finished or started or created,
        "inputs": {"host": f"web-{index % 5}"} if index % 3 else {},
        "version": 1,
        "seq": index + 1,
    }
    fields.update(overrides)
    return RunSummary(**fields)


def make_runs(count: int, seed: int = 7, names: list[str] | None = None) -> list[RunSummary]:
    rng = random.Random(seed)
    pool = names or [
        "Database health check",
        "Disk full",
        "Network diagnostics",
        "DNS",
        "Restart web tier",
        "Ünïcode Flow",
        "a_b%c",
        'Quote "me"',
    ]
    return [make_run(i, rng, names=pool) for i in range(count)]


def page(runs: list[RunSummary], cursor: int, deleted: list[str] | None = None) -> ChangesPage:
    return ChangesPage(changes=runs, deleted=deleted or [], next_cursor=cursor, has_more=False)


def matches(run: RunSummary, f: RunFilter, now: datetime, *, statuses: bool = True) -> bool:
    if statuses and f.statuses and run.status not in f.statuses:
        return False
    if f.kind is not None and run.kind is not f.kind:
        return False
    if f.name and f.name.casefold() not in run.name.casefold():
        return False
    start, end = f.time.bounds(now)
    in_range = (start is None or run.created_at >= start) and (end is None or run.created_at < end)
    return in_range or (f.time.includes_active and run.status.is_active)


def expected_rows(runs: list[RunSummary], f: RunFilter, now: datetime) -> list[RunSummary]:
    """`runs` (in the order the cache received them) as `f` lists them: ties on the sort
    value break on arrival order, as the cache's row ids do."""
    arrival = {run.id: position for position, run in enumerate(runs)}
    shown = [run for run in runs if matches(run, f, now)]
    return sorted(shown, key=lambda r: (sort_value(r, f.sort), arrival[r.id]), reverse=f.descending)


def expected_groups(runs: list[RunSummary], f: RunFilter, now: datetime) -> dict[StatusGroup, int]:
    shown = [run for run in runs if matches(run, f, now, statuses=False)]
    return {g: sum(1 for r in shown if r.status in g.statuses) for g in StatusGroup}


PRESETS = [TimePreset.LAST_24H, TimePreset.LAST_7D, TimePreset.LAST_30D, TimePreset.ALL]
