"""The change feed parsed straight to rows must equal the rows of the validated models, and
refuse what the models would refuse in the fields the cache stores."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runs_tui.cache.feed import FetchedPage, parse_page, read_fetched
from runs_tui.cache.rows import run_values
from runs_tui.models import ChangesPage, RunStatus
from tests.cache.factories import hostile_strings, make_runs


def _body(**overrides: Any) -> dict[str, Any]:
    runs = make_runs(60, seed=21)
    strings = hostile_strings()
    runs = [
        run.model_copy(
            update={
                "name": strings[i % len(strings)],
                "summary": strings[(i + 1) % len(strings)],
                "current_step_id": "s1" if i % 2 else None,
                "current_step": "Check" if i % 2 else None,
                "error": "boom" if i % 7 == 0 else None,
            }
        )
        if i % 3 == 0
        else run
        for i, run in enumerate(runs)
    ]
    page = ChangesPage(changes=runs, deleted=["gone-1", "gone-2"], next_cursor=61, has_more=True)
    return json.loads(page.model_dump_json()) | overrides


def _parse(body: dict[str, Any]) -> Any:
    return parse_page(json.dumps(body).encode())


def test_rows_equal_those_of_the_validated_models() -> None:
    body = _body()
    page = _parse(body)
    models = ChangesPage.model_validate(body)
    assert page.rows == [run_values(run) for run in models.changes]
    assert (page.deleted, page.next_cursor, page.has_more) == (["gone-1", "gone-2"], 61, True)
    assert page.summaries() == models.changes


@pytest.mark.parametrize(
    "stamp", ["2024-05-20T14:30:00.5+02:00", "2024-05-20T12:30:00.500000", "1969-07-20T20:17:40Z"]
)
def test_times_in_any_iso_form_become_the_same_microseconds(stamp: str) -> None:
    body = _body()
    body["changes"][0]["created_at"] = stamp
    assert _parse(body).rows[0] == run_values(ChangesPage.model_validate(body).changes[0])


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "exploded"),
        ("kind", "job"),
        ("name", 7),
        ("id", None),
        ("seq", "12"),
        ("version", True),
        ("created_at", "yesterday"),
        ("inputs", {"host": 3}),
        ("trigger", {"kind": "telepathy", "actor": "x"}),
        ("summary", ["list"]),
    ],
)
def test_a_bad_field_is_a_malformed_page(field: str, value: Any) -> None:
    body = _body()
    body["changes"][1][field] = value
    with pytest.raises(ValueError):
        _parse(body)


@pytest.mark.parametrize("missing", ["changes", "deleted", "next_cursor", "has_more"])
def test_a_page_missing_a_part_is_malformed(missing: str) -> None:
    body = _body()
    del body[missing]
    with pytest.raises(ValueError):
        _parse(body)


def test_a_run_missing_a_required_field_is_malformed() -> None:
    body = _body()
    del body["changes"][3]["updated_at"]
    with pytest.raises(ValueError):
        _parse(body)


def test_the_next_cursor_is_read_off_the_end_and_checked_against_the_body() -> None:
    raw = (
        ChangesPage(changes=make_runs(5), deleted=[], next_cursor=5, has_more=True)
        .model_dump_json()
        .encode()
    )
    fetched = read_fetched(raw)
    assert (fetched.next_cursor, fetched.has_more, fetched.parsed) == (5, True, None)
    assert fetched.rows().next_cursor == 5
    with pytest.raises(ValueError):
        read_fetched(raw[:-40])  # cut off in transit: the client retries it
    with pytest.raises(ValueError):  # a tail that contradicts the body
        FetchedPage(raw, 5, False).rows()


def test_a_page_in_another_key_order_is_parsed_whole_at_once() -> None:
    body = _body()
    reordered = json.dumps(
        {"has_more": False, "next_cursor": 9, "changes": body["changes"], "deleted": []}
    ).encode()
    fetched = read_fetched(reordered)
    assert fetched.parsed is not None and (fetched.next_cursor, fetched.has_more) == (9, False)
    assert fetched.rows().rows == _parse(body).rows


def test_every_status_parses() -> None:
    body = _body()
    for status in RunStatus:
        body["changes"][0]["status"] = status.value
        assert _parse(body).rows[0][4] == status.value
