"""The health figures read from the cache equal a brute-force count over the same runs.

Random histories (several flows and guides, every status, runs deleted and rewritten as a
sync would) go into a real cache; `Cache.health` must then give, for every window, exactly
what `models.health.definition_health` counts from the whole history in plain Python."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs_tui.cache import Cache
from runs_tui.cache import health as health_sql
from runs_tui.models import ChangesPage, RunKind, RunStatus, RunSummary, Trigger, TriggerKind
from runs_tui.models.health import (
    DefinitionKey,
    HealthRun,
    HealthWindow,
    definition_health,
    getting_worse_first,
    window_span,
)
from runs_tui.models.ordering import micros

NOW = datetime(2024, 5, 20, 12, 30, tzinfo=UTC)
NAMES = ["Database failover", "Disk full", "Ünïcode guide"]

OUTCOMES = [RunStatus.COMPLETED_SUCCESS] * 3 + [
    RunStatus.COMPLETED_FAILURE,
    RunStatus.COMPLETED_PARTIAL,
    RunStatus.CANCELLED,
    RunStatus.NO_STEPS,
]
runs = st.lists(
    st.tuples(
        # seconds before now: mostly within the windows and the ones before them, some older
        st.one_of(
            st.integers(0, 2 * 86400),
            st.integers(0, 14 * 86400),
            st.integers(0, 75 * 86400),
        ),
        st.one_of(st.sampled_from(OUTCOMES), st.sampled_from(RunStatus)),
        st.one_of(st.just(NAMES[0]), st.sampled_from(NAMES)),  # long histories and short
        st.one_of(st.just(RunKind.FLOW), st.sampled_from(RunKind)),
        st.none() | st.integers(0, 600),  # start after creation
        st.integers(0, 7200),  # finish after start
    ),
    min_size=10,
    max_size=60,
)


def summary(index: int, spec: tuple[int, RunStatus, str, RunKind, int | None, int]) -> RunSummary:
    ago, status, name, kind, start_after, took = spec
    created = NOW - timedelta(seconds=ago, microseconds=index)  # distinct creation times
    started = None if start_after is None else created + timedelta(seconds=start_after)
    finished = (started or created) + timedelta(seconds=took) if status.is_terminal else None
    return RunSummary(
        id=f"run-{index:04d}",
        kind=kind,
        definition_id=f"{kind.value}-{name}",
        name=name,
        status=status,
        trigger=Trigger(kind=TriggerKind.MANUAL, actor="ann"),
        created_at=created,
        started_at=started,
        finished_at=finished,
        updated_at=finished or started or created,
        version=1,
        seq=index + 1,
    )


def as_health_run(run: RunSummary) -> HealthRun:
    return HealthRun(
        run.status,
        micros(run.created_at),
        None if run.started_at is None else micros(run.started_at),
        None if run.finished_at is None else micros(run.finished_at),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=runs,
    deleted=st.sets(st.integers(0, 59), max_size=10),
    window=st.sampled_from([HealthWindow.LAST_24H, HealthWindow.LAST_7D, HealthWindow.LAST_30D]),
    whole_at_most=st.sampled_from([0, 5, health_sql.WHOLE_AT_MOST]),
)
def test_cache_health_equals_a_brute_force_count(
    history: list[tuple[int, RunStatus, str, RunKind, int | None, int]],
    deleted: set[int],
    window: HealthWindow,
    whole_at_most: int,
) -> None:
    """`whole_at_most` sends definitions through the index path (0: all of them) or the
    read-whole path (the default: most of these small histories)."""
    summaries = [summary(index, spec) for index, spec in enumerate(history)]
    gone = [run.id for index, run in enumerate(summaries) if index in deleted]
    kept = [run for index, run in enumerate(summaries) if index not in deleted]
    span = window_span(window, NOW)
    with tempfile.TemporaryDirectory() as tmp, Cache.open(Path(tmp) / "c.sqlite3") as cache:
        half = len(summaries) // 2
        cache.apply_changes(
            ChangesPage(changes=summaries[:half], deleted=[], next_cursor=1, has_more=False)
        )
        cache.apply_changes(
            ChangesPage(changes=summaries[half:], deleted=gone, next_cursor=2, has_more=False)
        )
        kept_limit = health_sql.WHOLE_AT_MOST
        health_sql.WHOLE_AT_MOST = whole_at_most
        try:
            lines = cache.health(span)
        finally:
            health_sql.WHOLE_AT_MOST = kept_limit
    by_key: dict[DefinitionKey, list[HealthRun]] = {}
    for run in kept:
        by_key.setdefault(DefinitionKey(run.kind, run.name), []).append(as_health_run(run))
    expected = getting_worse_first(
        definition_health(key, runs, span) for key, runs in by_key.items()
    )
    shown = {line.key: line for line in lines}
    for line in expected:
        got = shown.pop(line.key)
        assert got == line
    assert shown == {}
    assert [line.key for line in lines] == [line.key for line in expected]


def test_a_listed_definition_without_runs_has_an_empty_line(tmp_path: Path) -> None:
    from runs_tui.models import DefinitionSummary

    with Cache.open(tmp_path / "c.sqlite3") as cache:
        cache.replace_definitions(
            [DefinitionSummary(id="g1", kind=RunKind.GUIDE, title="Never run")]
        )
        (line,) = cache.health(window_span(HealthWindow.LAST_7D, NOW))
    assert line.key == DefinitionKey(RunKind.GUIDE, "Never run")
    assert line.counts.runs == 0 and line.latest == () and line.p50 is None


def test_recent_record_counts_the_latest_judged_runs(tmp_path: Path) -> None:
    statuses = [RunStatus.COMPLETED_FAILURE] * 3 + [RunStatus.COMPLETED_SUCCESS] * 9
    statuses += [RunStatus.CANCELLED, RunStatus.EXECUTING_TRIAGE]
    history = [
        summary(i, (3600 * (20 - i), status, "Disk full", RunKind.FLOW, 5, 60))
        for i, status in enumerate(statuses)
    ]
    with Cache.open(tmp_path / "c.sqlite3") as cache:
        cache.apply_changes(ChangesPage(changes=history, deleted=[], next_cursor=1, has_more=False))
        record = cache.recent_record(RunKind.FLOW, "Disk full")
        other = cache.recent_record(RunKind.GUIDE, "Disk full")
    assert (record.finished, record.failed) == (10, 1)
    assert record.words() == "1 of the last 10 runs failed"
    assert other.words() == "no finished run yet"
