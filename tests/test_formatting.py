"""The shared duration, age and time-zone words (`runs_tui.formatting`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from runs_tui.formatting import (
    NO_DURATION,
    age_words,
    aware,
    clock_time,
    clock_words,
    countdown_words,
    due_words,
    elapsed,
    format_duration,
    format_duration_unspaced,
    format_span,
    run_elapsed,
    run_is_ticking,
)
from runs_tui.models.domain import RunSummary, Trigger
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (None, "—"),
        (-5, "0s"),
        (0, "0s"),
        (0.9, "0s"),
        (59, "59s"),
        (61, "1m 01s"),
        (3599, "59m 59s"),
        (3661, "1h 01m"),
        (86399, "23h 59m"),
        (90000, "1d 01h"),
    ],
)
def test_format_duration_keeps_the_two_largest_units(seconds: float | None, words: str) -> None:
    assert format_duration(seconds) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0s"),
        (0.4, "0.4s"),
        (2, "2s"),
        (4.5, "4.5s"),
        (9.96, "10s"),
        (10.5, "10s"),
        (185, "3m 05s"),
    ],
)
def test_tenths_below_10s_show_only_for_short_spans(seconds: float, words: str) -> None:
    assert format_duration(seconds, tenths_below_10s=True) == words


def test_format_span_is_the_precise_style_for_timedeltas() -> None:
    assert format_span(timedelta(seconds=0.4)) == "0.4s"
    assert format_span(timedelta(seconds=-3)) == "0s"
    assert format_span(timedelta(hours=2, minutes=14)) == "2h 14m"
    assert format_span(timedelta(days=3, hours=4)) == "3d 04h"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (-1, "0s"),
        (0, "0s"),
        (42.9, "42s"),
        (185, "3m05s"),
        (3661, "1h01m"),
        (90000, "25h00m"),
    ],
)
def test_the_cli_style_is_unspaced_and_stops_at_hours(seconds: float, words: str) -> None:
    assert format_duration_unspaced(seconds) == words


def test_an_unknown_duration_reads_as_a_dash() -> None:
    assert NO_DURATION == "—"


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        (timedelta(seconds=-30), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=1), "1 h ago"),
        (timedelta(hours=23, minutes=59), "23 h ago"),
        (timedelta(days=1), "1 d ago"),
        (timedelta(days=40), "40 d ago"),
    ],
)
def test_age_words(ago: timedelta, words: str) -> None:
    assert age_words(NOW - ago, NOW) == words


def test_age_words_reads_a_naive_cache_time_as_utc() -> None:
    assert age_words(datetime(2026, 3, 1, 11, 55), NOW) == "5 min ago"


def test_aware_marks_naive_times_utc_and_keeps_zoned_ones() -> None:
    naive = datetime(2026, 3, 1, 9, 30)
    assert aware(naive) == naive.replace(tzinfo=UTC)
    zoned = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert aware(zoned) is zoned


def test_elapsed_measures_to_the_finish_or_to_now_while_active() -> None:
    start = NOW - timedelta(minutes=5)
    assert elapsed(start, NOW - timedelta(minutes=2), active=False, now=NOW) == timedelta(minutes=3)
    assert elapsed(start, None, active=True, now=NOW) == timedelta(minutes=5)
    assert elapsed(datetime(2026, 3, 1, 11, 55), None, active=True, now=NOW) == timedelta(minutes=5)


def test_elapsed_is_unknown_before_the_start_or_without_a_finish() -> None:
    assert elapsed(None, None, active=True, now=NOW) is None
    assert elapsed(NOW, None, active=False, now=NOW) is None


NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("later", "words"),
    [
        (timedelta(seconds=-5), "due now"),
        (timedelta(seconds=30), "in <1 min"),
        (timedelta(minutes=4, seconds=20), "in 4 min"),
        (timedelta(hours=2, minutes=59), "in 2 h"),
        (timedelta(days=3, hours=1), "in 3 d"),
    ],
)
def test_countdown_words(later: timedelta, words: str) -> None:
    assert countdown_words(NOON + later, NOON) == words


def test_due_words_say_when_and_how_long() -> None:
    assert due_words(NOON + timedelta(minutes=6), NOON) == "Scheduled for 12:06 · in 6 min"
    assert due_words(NOON + timedelta(minutes=6), NOON, short=True) == "Due 12:06 · in 6 min"
    assert due_words(NOON + timedelta(days=1), NOON) == "Scheduled for 2026-03-02 12:00 · in 1 d"
    plus_two = timezone(timedelta(hours=2))
    assert due_words(NOON + timedelta(minutes=6), NOON, plus_two).startswith("Scheduled for 14:06")


def _summary(status: RunStatus, **times: datetime | None) -> RunSummary:
    created = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    return RunSummary(
        id="r",
        kind=RunKind.FLOW,
        definition_id="d",
        name="n",
        status=status,
        trigger=Trigger(),
        created_at=created,
        updated_at=created,
        version=1,
        seq=1,
        **times,
    )


def test_a_runs_duration_runs_from_its_start_to_its_finish_or_to_now() -> None:
    start, now = datetime(2026, 3, 2, 17, 0, tzinfo=UTC), datetime(2026, 3, 2, 17, 2, tzinfo=UTC)
    active = _summary(RunStatus.EXECUTING_TRIAGE, started_at=start)
    done = _summary(
        RunStatus.COMPLETED_SUCCESS, started_at=start, finished_at=start + timedelta(seconds=42)
    )
    assert run_elapsed(active, now) == timedelta(minutes=2) and run_is_ticking(active)
    assert run_elapsed(done, now) == timedelta(seconds=42) and not run_is_ticking(done)
    pending = _summary(RunStatus.PENDING)
    assert run_elapsed(pending, now) is None and not run_is_ticking(pending)


def test_a_scheduled_run_has_no_duration_even_with_a_start_time() -> None:
    """The engine sets `started_at` when it accepts a scheduled run (reset when it is due):
    nothing has run yet, so no duration and nothing ticking."""
    start = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    scheduled = _summary(RunStatus.SCHEDULED_FOR_EXECUTION, started_at=start)
    assert run_elapsed(scheduled, start + timedelta(seconds=42)) is None
    assert not run_is_ticking(scheduled)


AFTER_MIDNIGHT = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "words", "to_the_second"),
    [
        # today's date: the time alone, however long ago (the minutes since midnight)
        (datetime(2026, 3, 2, 0, 0, 5, tzinfo=UTC), "00:00", "00:00:05"),
        # yesterday, though only 40 minutes ago: with its date (an hours-ago cut-off, which
        # the sync status words once had at 20 h, said "23:50", read as tonight)
        (datetime(2026, 3, 1, 23, 50, 7, tzinfo=UTC), "2026-03-01 23:50", "2026-03-01 23:50"),
        # later today (a due time): the time alone
        (datetime(2026, 3, 2, 23, 59, tzinfo=UTC), "23:59", "23:59:00"),
        # tomorrow: with its date
        (datetime(2026, 3, 3, 0, 1, tzinfo=UTC), "2026-03-03 00:01", "2026-03-03 00:01"),
    ],
)
def test_clock_words_cut_at_the_calendar_day(
    moment: datetime, words: str, to_the_second: str
) -> None:
    assert clock_words(moment, AFTER_MIDNIGHT) == words
    assert clock_words(moment, AFTER_MIDNIGHT, seconds=True) == to_the_second
    assert clock_time(moment, AFTER_MIDNIGHT) == to_the_second


def test_clock_words_take_the_day_in_the_zone_shown() -> None:
    """00:30 UTC is 19:30 the day before in UTC-5: there 23:50 UTC was today, at 18:50."""
    minus_five = timezone(timedelta(hours=-5))
    yesterday_utc = datetime(2026, 3, 1, 23, 50, tzinfo=UTC)
    assert clock_words(yesterday_utc, AFTER_MIDNIGHT, minus_five) == "18:50"
    assert clock_words(yesterday_utc, AFTER_MIDNIGHT.astimezone(minus_five)) == "18:50"
    assert clock_time(None, AFTER_MIDNIGHT) == "—"
