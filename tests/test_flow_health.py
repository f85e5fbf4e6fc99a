"""The health rules of `models/health.py`, case by case (the SQL side is checked against
them in `tests/cache/test_health_sql.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runs_tui.models import RunKind, RunStatus
from runs_tui.models.health import (
    DefinitionHealth,
    DefinitionKey,
    HealthRun,
    HealthWindow,
    Span,
    WindowCounts,
    definition_health,
    duration_bars,
    getting_worse_first,
    outcome_marks,
    percentile,
    recent_record,
    unresolved,
    window_span,
)
from runs_tui.models.ordering import micros

S = 1_000_000  # a second in microseconds
OK, FAIL, PART = (
    RunStatus.COMPLETED_SUCCESS,
    RunStatus.COMPLETED_FAILURE,
    RunStatus.COMPLETED_PARTIAL,
)
KEY = DefinitionKey(RunKind.FLOW, "Disk full")


def run(status: RunStatus, at: int, took: int = 10, start_after: int = 1) -> HealthRun:
    started = (at + start_after) * S
    return HealthRun(status, at * S, started, started + took * S if status.is_terminal else None)


def test_percentiles_are_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile([7], 95) == 7
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([], 50) is None


def test_success_rate_leaves_cancelled_runs_out() -> None:
    counts = WindowCounts()
    for status in (OK, OK, FAIL, PART, RunStatus.CANCELLED, RunStatus.EXECUTING_TRIAGE):
        counts.add(status)
    assert counts.runs == 6
    assert counts.judged == 4
    assert counts.success_rate == 0.5
    assert counts.failure_rate == 0.5
    assert WindowCounts().success_rate is None


def test_time_to_resolution_runs_from_the_first_failure_to_the_fixing_success() -> None:
    span = Span(0, 1000 * S)
    history = [
        run(OK, 10),
        run(FAIL, 100),  # opens: started at 101
        run(RunStatus.CANCELLED, 150),  # neither opens nor closes
        run(PART, 200),  # already open
        run(OK, 300, took=20),  # closes: finished at 321 -> 220 s
        run(OK, 400),  # nothing open
        run(FAIL, 500),  # still open at the end
    ]
    health = definition_health(KEY, history, span)
    assert health.resolutions == 1
    assert health.mttr == 220 * S
    assert health.unresolved == 1
    assert health.counts.failed == 2 and health.counts.partial == 1


def test_a_resolution_counts_in_the_window_of_its_success_even_if_it_opened_before() -> None:
    history = [run(FAIL, 50), run(OK, 150, took=9)]  # finished at 160; opened at 51
    health = definition_health(KEY, history, Span(100 * S, 200 * S))
    assert (health.resolutions, health.mttr) == (1, 109 * S)
    assert health.previous.failed == 1 and health.counts.succeeded == 1
    assert definition_health(KEY, history, Span(0, 100 * S)).resolutions == 0


def test_unresolved_are_the_failures_after_the_latest_success() -> None:
    assert unresolved([run(FAIL, 1), run(OK, 2), run(FAIL, 3), run(PART, 4)]) == 2
    assert unresolved([run(FAIL, 5), run(OK, 6)]) == 0
    assert unresolved([run(PART, 4), run(OK, 3)]) == 1  # by creation, not by input order


def test_getting_worse_sorts_the_rise_in_failure_rate_first() -> None:
    def line(name: str, before: list[RunStatus], now: list[RunStatus]) -> DefinitionHealth:
        health = DefinitionHealth(DefinitionKey(RunKind.GUIDE, name))
        for status in before:
            health.previous.add(status)
        for status in now:
            health.counts.add(status)
        return health

    steady = line("Steady", [FAIL, OK], [FAIL, OK])  # 0.5 -> 0.5
    worse = line("Worse", [OK, OK], [FAIL, OK])  # 0 -> 0.5
    better = line("Better", [FAIL, FAIL], [OK, OK])  # 1 -> 0
    idle = line("Idle", [FAIL], [])  # nothing judged now
    new = line("New", [], [FAIL, FAIL])  # nothing before: the whole rate is the rise
    order = getting_worse_first([idle, better, steady, worse, new])
    assert [h.key.name for h in order] == ["New", "Worse", "Steady", "Better", "Idle"]
    assert worse.trend == 0.5 and idle.trend is None


def test_sparklines_read_without_colour() -> None:
    runs = [run(OK, 1, took=10), run(FAIL, 2, took=80), run(PART, 3), run(RunStatus.CANCELLED, 4)]
    runs += [HealthRun(RunStatus.EXECUTING_TRIAGE, 5 * S, 6 * S)]
    assert outcome_marks(runs) == "✓✗◐⊘·"
    bars = duration_bars(runs)
    assert len(bars) == 5 and bars[1] == "█" and bars[0] == "▁" and bars[4] == " "


def test_the_record_says_how_many_of_the_last_runs_failed() -> None:
    history = [run(FAIL, i) for i in range(3)] + [run(OK, 10 + i) for i in range(7)]
    history += [run(RunStatus.CANCELLED, 30), run(FAIL, -5)]
    record = recent_record(history)
    assert record.words() == "3 of the last 10 runs failed"
    assert recent_record([run(OK, 1)]).words() == "the last run passed"
    assert recent_record([run(FAIL, 1)]).words() == "the last run failed"
    assert recent_record([run(OK, 1), run(OK, 2)]).words() == "none of the last 2 runs failed"
    assert recent_record([]).words() == "no finished run yet"


def test_windows_end_now_and_custom_ones_are_checked() -> None:
    now = datetime(2024, 5, 20, 12, tzinfo=UTC)
    span = window_span(HealthWindow.LAST_7D, now)
    assert span == Span(micros(now - timedelta(days=7)), micros(now))
    assert span.previous.end == span.start
    custom = window_span(
        HealthWindow.CUSTOM, now, now - timedelta(hours=3), now - timedelta(hours=1)
    )
    assert custom.end - custom.start == 2 * 3600 * S
    with pytest.raises(ValueError):
        window_span(HealthWindow.CUSTOM, now, now, now - timedelta(hours=1))
