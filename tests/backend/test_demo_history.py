"""Demo history seeding and live demo traffic."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from runs_tui.backend.demo import DemoTraffic, seed_history
from runs_tui.models.domain import TriggerKind
from runs_tui.models.status import RunStatus as S

try:
    from engine_harness import Harness, assert_legal
except ImportError:
    from .engine_harness import Harness, assert_legal  # type: ignore[no-redef]


def test_seed_history_mix_of_statuses_triggers_and_times(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    started = time.monotonic()
    assert seed_history(h.store, h.clock, 3000, h.engine.loaded_definitions) == 3000
    assert time.monotonic() - started < 30
    runs = h.store.list_runs(limit=3000).runs
    statuses = Counter(r.status for r in runs)
    assert {S.COMPLETED_SUCCESS, S.COMPLETED_FAILURE, S.COMPLETED_PARTIAL, S.CANCELLED, S.NO_STEPS} <= set(statuses)
    assert statuses[S.COMPLETED_SUCCESS] > len(runs) / 2
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
    assert {r.status for r in runs} & {S.WAITING_FOR_USER_INPUT_TRIAGE, S.WAITING_FOR_USER_INPUT_REMEDIATION}
    assert all(r.status not in (S.PENDING, S.IDENTIFYING_TOOLS) for r in runs)
    for run in runs:
        assert_legal(run)
    assert h.engine.active_run_count() == sum(1 for r in runs if not r.status.is_terminal)
    await h.engine.stop()
