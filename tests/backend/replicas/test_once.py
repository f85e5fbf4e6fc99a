"""Exactly once across replicas: demo history is seeded once per database, and each scheduled
run is created once, however many replicas start (at once, or again later)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy

from .conftest import ReplicaFactory, wait_until

pytestmark = pytest.mark.postgres

HISTORY = 30


def _micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _counts(pg_url: str, before_us: int) -> tuple[int, int]:
    """(runs created before the first start: the seeded history,
    upcoming database-health-check runs)."""
    engine = sqlalchemy.create_engine(pg_url)
    with engine.connect() as conn:
        history = conn.exec_driver_sql(
            "SELECT count(*) FROM runs WHERE created_us < %s", (before_us,)
        ).scalar_one()
        upcoming = conn.exec_driver_sql(
            "SELECT count(*) FROM runs WHERE definition_id = 'database-health-check' "
            "AND status = 'scheduled_for_execution'"
        ).scalar_one()
    engine.dispose()
    return int(history), int(upcoming)


def test_two_demo_replicas_seed_history_once_and_schedule_each_run_once(
    replicas: ReplicaFactory, pg_url: str
) -> None:
    started_us = _micros(datetime.now(UTC))
    demo = ("--demo", "--history", str(HISTORY))
    a = replicas(
        "a", *demo, definitions=None, wait=False
    )  # both start at once: seeding and schedules race
    b = replicas("b", *demo, definitions=None, wait=False)
    for replica in (a, b):
        wait_until(lambda replica=replica: replica.http.get("/health").status_code == 200, 60)
    wait_until(
        lambda: _counts(pg_url, started_us) == (HISTORY, 1),
        30,
        what="history and the schedule's run",
    )
    time.sleep(2.5)  # a few schedule ticks on both replicas
    assert _counts(pg_url, started_us) == (HISTORY, 1)
    a.stop()  # a second --demo start on the same database simply works, and seeds nothing
    again = replicas("a2", *demo, definitions=None)
    time.sleep(2.5)
    assert again.http.get("/runs", params={"limit": 1}).status_code == 200
    assert _counts(pg_url, started_us) == (HISTORY, 1)
