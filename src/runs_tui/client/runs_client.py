"""`RunsClient`: one backend, one token; every endpoint of the runs API as a typed call.

Every call has timeouts; the request loop retries only what `retry` says is safe to send
again, and maps every failure to a typed error (`failures`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from runs_tui.client.credentials import (
    REDACTOR,
    BearerAuth,
    check_backend_url,
    origin_of,
    tls_verify,
)
from runs_tui.client.failures import error_from_response, transport_failure
from runs_tui.client.retry import (
    IDEMPOTENT_METHODS,
    RETRY_STATUSES,
    RetryBudget,
    RetryPolicy,
    parse_retry_after,
)
from runs_tui.client.sse import parse_sse
from runs_tui.errors import ClientError, Invalid, ServerError
from runs_tui.models.domain import (
    API_PREFIX,
    CLIENT_HEADER,
    AuditPage,
    BulkDeleteRequest,
    BulkDeleteResult,
    CancelRequest,
    ChangesPage,
    DefinitionSummary,
    Me,
    RespondRequest,
    RunDetail,
    RunsPage,
    RunSummary,
    StartRunRequest,
    StreamEventType,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=5.0)
STREAM_READ_TIMEOUT = 45.0  # the stream sends heartbeats; silence this long means a dead link
_DEFINITIONS = TypeAdapter(list[DefinitionSummary])


@dataclass(frozen=True)
class TaggedDetail:
    """A run's detail with the ETag it was served with, for the next conditional fetch."""

    detail: RunDetail
    etag: str


class RunsClient:
    """One backend, one token. Use as an async context manager, or call `aclose()`."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        verify: bool = True,
        ca_path: str | None = None,
        allow_insecure_http: bool = False,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        stream_read_timeout: float = STREAM_READ_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        client_name: str | None = None,
    ) -> None:
        """`client_name`: sent as `X-Runs-Client` (`dashboard`, `cli`) so the backend's audit
        says which program acted; None sends nothing (the backend records `api`)."""
        parsed = check_backend_url(base_url, allow_insecure_http=allow_insecure_http)
        self.base_url = str(parsed).rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep, self._rng = sleep, rng
        self._stream_timeout = httpx.Timeout(
            connect=timeout.connect,
            read=stream_read_timeout,
            write=timeout.write,
            pool=timeout.pool,
        )
        REDACTOR.register(token or "")
        self._http = httpx.AsyncClient(
            base_url=self.base_url + API_PREFIX,
            auth=BearerAuth(token or "", origin_of(parsed)),
            follow_redirects=False,
            timeout=timeout,
            verify=tls_verify(verify, ca_path),
            transport=transport,
            trust_env=False,
            headers={
                "Accept": "application/json",
                "User-Agent": "runs-tui",
                **({CLIENT_HEADER: client_name} if client_name else {}),
            },
        )

    def __repr__(self) -> str:
        return f"RunsClient({self.base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> RunsClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # the request loop -------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response], T],
        *,
        params: dict[str, Any] | None = None,
        body: str | None = None,
        headers: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        absent_after_retry_ok: bool = False,
    ) -> T:
        """Send with retries when retrying is safe; return `parse(response)` or raise typed."""
        headers = dict(headers or {})
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if body is not None:
            headers["Content-Type"] = "application/json"
        retryable = method in IDEMPOTENT_METHODS or bool(idempotency_key)
        budget = RetryBudget(self.retry)
        attempt = 0
        while True:
            attempt += 1
            outcome, retry_after = await self._attempt(
                method, path, parse, params, body, headers, attempt, absent_after_retry_ok
            )
            if not isinstance(outcome, ClientError):
                return outcome
            delay = budget.next_delay(attempt, retry_after, self._rng) if retryable else None
            if delay is None:
                raise outcome
            log.debug(
                "retry %s %s in %.2fs after attempt %d: %s",
                method,
                path,
                delay,
                attempt,
                outcome.explain(),
            )
            await self._sleep(delay)

    async def _attempt(
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response], T],
        params: dict[str, Any] | None,
        body: str | None,
        headers: dict[str, str],
        attempt: int,
        absent_after_retry_ok: bool,
    ) -> tuple[T | ClientError, float | None]:
        """One try: the parsed answer, or the error and any Retry-After it asked for."""
        try:
            response = await self._http.request(
                method, path, params=params, content=body, headers=headers
            )
        except httpx.TransportError as exc:
            return transport_failure(exc), None
        if response.status_code in RETRY_STATUSES:
            return error_from_response(response), self._retry_after(response)
        if response.status_code == 404 and attempt > 1 and absent_after_retry_ok:
            return parse(response), None
        if response.status_code >= 300 and response.status_code != 304:
            raise error_from_response(response)
        try:
            return parse(response), None
        except (ValidationError, ValueError):
            return ServerError(
                "the backend's answer was incomplete or malformed", status=response.status_code
            ), None

    def _retry_after(self, response: httpx.Response) -> float | None:
        seconds = parse_retry_after(response.headers.get("Retry-After"))
        return None if seconds is None else min(seconds, self.retry.retry_after_cap)

    # endpoints ----------------------------------------------------------------------------------

    async def health(self) -> bool:
        return await self._call("GET", "/health", lambda r: r.json().get("status") == "ok")

    async def me(self) -> Me:
        """Who the backend takes this client's token for (name, groups)."""
        return await self._call("GET", "/me", _model(Me))

    async def audit(self, since: int = 0, limit: int = 100) -> AuditPage:
        """A page of the backend's audit log after `since` (its `next_cursor`), oldest first."""
        return await self._call(
            "GET", "/audit", _model(AuditPage), params={"since": since, "limit": limit}
        )

    async def changes(
        self, cursor: int | None, limit: int = 1000, *, resync: bool = False
    ) -> ChangesPage:
        """A page of the change feed after `cursor`; raises `Gone` when the cursor expired.

        `resync=True` says the cursor comes from a full resync in progress, which does not need
        the pruned tombstones (runs it does not see are dropped at its end), so a server that
        understands the flag does not answer 410 for it; others ignore it."""
        return await self.changes_parsed(
            cursor, limit, ChangesPage.model_validate_json, resync=resync
        )

    async def changes_parsed(
        self, cursor: int | None, limit: int, parse: Callable[[bytes], T], *, resync: bool = False
    ) -> T:
        """`changes`, with the body handed to `parse` (the sync maps it straight to cache
        rows, skipping pydantic models); a `ValueError` from `parse` is a malformed answer,
        retried like any other."""
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        if resync:
            params["resync"] = "true"
        return await self._call(
            "GET", "/runs/changes", lambda response: parse(response.content), params=params
        )

    async def list_runs(
        self,
        *,
        statuses: Iterable[RunStatus] = (),
        kind: RunKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        name: str = "",
        limit: int = 100,
        offset: int = 0,
    ) -> RunsPage:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        status_values = sorted(status.value for status in statuses)
        if status_values:
            params["status"] = ",".join(status_values)
        if kind is not None:
            params["kind"] = kind.value
        if since is not None:
            params["since"] = since.isoformat()
        if until is not None:
            params["until"] = until.isoformat()
        if name:
            params["name"] = name
        return await self._call("GET", "/runs", _model(RunsPage), params=params)

    async def get_run(self, run_id: str, etag: str | None = None) -> RunDetail | None:
        """The run's detail, or None when `etag` still matches (304)."""
        tagged = await self.get_run_tagged(run_id, etag)
        return None if tagged is None else tagged.detail

    async def get_run_tagged(self, run_id: str, etag: str | None = None) -> TaggedDetail | None:
        """Like `get_run`, keeping the ETag the answer carried."""
        headers = {"If-None-Match": etag} if etag else None
        return await self._call("GET", f"/runs/{_segment(run_id)}", _tagged_detail, headers=headers)

    async def respond(
        self, run_id: str, step_id: str, request: RespondRequest, idempotency_key: str
    ) -> RunDetail:
        """`values` (a typed answer) goes out only when set: a one-field answer stays the body
        every backend has always understood."""
        path = f"/runs/{_segment(run_id)}/steps/{_segment(step_id)}/response"
        return await self._call(
            "POST",
            path,
            _model(RunDetail),
            body=request.model_dump_json(exclude={"values"} if request.values is None else None),
            idempotency_key=idempotency_key,
        )

    async def cancel(self, run_id: str, idempotency_key: str, actor: str = "") -> RunSummary:
        """Cancel as `actor` (the backend records who cancelled)."""
        return await self._call(
            "POST",
            f"/runs/{_segment(run_id)}/cancel",
            _model(RunSummary),
            body=CancelRequest(actor=actor).model_dump_json(),
            idempotency_key=idempotency_key,
        )

    async def delete_run(self, run_id: str) -> None:
        """204; a 404 on a retry means the first attempt already deleted it."""
        await self._call(
            "DELETE", f"/runs/{_segment(run_id)}", lambda r: None, absent_after_retry_ok=True
        )

    async def delete_runs(
        self, ids: Iterable[str], idempotency_key: str | None = None
    ) -> BulkDeleteResult:
        body = BulkDeleteRequest(ids=list(ids)).model_dump_json()
        return await self._call(
            "POST",
            "/runs/delete",
            _model(BulkDeleteResult),
            body=body,
            idempotency_key=idempotency_key,
        )

    async def definitions(self, kind: RunKind) -> list[DefinitionSummary]:
        return await self._call(
            "GET", _definitions_path(kind), lambda r: _DEFINITIONS.validate_json(r.content)
        )

    async def start_run(
        self, kind: RunKind, definition_id: str, request: StartRunRequest, idempotency_key: str
    ) -> RunSummary:
        path = f"{_definitions_path(kind)}/{_segment(definition_id)}/runs"
        return await self._call(
            "POST",
            path,
            _model(RunSummary),
            body=request.model_dump_json(),
            idempotency_key=idempotency_key,
        )

    async def stream(
        self,
        on_open: Callable[[], Awaitable[None] | None] | None = None,
        outputs: Collection[str] = (),
    ) -> AsyncIterator[tuple[StreamEventType, dict[str, Any]]]:
        """The live notices, and the tool output of the runs in `outputs` (none by default).
        Ends (or raises `Unreachable`) when the link drops; not retried here: the syncer owns
        reconnecting, with backoff and polling meanwhile. `on_open` is called once the server
        accepted the stream, before any notice arrives."""
        try:
            async with self._http.stream(
                "GET",
                "/stream",
                params=[("output", run_id) for run_id in sorted(outputs)],
                headers={"Accept": "text/event-stream"},
                timeout=self._stream_timeout,
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise error_from_response(response)
                if on_open is not None:
                    opened = on_open()
                    if inspect.isawaitable(opened):
                        await opened
                async for event in parse_sse(response.aiter_lines()):
                    yield event
        except httpx.TransportError as exc:
            raise transport_failure(exc) from exc


def _model(model: type[T]) -> Callable[[httpx.Response], T]:
    def parse(response: httpx.Response) -> T:
        return model.model_validate_json(response.content)  # type: ignore[attr-defined,no-any-return]

    return parse


def _tagged_detail(response: httpx.Response) -> TaggedDetail | None:
    if response.status_code == 304:
        return None
    return TaggedDetail(
        RunDetail.model_validate_json(response.content), response.headers.get("ETag", "")
    )


def _definitions_path(kind: RunKind) -> str:
    return "/flows" if kind is RunKind.FLOW else "/guides"


def _segment(value: str) -> str:
    """A path segment from server data: quoted, and never a dot segment that would climb."""
    if not value or value in (".", ".."):
        raise Invalid(f"not a usable id: {value!r}")
    return quote(value, safe="")
