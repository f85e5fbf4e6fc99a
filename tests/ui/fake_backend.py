"""A scripted runs backend behind an httpx transport, for screen tests of the real service stack.

Why: faults are injected at the HTTP transport, never by mocking our own classes. Screen tests
therefore run the real `RunsService` → `Syncer` → `RunsClient` path, and this transport plays
the backend: it keeps a small server state (runs, a change sequence, tombstones) that answers
the reads the way the real API does, answers actions from a queue of scripted HTTP answers
per endpoint (or a small default), and records every request so tests assert on what went
over the wire (method, path, JSON body, `Idempotency-Key`).

- `script(endpoint, *answers)`: the next requests to `endpoint` get these answers, in order;
  an answer is a `Reply` (see `reply`, `refusal`, `created`) or `UNREACHABLE`.
- `down(*endpoints)` / `up(*endpoints)`: requests fail to connect until `up` (all if none named).
- `hold(endpoint)`: requests to it are recorded, then wait until the returned event is set.
- `seed(detail)`: a run the client's cache already has (not in the change feed);
  `put(detail)`: a change on the server (next in the feed, with a newer `seq`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import httpx

from runs_tui.models import ChangesPage, RunDetail, RunStatus, RunSummary
from runs_tui.models.domain import API_PREFIX

ENDPOINTS = (
    "health",
    "changes",
    "list",
    "stream",
    "detail",
    "delete_one",
    "delete",
    "cancel",
    "respond",
    "definitions",
    "start",
    "me",
    "audit",
)
FIRST_SERVER_SEQ = 1_000_000
"""Above every cursor the test cache holds, so the server's changes are always news to it."""


def etag_of(detail: RunDetail) -> str:
    """A content hash: the cache and the server agree on it exactly when they hold the same run."""
    return '"' + hashlib.sha256(detail.model_dump_json().encode()).hexdigest()[:16] + '"'


def summary_of(detail: RunDetail) -> RunSummary:
    return RunSummary.model_validate(detail.model_dump())


# --- what the backend answers -------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer; `then` changes the server state when it is given."""

    status: int
    body: Any = None
    then: Callable[[ScriptedBackend], None] | None = None


class _Unreachable:
    def __repr__(self) -> str:
        return "UNREACHABLE"


UNREACHABLE = _Unreachable()
"""A scripted answer: the connection is refused (httpx.ConnectError), nothing reaches the server."""

Answer = Reply | _Unreachable


def reply(status: int, body: Any = None, *, then: RunDetail | None = None) -> Reply:
    """`status` with a JSON `body` (a model is dumped as JSON); `then`: the run as it is now."""
    return Reply(status, body, None if then is None else (lambda backend: backend.put(then)))


def refusal(http_status: int, code: str, message: str, /, **details: Any) -> Reply:
    """An `ApiError` body, e.g. `refusal(409, "conflict", "...", answered_by="bob")`."""
    return Reply(http_status, {"error": {"code": code, "message": message, "details": details}})


def created(detail: RunDetail) -> Reply:
    """201 for a started run, which then exists on the server (and so in the change feed)."""
    return Reply(201, summary_of(detail), lambda backend: backend.put(detail))


# --- what it records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A request as it reached the backend (`path` as sent, without the API prefix)."""

    method: str
    path: str
    endpoint: str
    body: Any
    idempotency_key: str | None
    if_none_match: str | None


def endpoint_of(method: str, path: str) -> str:
    """Which row of the API table a request is (see docs/architecture.md)."""
    parts = path.strip("/").split("/")
    if parts[0] in ("flows", "guides"):
        return "definitions" if len(parts) == 1 else "start"
    if parts[0] in ("health", "stream", "me", "audit"):
        return parts[0]
    if parts == ["runs"]:
        return "list"
    if parts[1] in ("changes", "delete") and len(parts) == 2:
        return "changes" if method == "GET" else "delete"
    if len(parts) == 2:
        return "detail" if method == "GET" else "delete_one"
    return "cancel" if parts[2] == "cancel" else "respond"


# --- the backend --------------------------------------------------------------------------------


@dataclass
class ScriptedBackend(httpx.AsyncBaseTransport):
    """The transport a test's `RunsClient` sends through; see the module docstring."""

    now: datetime
    runs: dict[str, RunDetail] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    _seqs: dict[str, int] = field(default_factory=dict)
    _tombstones: dict[str, int] = field(default_factory=dict)
    _seq: int = FIRST_SERVER_SEQ
    _scripts: dict[str, list[Answer]] = field(default_factory=dict)
    _down: set[str] = field(default_factory=set)
    _holds: dict[str, asyncio.Event] = field(default_factory=dict)

    # state --------------------------------------------------------------------------------------

    def seed(self, detail: RunDetail) -> None:
        """A run the client's cache already holds as it is: not news in the change feed."""
        self.runs[detail.id] = detail
        self._seqs[detail.id] = 0

    def put(self, detail: RunDetail) -> RunDetail:
        """A change on the server: the run's new state, with the next change sequence."""
        self._seq += 1
        stored = detail.model_copy(update={"seq": self._seq})
        self.runs[detail.id] = stored
        self._seqs[detail.id] = self._seq
        self._tombstones.pop(detail.id, None)
        return stored

    def remove(self, run_id: str) -> None:
        self._seq += 1
        self.runs.pop(run_id, None)
        self._tombstones[run_id] = self._seq

    # scripting ----------------------------------------------------------------------------------

    def script(self, endpoint: str, *answers: Answer) -> None:
        assert endpoint in ENDPOINTS, endpoint
        self._scripts.setdefault(endpoint, []).extend(answers)

    def down(self, *endpoints: str) -> None:
        self._down.update(endpoints or ENDPOINTS)

    def up(self, *endpoints: str) -> None:
        self._down.difference_update(endpoints or ENDPOINTS)

    def hold(self, endpoint: str) -> asyncio.Event:
        self._holds[endpoint] = asyncio.Event()
        return self._holds[endpoint]

    def requests(self, endpoint: str) -> list[Sent]:
        """What reached `endpoint`, in order (also the requests that then failed)."""
        return [request for request in self.sent if request.endpoint == endpoint]

    # the transport ------------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = _record(request)
        self.sent.append(sent)
        if sent.endpoint in self._down:
            raise httpx.ConnectError("scripted: backend down", request=request)
        if (gate := self._holds.get(sent.endpoint)) is not None:
            await gate.wait()
        queue = self._scripts.get(sent.endpoint)
        answer = queue.pop(0) if queue else self._default(sent, request)
        if isinstance(answer, _Unreachable):
            raise httpx.ConnectError("scripted: unreachable", request=request)
        if answer.then is not None:
            answer.then(self)
        return _response(answer, request)

    def _default(self, sent: Sent, request: httpx.Request) -> Reply:
        """What the real API answers, reduced to the server state kept here."""
        handlers: dict[str, Callable[[Sent, httpx.Request], Reply]] = {
            "health": lambda s, r: Reply(200, {"status": "ok"}),
            # Like a backend from before issue 13 until a test scripts who the token is:
            # the dashboard then refuses nothing before sending.
            "me": lambda s, r: refusal(404, "not_found", "no /me here"),
            "definitions": lambda s, r: Reply(200, []),
            "changes": self._changes,
            "detail": self._detail,
            "respond": self._respond,
            "cancel": self._cancel,
            "delete": self._delete,
        }
        handler = handlers.get(sent.endpoint)
        if handler is None:
            return refusal(500, "server_error", f"not scripted: {sent.method} {sent.path}")
        return handler(sent, request)

    def _changes(self, sent: Sent, request: httpx.Request) -> Reply:
        cursor = request.url.params.get("cursor")
        after = int(cursor) if cursor is not None else -1
        changed = sorted(
            (seq, run_id)
            for run_id, seq in self._seqs.items()
            if seq > after and run_id in self.runs
        )
        page = ChangesPage(
            changes=[summary_of(self.runs[run_id]) for _, run_id in changed],
            deleted=[run_id for run_id, seq in self._tombstones.items() if seq > after],
            next_cursor=max(self._seq, after),
            has_more=False,
        )
        return Reply(200, page)

    def _detail(self, sent: Sent, request: httpx.Request) -> Reply:
        run = self._run(sent)
        if run is None:
            return refusal(404, "not_found", f"no run {_run_id(sent)}")
        if sent.if_none_match == etag_of(run):
            return Reply(304)
        return Reply(200, run)

    def _respond(self, sent: Sent, request: httpx.Request) -> Reply:
        """Accepted, the run unchanged: a test that needs the next state scripts it."""
        run = self._run(sent)
        return Reply(200, run) if run else refusal(404, "not_found", f"no run {_run_id(sent)}")

    def _cancel(self, sent: Sent, request: httpx.Request) -> Reply:
        """As the engine: cancels an active run, a no-op for a cancelled one, 409 otherwise."""
        run = self._run(sent)
        if run is None:
            return refusal(404, "not_found", f"no run {_run_id(sent)}")
        if run.status.is_terminal and run.status is not RunStatus.CANCELLED:
            return refusal(
                409,
                "conflict",
                f"run already finished: {run.status.label}",
                status=run.status.value,
            )
        if run.status is not RunStatus.CANCELLED:
            run = self.put(
                run.model_copy(update={"status": RunStatus.CANCELLED, "finished_at": self.now})
            )
        return Reply(200, summary_of(run))

    def _delete(self, sent: Sent, request: httpx.Request) -> Reply:
        """As the store: finished runs are deleted, the others refused with the reason."""
        deleted, refused = [], []
        for run_id in sent.body["ids"]:
            run = self.runs.get(run_id)
            if run is not None and run.status.is_terminal:
                self.remove(run_id)
                deleted.append(run_id)
            elif run is None:
                refused.append({"code": "not_found", "message": "no such run", "run_id": run_id})
            else:
                refused.append(
                    {
                        "code": "conflict",
                        "run_id": run_id,
                        "message": f"run is {run.status.label}: only finished runs can be deleted",
                        "details": {"status": run.status.value},
                    }
                )
        return Reply(200, {"deleted": deleted, "refused": refused})

    def _run(self, sent: Sent) -> RunDetail | None:
        return self.runs.get(_run_id(sent))


def _run_id(sent: Sent) -> str:
    return unquote(sent.path.strip("/").split("/")[1])


def _record(request: httpx.Request) -> Sent:
    path = request.url.raw_path.decode("ascii").partition("?")[0].removeprefix(API_PREFIX)
    content = request.content
    return Sent(
        method=request.method,
        path=path,
        endpoint=endpoint_of(request.method, path),
        body=json.loads(content) if content else None,
        idempotency_key=request.headers.get("Idempotency-Key"),
        if_none_match=request.headers.get("If-None-Match"),
    )


def _response(answer: Reply, request: httpx.Request) -> httpx.Response:
    body = answer.body
    headers = {}
    if isinstance(body, RunDetail):
        headers["ETag"] = etag_of(body)
    if hasattr(body, "model_dump_json"):
        content = body.model_dump_json().encode()
    else:
        content = b"" if body is None else json.dumps(body).encode()
    if content:
        headers["Content-Type"] = "application/json"
    return httpx.Response(answer.status, headers=headers, content=content, request=request)
