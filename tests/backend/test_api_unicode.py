"""Lone surrogates in request bodies answer 422 `invalid`, never a 500 (SQLite and PostgreSQL).

Python's JSON decoder accepts `"\\ud800"` (and the raw bytes ED A0 80) as a one-character
string that cannot be encoded as UTF-8; before the check it reached the store and failed there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

try:
    from test_api import DEFINITIONS, START, Api, _error
except ImportError:
    from .test_api import DEFINITIONS, START, Api, _error  # type: ignore[no-redef]

from runs_tui.backend.clock import FakeClock
from runs_tui.backend.server import EmbeddedBackend

pytestmark = pytest.mark.postgres


@pytest.fixture
def api(backend_db: str, backend_token: str) -> Iterator[Api]:
    clock = FakeClock(START)
    with EmbeddedBackend(
        db_url=backend_db, token=backend_token, clock=clock, definitions_dir=DEFINITIONS
    ) as backend:
        client = Api(backend, clock)
        client.http.headers["Content-Type"] = "application/json"
        yield client
        client.http.close()


BAD_START_BODIES = [
    b'{"inputs": {"host": "db\\ud800"}}',  # a high surrogate alone
    b'{"inputs": {"host": "db-1", "note": "\\udc00x"}}',  # a low one alone
    b'{"inputs": {"host": "db-1"}, "trigger": {"actor": "\\uDBFF"}}',  # upper case, in the trigger
    b'{"inputs": {"host": "db\xed\xa0\x80"}}',  # raw surrogate bytes, which JSON decoding passes
    b'{"inputs": {"host": "db-1", "\\ud800": "x"}}',  # in a key
]


@pytest.mark.parametrize("body", BAD_START_BODIES)
def test_lone_surrogates_in_a_start_request_answer_422(api: Api, body: bytes) -> None:
    refused = _error(
        api.http.post("/guides/checklist/runs", content=body, headers={"Idempotency-Key": "k"}),
        422,
        "invalid",
    )
    assert refused.error.details == {"reason": "invalid_unicode"}
    assert api.http.get("/runs/changes").json()["changes"] == []


def test_lone_surrogates_in_answers_and_deletes_answer_422(api: Api) -> None:
    run = api.waiting(api.start()["id"])
    step = next(s for s in run["steps"] if s["status"] == "waiting_for_input")
    path = f"/runs/{run['id']}/steps/{step['id']}/response"
    _error(api.http.post(path, content=b'{"value": "red", "note": "\\ud800"}'), 422, "invalid")
    _error(api.http.post("/runs/delete", content=b'{"ids": ["\\ud800"]}'), 422, "invalid")
    assert api.http.post(path, json={"value": "red", "note": "ok"}).status_code == 200


def test_surrogate_pairs_and_escaped_backslashes_are_fine(api: Api) -> None:
    """A pair is a real character; `\\\\ud800` is a backslash and text, not an escape."""
    started = api.http.post(
        "/guides/checklist/runs",
        content=b'{"inputs": {"host": "db-\\ud83d\\ude00", "note": "\\\\ud800"}}',
    )
    assert started.status_code == 201, started.text
    assert started.json()["inputs"] == {"host": "db-\U0001f600", "note": "\\ud800"}
    assert api.http.get(f"/runs/{started.json()['id']}").json()["inputs"]["host"] == "db-\U0001f600"
