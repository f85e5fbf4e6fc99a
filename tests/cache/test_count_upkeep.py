"""The count tables must always equal a GROUP BY over `runs`, whatever writes ran."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs_tui.cache import Cache
from runs_tui.cache.writes import COUNT_TABLES
from runs_tui.models import RunDetail, RunKind, RunStatus
from tests.cache.factories import NOW, make_runs, page

POOL = make_runs(40, seed=3)


def _bucket_counts(path: Path) -> list[tuple[dict[tuple, int], dict[tuple, int]]]:
    """(kept, actual) counts per count table; no kept row may be zero."""
    conn = sqlite3.connect(path)
    pairs = []
    for table in COUNT_TABLES:
        columns = ", ".join(table.key_columns)
        width = len(table.key_columns)
        kept = {
            row[:width]: row[width]
            for row in conn.execute(f"SELECT {columns}, n FROM {table.name}")
        }
        grouping = columns.replace("period", "created_at / ?")
        positions = ", ".join(str(n) for n in range(1, width + 1))
        actual = {
            row[:width]: row[width]
            for row in conn.execute(
                f"SELECT {grouping}, count(*) FROM runs GROUP BY {positions}", (table.period,)
            )
        }
        pairs.append((kept, actual))
    conn.close()
    return pairs


operations = st.lists(
    st.tuples(
        st.sampled_from(["upsert", "stale", "delete", "resync", "detail"]),
        st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=8),
        st.integers(0, 10**6),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_counts_follow_every_write(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, list[int], int]]
) -> None:
    path = tmp_path_factory.mktemp("upkeep") / "runs.sqlite3"
    seq = 1000
    with Cache.open(path) as cache:
        for op, picks, salt in ops:
            rng = random.Random(salt)
            seq += 1
            chosen = [POOL[i] for i in picks]
            if op in ("upsert", "stale", "detail"):
                changed = [
                    run.model_copy(
                        update={
                            "status": rng.choice(list(RunStatus)),
                            "kind": rng.choice(list(RunKind)),
                            "name": rng.choice(["A", "B", run.name]),
                            "created_at": run.created_at.replace(day=rng.randint(1, 28)),
                            "seq": seq if op != "stale" else 1,
                        }
                    )
                    for run in chosen
                ]
                if op == "detail":
                    for run in changed:
                        cache.store_detail(RunDetail(**run.model_dump()), None, NOW)
                else:
                    cache.apply_changes(page(changed, seq))
            elif op == "delete":
                cache.apply_changes(page([], seq, deleted=[run.id for run in chosen]))
            else:
                cache.begin_full_resync()
                cache.apply_changes(page(chosen, seq))
                cache.finish_full_resync()
            for kept, actual in _bucket_counts(path):
                assert kept == actual
