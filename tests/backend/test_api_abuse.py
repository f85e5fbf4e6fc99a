"""Hand-made abuse of the HTTP API, each one a request that once answered 500, was stored
unbounded, or held a connection open: real server on loopback, raw sockets where httpx would
refuse to send the malformed request."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from runs_tui.backend.server import EmbeddedBackend
from runs_tui.models.domain import API_PREFIX, MAX_ACTOR_LENGTH, ApiError

DEFINITIONS = str(Path(__file__).parent / "api_definitions")
BODY_TIMEOUT = 0.5
HEADER_TIMEOUT = 0.5
SOCKET_TIMEOUT = 30.0  # a generous bound: the assertion is "it closes", never how fast


class Api:
    def __init__(self, backend: EmbeddedBackend) -> None:
        self.backend = backend
        self.http = httpx.Client(
            base_url=backend.api_url,
            headers={"Authorization": f"Bearer {backend.token}"},
            timeout=30,
        )

    def raw(self, request: bytes) -> bytes:
        """Sends bytes as they are and reads until the server closes the connection. A server
        that closes with our unread bytes in its buffer resets the connection: what arrived
        before the reset is the answer."""
        parts = urlsplit(self.backend.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=SOCKET_TIMEOUT) as conn:
            received = bytearray()
            timed_out: list[bool] = []
            reader = threading.Thread(target=_read_until_closed, args=(conn, received, timed_out))
            reader.start()
            try:
                conn.sendall(request)
            except OSError:
                pass  # the server answered and closed before taking it all
            reader.join(SOCKET_TIMEOUT)
            assert not reader.is_alive() and not timed_out, "the server never closed the connection"
            return bytes(received)

    def head(self, method: str, path: str, *extra: str) -> bytes:
        lines = [
            f"{method} {API_PREFIX}{path} HTTP/1.1",
            "Host: test",
            f"Authorization: Bearer {self.backend.token}",
            "Content-Type: application/json",
            *extra,
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_until_closed(conn: socket.socket, into: bytearray, timed_out: list[bool]) -> None:
    try:
        while chunk := conn.recv(65536):
            into.extend(chunk)
    except TimeoutError:
        timed_out.append(True)
    except OSError:
        pass  # reset: the server closed with our bytes unread


@pytest.fixture
def api(backend_db: str, backend_token: str) -> Iterator[Api]:
    with EmbeddedBackend(
        db_url=backend_db,
        token=backend_token,
        definitions_dir=DEFINITIONS,
        body_timeout=BODY_TIMEOUT,
        header_timeout=HEADER_TIMEOUT,
    ) as backend:
        client = Api(backend)
        yield client
        client.http.close()


def _error(answer: httpx.Response, status: int, code: str = "invalid") -> ApiError:
    assert answer.status_code == status, answer.text
    error = ApiError.model_validate_json(answer.content)
    assert error.error.code == code
    return error


def _runs(api: Api) -> list[dict[str, Any]]:
    return api.http.get("/runs").json()["runs"]


# query bounds ---------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "query",
    [
        {"offset": "9223372036854775808"},
        {"offset": str(10**21)},
        {"cursor": "9223372036854775808"},
        {"cursor": str(10**21)},
        {"cursor": "²"},
        {"cursor": "-1"},
    ],
)
def test_out_of_range_offsets_and_cursors_are_refused_not_500(
    api: Api, query: dict[str, str]
) -> None:
    """They reached SQLite as OverflowError: a 500."""
    _error(api.http.get("/runs", params=query), 422)


@pytest.mark.postgres
@pytest.mark.parametrize("cursor", ["9223372036854775808", str(10**21)])
def test_out_of_range_change_cursors_are_refused_not_500(api: Api, cursor: str) -> None:
    _error(api.http.get("/runs/changes", params={"cursor": cursor}), 422)


def test_an_empty_cursor_is_the_first_page(api: Api) -> None:
    api.http.post("/guides/checklist/runs", json={"inputs": {"host": "a"}}).raise_for_status()
    answer = api.http.get("/runs", params={"cursor": ""})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["runs"]) == 1


@pytest.mark.postgres
def test_a_60000_character_name_filter_is_refused(api: Api) -> None:
    """It answered 500 (LIKE pattern too complex)."""
    error = _error(api.http.get("/runs", params={"name": "a" * 60_000}), 422)
    assert "name" in error.error.message
    assert api.http.get("/runs", params={"name": "a" * 200}).status_code == 200


@pytest.mark.parametrize("value", ["0.5", "1", "1700000000"])
def test_numeric_times_are_refused(api: Api, value: str) -> None:
    """`until=0.5` was read as half a second after 1970."""
    _error(api.http.get("/runs", params={"until": value}), 422)
    _error(api.http.get("/runs", params={"since": value}), 422)


def test_iso_times_are_taken(api: Api) -> None:
    answer = api.http.get(
        "/runs", params={"since": "2026-01-01T00:00:00Z", "until": "2100-01-01T00:00:00+02:00"}
    )
    assert answer.status_code == 200, answer.text


def test_a_resync_cursor_from_another_database_restarts_the_sweep(api: Api) -> None:
    """Documented as never 410; it answered 410 for a cursor ahead of the server."""
    run = api.http.post("/guides/checklist/runs", json={"inputs": {"host": "a"}}).json()
    ahead = api.http.get("/runs/changes").json()["next_cursor"] + 1000
    page = api.http.get("/runs/changes", params={"cursor": ahead, "resync": "true"})
    assert page.status_code == 200, page.text
    assert [change["id"] for change in page.json()["changes"]] == [run["id"]]
    _error(api.http.get("/runs/changes", params={"cursor": ahead}), 410, "gone")


# request sizes --------------------------------------------------------------------------------


def test_a_100_mb_body_is_refused_without_being_read(api: Api) -> None:
    """Only the headers are sent: a server that waited for the body would never answer."""
    answer = api.raw(api.head("POST", "/runs/delete", f"Content-Length: {100 * 1024 * 1024}"))
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b'"code": "invalid"' in answer


def test_a_chunked_body_past_the_limit_is_refused(api: Api) -> None:
    chunk = b"x" * 65536
    body = b"".join(
        b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)
    )  # 1.25 MiB, never ended
    answer = api.raw(api.head("POST", "/runs/delete", "Transfer-Encoding: chunked") + body)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_10_mb_actor_is_not_stored(api: Api) -> None:
    """It was stored, and then travelled in every change-feed page."""
    huge = {"inputs": {"host": "a"}, "trigger": {"kind": "manual", "actor": "x" * 10_000_000}}
    _error(api.http.post("/guides/checklist/runs", json=huge), 413)
    long = {
        "inputs": {"host": "a"},
        "trigger": {"kind": "manual", "actor": "x" * (MAX_ACTOR_LENGTH + 1)},
    }
    assert "actor" in _error(api.http.post("/guides/checklist/runs", json=long), 422).error.message
    assert _runs(api) == []
    fits = {"inputs": {"host": "a"}, "trigger": {"kind": "manual", "actor": "x" * MAX_ACTOR_LENGTH}}
    assert api.http.post("/guides/checklist/runs", json=fits).status_code == 201


def test_long_answers_are_refused(api: Api) -> None:
    run = api.http.post("/guides/checklist/runs", json={"inputs": {"host": "a"}}).json()
    answer = api.http.post(
        f"/runs/{run['id']}/steps/pick/response", json={"value": "red", "note": "n" * 10_001}
    )
    _error(answer, 422)


# unfinished requests --------------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["short-content-length", "chunked-never-ended"])
def test_an_unfinished_body_is_answered_408_and_closed(api: Api, framing: str) -> None:
    """Such a request held its connection open for as long as the client liked."""
    if framing == "short-content-length":
        request = api.head("POST", "/runs/delete", "Content-Length: 100") + b'{"ids": ['
    else:
        request = (
            api.head("POST", "/runs/delete", "Transfer-Encoding: chunked") + b'9\r\n{"ids": [\r\n'
        )
    answer = api.raw(request)  # returns only once the server closed the connection
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"connection: close" in answer.lower()


@pytest.mark.parametrize("sent", [b"", b"GET /api/v1/health HTTP/1.1\r\nHost: te"])
def test_unfinished_headers_are_closed(api: Api, sent: bytes) -> None:
    """Headers never finished (or never started) held the connection forever."""
    assert api.raw(sent) == b""  # returns only once the server closed the connection


def test_a_keep_alive_connection_still_serves_several_requests(api: Api) -> None:
    request = b"GET /api/v1/health HTTP/1.1\r\nHost: test\r\n\r\n"
    answer = api.raw(
        request
        + request
        + b"GET /api/v1/health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    assert answer.count(b"HTTP/1.1 200 OK") == 3


# headers --------------------------------------------------------------------------------------


def test_if_none_match_star_answers_304_for_an_existing_run(api: Api) -> None:
    run = api.http.post("/guides/checklist/runs", json={"inputs": {"host": "a"}}).json()
    answer = api.http.get(f"/runs/{run['id']}", headers={"If-None-Match": "*"})
    assert answer.status_code == 304 and answer.headers["ETag"]
    _error(api.http.get("/runs/nope", headers={"If-None-Match": "*"}), 404, "not_found")


def test_two_authorization_headers_are_refused(api: Api) -> None:
    good = f"Bearer {api.backend.token}"
    for pair in ([good, "Bearer wrong"], ["Bearer wrong", good], [good, good]):
        answer = httpx.get(
            f"{api.backend.api_url}/runs", headers=[("Authorization", value) for value in pair]
        )
        _error(answer, 400)


def test_405_lists_every_method_of_the_path(api: Api) -> None:
    answer = api.http.request("OPTIONS", "/runs/some-id")
    _error(answer, 405)
    assert answer.headers["Allow"] == "DELETE, GET"
    assert api.http.put("/runs/some-id/cancel").headers["Allow"] == "POST"


# input values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["db\x00-1", "\x00"])
def test_a_nul_in_an_input_is_refused_at_the_api(api: Api, value: str) -> None:
    """It was accepted, and the run then failed with `ValueError: embedded null byte`."""
    error = _error(api.http.post("/guides/checklist/runs", json={"inputs": {"host": value}}), 422)
    assert "NUL" in error.error.message
    assert _runs(api) == []


def test_a_nul_in_an_answer_is_refused(api: Api) -> None:
    run = api.http.post("/guides/checklist/runs", json={"inputs": {"host": "a"}}).json()
    _error(api.http.post(f"/runs/{run['id']}/steps/pick/response", json={"value": "re\x00d"}), 422)


@pytest.mark.parametrize("value", [" db-1", "db-1 ", "db-1\n", "\tdb-1", " "])
def test_input_values_with_edge_whitespace_are_refused_not_trimmed(api: Api, value: str) -> None:
    """They were silently trimmed: the run got another value than the one sent."""
    error = _error(api.http.post("/guides/checklist/runs", json={"inputs": {"host": value}}), 422)
    assert "whitespace" in error.error.message
    assert _runs(api) == []


def test_inner_whitespace_is_kept(api: Api) -> None:
    run = api.http.post("/guides/checklist/runs", json={"inputs": {"host": "db 1", "note": "a\tb"}})
    assert run.status_code == 201, run.text
    assert run.json()["inputs"] == {"host": "db 1", "note": "a\tb"}
