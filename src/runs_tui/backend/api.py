"""The runs HTTP API (FastAPI) at `/api/v1`: the written contract a production backend implements.

Big answers (the change feed, run lists) are spliced from JSON the store keeps per run and sent
as raw bodies: FastAPI's generic encoder would rebuild and re-encode thousands of objects per
page, and the change feed is what a client's first sync waits on.

Every failure leaves as `ApiError` JSON (`{"error": {"code", "message", ...}}`), including
FastAPI's own 404/405/422 and unexpected exceptions, which are logged and never echoed.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BeforeValidator, StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runs_tui.backend import audit
from runs_tui.backend.auth import AmbiguousAuthorization, Unauthorized, bearer_guard, caller
from runs_tui.backend.bus import HEARTBEAT, Bus
from runs_tui.backend.engine import (
    Conflict,
    DefinitionNotFound,
    Engine,
    Forbidden,
    InvalidRequest,
)
from runs_tui.backend.identities import IdentityBook
from runs_tui.backend.limits import DEFAULT_BODY_TIMEOUT, MAX_BODY_BYTES, BoundedRequests
from runs_tui.backend.openapi_doc import RESPOND_CONFLICT, RESPOND_INVALID, problems
from runs_tui.backend.store import (
    CursorExpired,
    DeleteRefusal,
    RunNotFound,
    RunStore,
    StoredResponse,
    etag_of,
)
from runs_tui.models.domain import (
    API_PREFIX,
    CLIENT_HEADER,
    MAX_NAME_LENGTH,
    ApiError,
    ApiErrorBody,
    AuditAction,
    AuditPage,
    BulkDeleteRequest,
    BulkDeleteResult,
    CancelRequest,
    ChangesPage,
    DefinitionSummary,
    ErrorCode,
    Me,
    PromptResponse,
    RespondRequest,
    RunDetail,
    RunsPage,
    RunSummary,
    StartRunRequest,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus, StatusGroup, parse_status_filter

log = logging.getLogger(__name__)
_ISO_START = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")

JSON = "application/json"
DEFAULT_CHANGES_LIMIT = 1000
MAX_CHANGES_LIMIT = 10_000
MAX_LIST_LIMIT = 1000
MAX_OFFSET = 10**9  # far past any real list; keeps the value inside every database's integer
MAX_SEQ = 2**63 - 1  # the change sequence is a signed 64-bit column
MAX_NAME_FILTER = 200  # a LIKE pattern longer than this is no name anyone types
MAX_IDEMPOTENCY_KEY = 200
MAX_WATCHED_OUTPUTS = 32  # `/stream?output=`: a dashboard follows one run, a script a few
DEFAULT_HEARTBEAT_SECONDS = 15.0
DEFAULT_AUDIT_LIMIT = 100
MAX_AUDIT_LIMIT = 1000
_STATUS_CODES = {
    400: ErrorCode.INVALID,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    410: ErrorCode.GONE,
}
_NOT_FOUND_ERRORS: tuple[type[Exception], ...] = (RunNotFound, DefinitionNotFound)


class ApiProblem(Exception):
    """A refusal the API answers with: its status and the `ApiErrorBody` fields."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        *,
        run_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = ApiErrorBody(code=code, message=message, run_id=run_id, details=details or {})


def create_app(
    engine: Engine,
    store: RunStore,
    bus: Bus,
    token: str | IdentityBook,
    *,
    heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    manage_engine: bool = True,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The app; with `manage_engine` its lifespan starts and stops the engine, so plain
    `uvicorn` serving it is a complete backend. The OpenAPI document is served behind the
    token like everything but /health (there is no browser `/docs` page: a browser cannot send
    the token when it opens a page). `token`: the one shared token, or the `IdentityBook` of
    every token the backend knows and who each is."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_engine:
            await engine.start()
        try:
            yield
        finally:
            if manage_engine:
                await engine.stop()

    app = FastAPI(
        title="runs-tui reference runs backend",
        version="1",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.shutting_down = asyncio.Event()
    _install_error_handlers(app)
    app.include_router(_health_router())
    guard = bearer_guard(token)
    handlers = _Handlers(engine, store, bus, app.state.shutting_down, heartbeat_seconds)
    app.include_router(handlers.router(guard))
    app.include_router(_openapi_router(app, guard))
    app.add_middleware(BoundedRequests, max_body_bytes=max_body_bytes, body_timeout=body_timeout)
    return app


def _health_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)

    @router.get("/health", tags=["meta"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return router


def _openapi_router(app: FastAPI, guard: Callable[..., None]) -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, dependencies=[Depends(guard)])

    @router.get("/openapi.json", tags=["meta"], responses=problems(400, 401))
    async def openapi_document() -> dict[str, Any]:
        """This API's OpenAPI document (the contract), behind the token like the API itself."""
        return app.openapi()

    return router


class _KeyedLocks:
    """One asyncio lock per idempotency key in flight, so a retry racing its original waits for
    the first answer instead of acting twice."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class _Handlers:
    def __init__(
        self, engine: Engine, store: RunStore, bus: Bus, stopping: asyncio.Event, heartbeat: float
    ) -> None:
        self.engine = engine
        self.store = store
        self.bus = bus
        self.stopping = stopping
        self.heartbeat = heartbeat
        self.locks = _KeyedLocks()

    def router(self, guard: Callable[..., None]) -> APIRouter:
        router = APIRouter(
            prefix=API_PREFIX, dependencies=[Depends(guard), Depends(_valid_unicode_body)]
        )
        json_answer = {"content": {JSON: {}}}
        body = (400, 401, 408, 413, 422)  # every operation with a JSON body can meet these
        router.add_api_route(
            "/runs/changes",
            self.changes,
            methods=["GET"],
            tags=["runs"],
            responses={200: {"model": ChangesPage, **json_answer}, **problems(400, 401, 410, 422)},
        )
        router.add_api_route(
            "/runs",
            self.list_runs,
            methods=["GET"],
            tags=["runs"],
            responses={200: {"model": RunsPage, **json_answer}, **problems(400, 401, 422)},
        )
        router.add_api_route(
            "/runs/delete",
            self.delete_many,
            methods=["POST"],
            tags=["runs"],
            response_model=BulkDeleteResult,
            responses=problems(*body),
        )
        router.add_api_route(
            "/runs/{run_id}",
            self.get_run,
            methods=["GET"],
            tags=["runs"],
            responses={200: {"model": RunDetail, **json_answer}, **problems(304, 400, 401, 404)},
        )
        router.add_api_route(
            "/runs/{run_id}",
            self.delete_one,
            methods=["DELETE"],
            tags=["runs"],
            status_code=204,
            responses=problems(400, 401, 404, 409),
        )
        router.add_api_route(
            "/runs/{run_id}/steps/{step_id}/response",
            self.respond,
            methods=["POST"],
            tags=["actions"],
            responses={
                200: {"model": RunDetail, **json_answer},
                **problems(*body, 403, 404, 409),
                409: {**problems(409)[409], "description": RESPOND_CONFLICT},
                422: {**problems(422)[422], "description": RESPOND_INVALID},
            },
        )
        router.add_api_route(
            "/runs/{run_id}/cancel",
            self.cancel,
            methods=["POST"],
            tags=["actions"],
            responses={200: {"model": RunSummary, **json_answer}, **problems(*body, 404, 409)},
        )
        router.add_api_route(
            "/me",
            self.me,
            methods=["GET"],
            tags=["meta"],
            response_model=Me,
            responses=problems(400, 401),
        )
        router.add_api_route(
            "/audit",
            self.audit_log,
            methods=["GET"],
            tags=["audit"],
            response_model=AuditPage,
            responses=problems(400, 401, 422),
        )
        router.add_api_route(
            "/stream",
            self.stream,
            methods=["GET"],
            tags=["live"],
            responses={200: {"content": {"text/event-stream": {}}}, **problems(400, 401, 422)},
        )
        for kind, plural in ((RunKind.FLOW, "flows"), (RunKind.GUIDE, "guides")):
            router.add_api_route(
                f"/{plural}",
                self._definitions_handler(kind),
                methods=["GET"],
                tags=["definitions"],
                response_model=list[DefinitionSummary],
                responses=problems(400, 401),
            )
            router.add_api_route(
                f"/{plural}/{{definition_id}}/runs",
                self._start_handler(kind),
                methods=["POST"],
                tags=["definitions"],
                status_code=201,
                responses={201: {"model": RunSummary, **json_answer}, **problems(*body, 404)},
            )
        return router

    # reads ----------------------------------------------------------------------------------

    async def changes(
        self,
        cursor: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_CHANGES_LIMIT)] = DEFAULT_CHANGES_LIMIT,
        resync: Annotated[
            bool,
            Query(
                description=(
                    "The cursor is a full resync's own: never 410. "
                    "A resync cursor ahead of this server's sequence (another database) "
                    "restarts the sweep: the page is read from the start."
                )
            ),
        ] = False,
    ) -> Response:
        """The change feed: runs changed and runs deleted after `cursor`, in sequence order."""
        try:
            body = await run_in_threadpool(
                partial(self.store.changes_json, cursor, limit, resync=resync)
            )
        except CursorExpired as expired:
            raise ApiProblem(
                410, ErrorCode.GONE, str(expired), details={"cursor": cursor}
            ) from None
        return Response(body, media_type=JSON)

    async def list_runs(
        self,
        status: Annotated[
            list[_StatusList],
            Query(
                description=(
                    "Groups (active, failed...) or status values (completed_partial...), "
                    "comma-separated; repeatable."
                ),
            ),
        ] = [],  # noqa: B006
        kind: RunKind | None = None,
        since: Annotated[
            datetime | None, BeforeValidator(_iso_time), Query(description=_TIME_HELP)
        ] = None,
        until: Annotated[
            datetime | None, BeforeValidator(_iso_time), Query(description=_TIME_HELP)
        ] = None,
        name: Annotated[str, Query(max_length=MAX_NAME_FILTER)] = "",
        limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        cursor: Annotated[
            str | None,
            Query(
                pattern=r"^[0-9]{0,9}$",
                description="`next_cursor` of the previous page; empty: the first page.",
            ),
        ] = None,
    ) -> Response:
        """Runs newest first, for scripts; filters combine with AND, statuses with OR."""
        page = await run_in_threadpool(
            lambda: self.store.list_runs_json(
                statuses=_parse_statuses(status),
                kind=kind,
                since=since,
                until=until,
                name=name,
                limit=limit,
                offset=_parse_offset(cursor, offset),
            )
        )
        return Response(page.body, media_type=JSON)

    async def get_run(
        self, run_id: str, if_none_match: Annotated[str | None, Header()] = None
    ) -> Response:
        """The run with steps, variables and events; `If-None-Match` with its ETag → 304."""
        detail = await self._load(run_id)
        etag = etag_of(detail)
        if if_none_match and (if_none_match.strip() == "*" or etag in _etags(if_none_match)):
            return Response(status_code=304, headers={"ETag": etag})
        return Response(detail.model_dump_json(), media_type=JSON, headers={"ETag": etag})

    async def me(self, request: Request) -> Me:
        """Who the backend takes the caller's token for: the name recorded as `answered_by`
        and in the audit, and the groups `responders` entries match."""
        identity = caller(request)
        return Me(name=identity.name, groups=sorted(identity.groups))

    async def audit_log(
        self,
        since: Annotated[
            int, Query(ge=0, le=MAX_SEQ, description="`next_cursor` of the previous page.")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_LIMIT)] = DEFAULT_AUDIT_LIMIT,
    ) -> AuditPage:
        """Every mutating action (answer, expiry, cancel, rerun, delete, bulk delete) after
        `since`, oldest first: who, through which client, when. Kept after a run is deleted."""
        return await run_in_threadpool(self.store.audit_page, since, limit)

    async def stream(
        self,
        output: Annotated[
            list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH)]],
            Query(
                max_length=MAX_WATCHED_OUTPUTS,
                description="Run ids whose tool output to send (repeatable). Without it, no "
                "`output` events: change notices only.",
            ),
        ] = [],  # noqa: B006
    ) -> StreamingResponse:
        """Server-sent events: `change` {"seq"} to everyone, `output` {"run_id","step_id",
        "chunk"} for the runs named in `output`, and a `heartbeat` on connect and after every
        quiet interval."""
        return StreamingResponse(
            self._events(output),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    # actions --------------------------------------------------------------------------------

    async def respond(
        self,
        run_id: str,
        step_id: str,
        body: RespondRequest,
        request: Request,
        idempotency_key: _IdempotencyKey = None,
    ) -> Response:
        """Answer the prompt of a step that waits; 409 when it does not (with who answered, or
        `expired` when its deadline passed first); 403 when the prompt's responders or four-eyes
        rule refuses the caller. A typed prompt's answer goes in `values`; one its fields refuse
        is 422 `invalid` with `details` {field, reason}, and nothing is recorded. `answered_by`
        is the token's identity: the request's `answered_by` is only kept as `declared_by` in
        the audit when it differs."""
        identity, client = caller(request), _client(request)

        async def act() -> tuple[int, str]:
            response = PromptResponse(
                value=body.value, note=body.note, answered_by=body.answered_by
            )
            with _engine_errors(run_id):
                detail = await self.engine.respond(
                    run_id,
                    step_id,
                    response,
                    body.prompt_id,
                    values=body.values,
                    identity=identity,
                    client=client,
                )
            return 200, detail.model_dump_json()

        return await self._idempotent(request, idempotency_key, body.model_dump_json(), act)

    async def cancel(
        self,
        run_id: str,
        request: Request,
        body: CancelRequest | None = None,
        idempotency_key: _IdempotencyKey = None,
    ) -> Response:
        """Cooperative cancel, recorded as the token's identity (`actor` is only kept as
        `declared_by` in the audit when it differs); 409 for a run finished otherwise; a
        cancelled run answers 200."""
        body = body or CancelRequest()
        identity, client = caller(request), _client(request)
        declared = body.actor if body.actor and body.actor != identity.name else ""

        async def act() -> tuple[int, str]:
            with _engine_errors(run_id):
                summary = await self.engine.cancel(
                    run_id, identity.name, client=client, declared_by=declared
                )
            return 200, summary.model_dump_json()

        return await self._idempotent(request, idempotency_key, body.model_dump_json(), act)

    async def delete_one(self, run_id: str, request: Request) -> Response:
        """Delete a finished run; it leaves a tombstone in the change feed and an audit entry."""
        deleted, refused = await self._delete([run_id], _stamp(request, AuditAction.DELETE))
        if refused:
            raise _refusal_problem(refused[0])
        return Response(status_code=204)

    async def delete_many(self, body: BulkDeleteRequest, request: Request) -> BulkDeleteResult:
        """Delete the finished runs among `ids` (an audit entry each); the others are listed
        as refused."""
        deleted, refused = await self._delete(body.ids, _stamp(request, AuditAction.BULK_DELETE))
        return BulkDeleteResult(
            deleted=deleted, refused=[_refusal_problem(r).body for r in refused]
        )

    def _definitions_handler(
        self, kind: RunKind
    ) -> Callable[[], Awaitable[list[DefinitionSummary]]]:
        async def definitions() -> list[DefinitionSummary]:
            return self.engine.definitions(kind)

        definitions.__doc__ = f"The {kind.value} definitions runs can be started from."
        return definitions

    def _start_handler(self, kind: RunKind) -> Callable[..., Awaitable[Response]]:
        async def start_run(
            definition_id: str,
            body: StartRunRequest,
            request: Request,
            idempotency_key: _IdempotencyKey = None,
        ) -> Response:
            identity, client = caller(request), _client(request)

            async def act() -> tuple[int, str]:
                with _engine_errors(None):
                    summary = await self.engine.start_run(
                        kind, definition_id, body, identity=identity, client=client
                    )
                return 201, summary.model_dump_json()

            return await self._idempotent(request, idempotency_key, body.model_dump_json(), act)

        start_run.__doc__ = (
            f"Start a {kind.value} run; 422 when a required input is missing. The trigger's "
            "actor is the token's identity; `rerun_of` records a rerun in the audit."
        )
        return start_run

    # plumbing -------------------------------------------------------------------------------

    async def _load(self, run_id: str) -> RunDetail:
        try:
            return await run_in_threadpool(self.store.get_run, run_id)
        except RunNotFound:
            raise ApiProblem(404, ErrorCode.NOT_FOUND, "no such run", run_id=run_id) from None

    async def _delete(
        self, ids: list[str], stamp: audit.Stamp
    ) -> tuple[list[str], list[DeleteRefusal]]:
        deleted, refused = await run_in_threadpool(self.store.delete_runs, ids, stamp)
        if deleted:
            self.bus.publish_change(await run_in_threadpool(self.store.max_seq))
        return deleted, refused

    async def _idempotent(
        self,
        request: Request,
        key: str | None,
        canonical_body: str,
        act: Callable[[], Awaitable[tuple[int, str]]],
    ) -> Response:
        """Same key + same request → the first answer again, nothing done; same key + another
        request → 422 `idempotency_key_reused`. Only successful answers are recorded, so a
        refused request can be retried under the same key once the refusal no longer holds.
        Keys are per caller: another person's request under the same key is theirs, checked
        and refused on its own (a replay would hand them the first person's success)."""
        if not key:
            status, body = await act()
            return Response(body, status_code=status, media_type=JSON)
        key = hashlib.sha256(f"{caller(request).name}\0{key}".encode()).hexdigest()
        fingerprint = hashlib.sha256(
            f"{request.method} {request.url.path}\n{canonical_body}".encode()
        ).hexdigest()
        async with self.locks.hold(key):
            stored = await run_in_threadpool(self.store.recall_response, key)
            if stored is not None:
                return _replay(stored, fingerprint)
            status, body = await act()
            await run_in_threadpool(
                self.store.remember_response, key, StoredResponse(fingerprint, status, body)
            )
        return Response(body, status_code=status, media_type=JSON)

    async def _events(self, outputs: list[str]) -> AsyncIterator[str]:
        """Everything queued since the last write goes out as one write (one frame each,
        encoded once for all clients); a heartbeat after a quiet interval."""
        with self.bus.subscription(outputs) as subscriber:
            yield HEARTBEAT.frame
            while not self.stopping.is_set():
                batch = await subscriber.next_batch(self.heartbeat)
                if self.stopping.is_set():
                    break
                yield "".join(notice.frame for notice in batch) if batch else HEARTBEAT.frame


_IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=MAX_IDEMPOTENCY_KEY,
        description="Same key and same request: the first answer again, nothing done twice; "
        "same key and another request: 422 `idempotency_key_reused`.",
    ),
]


def _status_token() -> str:
    """Every spelling the filter takes: group and status values and their labels, as written."""
    spellings = {
        *(g.value for g in StatusGroup),
        *(g.label for g in StatusGroup),
        *(s.value for s in RunStatus),
        *(s.label for s in RunStatus),
    }
    escaped = (spelling.replace("(", "\\(").replace(")", "\\)") for spelling in spellings)
    return "(?:" + "|".join(sorted(escaped, key=len, reverse=True)) + ")"


_STATUS_TOKEN = _status_token()
# The document states the exact spellings taken, so a fuzzer (or a client) can tell a valid
# filter from a refused one; empty items are skipped ("active," is "active").
_StatusList = Annotated[
    str, StringConstraints(pattern=f"^{_STATUS_TOKEN}?(?:,{_STATUS_TOKEN}?)*$", max_length=1000)
]
_TIME_HELP = "ISO 8601 (`2026-03-01T09:00:00Z`); without a zone, UTC. Numbers are refused."


def _iso_time(value: Any) -> Any:
    """Pydantic reads a bare number as Unix time, so `until=0.5` meant 1970; an API filter
    says the time it means, so only ISO 8601 text is taken."""
    if isinstance(value, str) and not _ISO_START.match(value):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-03-01T09:00:00Z")
    return value


def _client(request: Request) -> str:
    return audit.client_of(request.headers.get(CLIENT_HEADER))


def _stamp(request: Request, action: AuditAction) -> audit.Stamp:
    return audit.Stamp(caller(request).name, _client(request), action)


def _replay(stored: StoredResponse, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        raise ApiProblem(
            422,
            ErrorCode.INVALID,
            "this Idempotency-Key was already used with a different request",
            details={"reason": "idempotency_key_reused"},
        )
    return Response(
        stored.body,
        status_code=stored.status_code,
        media_type=JSON,
        headers={"Idempotent-Replayed": "true"},
    )


@contextmanager
def _engine_errors(run_id: str | None) -> Iterator[None]:
    """Turns the engine's refusals into API problems."""
    try:
        yield
    except Conflict as error:
        raise ApiProblem(
            409, ErrorCode.CONFLICT, str(error), run_id=run_id, details=_jsonable(error.current)
        ) from None
    except Forbidden as error:
        raise ApiProblem(
            403, ErrorCode.FORBIDDEN, str(error), run_id=run_id, details={"rule": error.rule}
        ) from None
    except InvalidRequest as error:
        raise ApiProblem(
            422, ErrorCode.INVALID, str(error), run_id=run_id, details=error.details
        ) from None
    except DefinitionNotFound as error:
        raise ApiProblem(404, ErrorCode.NOT_FOUND, str(error) or "no such definition") from None
    except _NOT_FOUND_ERRORS as error:
        raise ApiProblem(
            404, ErrorCode.NOT_FOUND, str(error) or "no such run", run_id=run_id
        ) from None


def _jsonable(current: dict[str, object]) -> dict[str, Any]:
    """The engine's `current` may hold enums and datetimes; the error body is plain JSON."""
    return json.loads(
        json.dumps(current, default=lambda value: getattr(value, "value", None) or str(value))
    )


def _refusal_problem(refusal: DeleteRefusal) -> ApiProblem:
    if refusal.status is None:
        return ApiProblem(404, ErrorCode.NOT_FOUND, refusal.message, run_id=refusal.run_id)
    return ApiProblem(
        409,
        ErrorCode.CONFLICT,
        refusal.message,
        run_id=refusal.run_id,
        details={"status": refusal.status.value},
    )


async def _valid_unicode_body(request: Request) -> None:
    """422 for a JSON body holding a lone surrogate (`"\\ud800"`, or its raw bytes, which JSON
    decoding lets through): Python accepts such a string, but it cannot be encoded as UTF-8, so
    storing or answering it would fail deep inside as a 500. The body is the one FastAPI already
    read (cached on the request); the fast path skips bodies without an escape or an 0xED byte."""
    body = await request.body()
    if not body or (b"\\u" not in body and b"\xed" not in body):
        return
    try:
        document = json.loads(body)
    except ValueError:
        return  # not JSON: FastAPI answers it
    if _has_lone_surrogate(document):
        raise ApiProblem(
            422,
            ErrorCode.INVALID,
            "the request holds text that is not valid Unicode (a lone surrogate)",
            details={"reason": "invalid_unicode"},
        )


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(
            _has_lone_surrogate(key) or _has_lone_surrogate(item) for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def _parse_statuses(values: list[str]) -> frozenset[RunStatus]:
    statuses: set[RunStatus] = set()
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                statuses |= parse_status_filter(part)
            except ValueError:
                raise ApiProblem(
                    422, ErrorCode.INVALID, f"unknown status or group: {part.strip()!r}"
                ) from None
    return frozenset(statuses)


def _parse_offset(cursor: str | None, offset: int) -> int:
    """An empty cursor is the first page (a client that keeps `next_cursor` in a form field
    sends it empty); the query pattern already limits it to ASCII digits."""
    if not cursor:
        return offset
    if not cursor.isascii() or not cursor.isdigit() or int(cursor) > MAX_OFFSET:
        raise ApiProblem(
            422, ErrorCode.INVALID, "cursor must be a `next_cursor` from a previous page"
        )
    return int(cursor)


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",")}


# errors ---------------------------------------------------------------------------------------


def _error_response(
    status: int, body: ApiErrorBody, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        ApiError(error=body).model_dump_json(), status_code=status, media_type=JSON, headers=headers
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def on_problem(_: Request, problem: ApiProblem) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
        return _error_response(problem.status, problem.body, headers)

    @app.exception_handler(Unauthorized)
    async def on_unauthorized(_: Request, refusal: Unauthorized) -> Response:
        body = ApiErrorBody(code=ErrorCode.UNAUTHORIZED, message=str(refusal))
        return _error_response(401, body, {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(AmbiguousAuthorization)
    async def on_ambiguous(_: Request, refusal: AmbiguousAuthorization) -> Response:
        return _error_response(400, ApiErrorBody(code=ErrorCode.INVALID, message=str(refusal)))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(
            error.status_code,
            ErrorCode.SERVER_ERROR if error.status_code >= 500 else ErrorCode.INVALID,
        )
        message = error.detail if isinstance(error.detail, str) else "request refused"
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return _error_response(error.status_code, ApiErrorBody(code=code, message=message), headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, error: RequestValidationError) -> Response:
        problems = [
            {
                "loc": [str(part) for part in item.get("loc", ())],
                "msg": str(item.get("msg", "")),
                "type": str(item.get("type", "")),
            }
            for item in error.errors()
        ]
        first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
        message = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else str(first["msg"])
        return _error_response(
            422, ApiErrorBody(code=ErrorCode.INVALID, message=message, details={"errors": problems})
        )

    app.add_middleware(_CrashGuard)


def _allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document lists for this path. Starlette's own 405 names only the
    first route that matched, so `/runs/{id}` (GET and DELETE) advertised GET. Of the templates
    a path matches, the most literal one is its own (`/runs/changes`, not `/runs/{run_id}`)."""
    path = request.scope.get("path", "")
    matching = [
        (template.count("{"), operations)
        for template, operations in request.app.openapi().get("paths", {}).items()
        if _template_pattern(template).fullmatch(path)
    ]
    if not matching:
        return []
    _, operations = min(matching, key=lambda match: match[0])
    return sorted(method.upper() for method in operations if method.upper() in _HTTP_METHODS)


_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


@functools.cache
def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


class _CrashGuard:
    """Answers an unexpected exception with the JSON 500 itself, instead of letting it reach
    Starlette's outermost handler, which re-raises into uvicorn: uvicorn then drops the
    keep-alive connection, and a client whose next bytes were already on the wire gets a reset
    instead of the 500. The exception is logged, never echoed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = ApiErrorBody(code=ErrorCode.SERVER_ERROR, message="internal server error")
            await _error_response(500, body)(scope, receive, send)
