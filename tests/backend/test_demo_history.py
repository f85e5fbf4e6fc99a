"""Demo history seeding and live demo traffic."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runs_tui.backend.demo import (
    EVENTS_UP_TO,
    DemoTraffic,
    _Template,
    _templates,
    history_rows,
    seed_history,
)
from runs_tui.backend.history import T0, IsoTimes, RowTemplate
from runs_tui.models.domain import RunDetail, RunSummary, Trigger, TriggerKind
from runs_tui.models.status import RunStatus

try:
    from engine_harness import Harness, assert_legal
except ImportError:
    from .engine_harness import Harness, assert_legal  # type: ignore[no-redef]


def test_seed_history_mix_of_statuses_triggers_and_times(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    assert seed_history(h.store, h.clock, 3000, h.engine.loaded_definitions) == 3000
    runs = h.store.list_runs(limit=3000).runs
    statuses = Counter(r.status for r in runs)
    assert {
        RunStatus.COMPLETED_SUCCESS,
        RunStatus.COMPLETED_FAILURE,
        RunStatus.COMPLETED_PARTIAL,
        RunStatus.CANCELLED,
        RunStatus.NO_STEPS,
    } <= set(statuses)
    assert statuses[RunStatus.COMPLETED_SUCCESS] > len(runs) / 2
    assert {r.trigger.kind for r in runs} == set(TriggerKind)
    assert {"pagerduty", "schedule"} <= {r.trigger.actor for r in runs}
    now = h.clock.now()
    assert all(now - timedelta(days=30) <= r.created_at <= r.finished_at <= now for r in runs)
    assert len({r.id for r in runs}) == 3000
    for run_id in [r.id for r in runs[:200]]:
        detail = h.store.get_run(run_id)
        assert_legal(detail)
        for step in detail.steps:
            if step.started_at:
                assert detail.created_at <= step.started_at <= detail.finished_at


async def test_demo_traffic_starts_runs_that_move(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    traffic = DemoTraffic(h.engine, h.clock, interval=2, max_active=5, seed=7)
    ids = [await traffic.start_one() for _ in range(12)]
    for _ in range(200):
        await h.clock.advance(0.5)
    runs = [h.run(run_id) for run_id in ids]
    assert {r.status for r in runs} & {
        RunStatus.WAITING_FOR_USER_INPUT_TRIAGE,
        RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION,
    }
    assert all(r.status not in (RunStatus.PENDING, RunStatus.IDENTIFYING_TOOLS) for r in runs)
    for run in runs:
        assert_legal(run)
    assert h.engine.active_run_count() == sum(1 for r in runs if not r.status.is_terminal)
    await h.engine.stop()


def _shifted(value: Any, delta: timedelta) -> Any:
    """`value` (a model dump) with every datetime moved by `delta`."""
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, dict):
        return {key: _shifted(item, delta) for key, item in value.items()}
    if isinstance(value, list):
        return [_shifted(item, delta) for item in value]
    return value


def test_spliced_rows_read_back_as_the_equivalent_run(tmp_path: Path) -> None:
    """Every demo template, spliced into a row, reads back exactly as the pydantic run it stands
    for (times moved, own id and trigger, seq and event numbers assigned), and its change-feed
    summary is byte-for-byte what serialising that run gives."""
    h = Harness(tmp_path)
    loaded = h.engine.loaded_definitions
    templates = [t.run for d in loaded.all() for t in _templates(d, loaded.tools)]
    created_us = 1_764_590_511_000_000 + 3_599_000_000  # near an hour's end: offsets cross it
    trigger = Trigger(kind=TriggerKind.CHAT, actor="chat:#ops ✓")
    rows = [
        RowTemplate.of(run).row(
            f"h{i}", created_us + i, trigger.model_dump_json(), IsoTimes(), with_events=True
        )
        for i, run in enumerate(templates)
    ]
    assert h.store.seed_rows(rows) == len(rows)
    page = {r.id: r for r in h.store.changes(None, 1000).changes}
    for seq, (row, run) in enumerate(zip(rows, templates), start=1):
        delta = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=row.created_us) - T0
        expected = RunDetail.model_validate(
            _shifted(run.model_dump(), delta)
            | {
                "id": row.id,
                "trigger": trigger,
                "seq": seq,
                "version": max(run.version, 1),
                "events": [
                    _shifted(e.model_dump(), delta) | {"seq": n}
                    for n, e in enumerate(run.events, start=1)
                ],
            }
        )
        assert h.store.get_run(row.id) == expected
        assert page[row.id] == RunSummary.model_validate(expected.model_dump())
        assert json.loads(f"{row.summary_head}{seq}}}") == json.loads(
            RunSummary.model_validate(expected.model_dump()).model_dump_json()
        )


def test_large_seeds_leave_out_events_but_stay_readable(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    loaded = h.engine.loaded_definitions
    templates = [
        _Template(t.run, t.weight) for d in loaded.all() for t in _templates(d, loaded.tools)
    ]
    rows = list(history_rows(templates, h.clock.now(), EVENTS_UP_TO + 1))
    assert all(row.events == () for row in rows[:100])
    assert [row.created_us for row in rows] == sorted(row.created_us for row in rows)
    assert len({row.id for row in rows}) == len(rows)
    assert h.store.seed_rows(rows[:50]) == 50
    detail = h.store.get_run(rows[49].id)
    assert detail.events == [] and detail.seq == 50 and detail.status.is_terminal
