"""For any runs the backend may send, the fast decoding path (msgspec structs straight to rows)
gives exactly the rows of the pydantic path (validated models, then `run_values`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs_tui.cache.feed import parse_page, read_fetched
from runs_tui.cache.rows import run_values
from runs_tui.models import ChangesPage, RunKind, RunStatus, RunSummary, Trigger, TriggerKind
from tests.cache.factories import hostile_strings

HOSTILE = hostile_strings()
texts = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
zones = st.one_of(
    st.just(UTC),
    st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60)),
)
moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=zones
)
optional_moments = st.none() | moments
optional_texts = st.none() | texts

summaries = st.builds(
    RunSummary,
    id=texts,
    kind=st.sampled_from(RunKind),
    definition_id=texts,
    name=texts,
    status=st.sampled_from(RunStatus),
    trigger=st.builds(Trigger, kind=st.sampled_from(TriggerKind), actor=texts),
    created_at=moments,
    scheduled_for=optional_moments,
    started_at=optional_moments,
    finished_at=optional_moments,
    updated_at=moments,
    current_step_id=optional_texts,
    current_step=optional_texts,
    root_cause=optional_texts,
    outcome=optional_texts,
    summary=optional_texts,
    error=optional_texts,
    inputs=st.dictionaries(texts, texts, max_size=4),
    version=st.integers(0, 2**62),
    seq=st.integers(0, 2**62),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    runs=st.lists(summaries, max_size=8),
    deleted=st.lists(texts, max_size=3),
    cursor=st.integers(0, 2**62),
    more=st.booleans(),
)
def test_the_fast_path_gives_the_rows_of_the_pydantic_path(
    runs: list[RunSummary],
    deleted: list[str],
    cursor: int,
    more: bool,
) -> None:
    body = (
        ChangesPage(changes=runs, deleted=deleted, next_cursor=cursor, has_more=more)
        .model_dump_json()
        .encode()
    )
    expected = ChangesPage.model_validate_json(body)
    page = read_fetched(body).rows()
    assert page.rows == [run_values(run) for run in expected.changes]
    assert (page.deleted, page.next_cursor, page.has_more) == (deleted, cursor, more)
    assert parse_page(body.decode()).rows == page.rows  # a str body too
    assert page.summaries() == [summary_from(run) for run in expected.changes]


def summary_from(run: RunSummary) -> RunSummary:
    """What the cache gives back: the same run with its times in UTC."""

    def utc(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(UTC)

    return run.model_copy(
        update={
            name: utc(getattr(run, name))
            for name in ("created_at", "scheduled_for", "started_at", "finished_at", "updated_at")
        }
    )
