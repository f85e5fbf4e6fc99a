"""The async HTTP client of the runs API: typed answers, typed errors, safe retries.

Why it is shaped this way:
- Operators run this over flaky SSH tunnels and VPNs, so every call has timeouts and transient
  failures are retried with jittered exponential backoff — but only when a retry cannot apply
  an action twice: GET/DELETE, or a POST that carries an `Idempotency-Key` (one key per user
  action, reused by all its retries, so the server answers a retry with the first answer).
- The bearer token is a credential for one origin. It is attached by an auth hook that checks
  the request's origin, redirects are never followed, it is kept out of reprs and exception
  messages, and a logging filter redacts it should any library ever log it.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import json
import logging
import random
import ssl
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from runs_tui.errors import (
    ClientError,
    Conflict,
    Gone,
    Invalid,
    NotFound,
    Refused,
    ServerError,
    Unauthorized,
    Unreachable,
)
from runs_tui.models.domain import (
    API_PREFIX,
    ApiError,
    BulkDeleteRequest,
    BulkDeleteResult,
    ChangesPage,
    DefinitionSummary,
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
RETRY_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})
MAX_MESSAGE_CHARS = 300
_DEFINITIONS = TypeAdapter(list[DefinitionSummary])


def new_idempotency_key() -> str:
    """One key per user action: generate it when the user acts, reuse it for every retry."""
    return uuid.uuid4().hex


# --- retry policy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded twice: by attempts and by the total time spent waiting between them."""

    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 3.0
    total_budget: float = 15.0
    retry_after_cap: float = 10.0

    def backoff(self, retry_number: int, rng: Callable[[], float]) -> float:
        """Full jitter: spreads the retries of many clients after a backend restart."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return ceiling * rng()


NO_RETRY = RetryPolicy(attempts=1)


class _Budget:
    """The retries left for one call: attempts, and time (wall time or time asked to wait,
    whichever is larger, so an injected sleep is accounted for like a real one)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.started = time.monotonic()
        self.waited = 0.0

    def next_delay(
        self, attempt: int, retry_after: float | None, rng: Callable[[], float]
    ) -> float | None:
        """The wait before the next attempt, or None when the attempts or the time are spent."""
        if attempt >= self.policy.attempts:
            return None
        delay = retry_after if retry_after is not None else self.policy.backoff(attempt, rng)
        spent = max(time.monotonic() - self.started, self.waited)
        if spent + delay > self.policy.total_budget:
            return None
        self.waited += delay
        return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# --- token hygiene ---------------------------------------------------------------------------


class _TokenRedactor(logging.Filter):
    """Replaces any registered secret in a log record; installed on the HTTP stack's loggers."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def register(self, secret: str) -> None:
        if secret:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


_REDACTOR = _TokenRedactor()
_REDACTED_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "runs_tui",
    __name__,
    "runs_tui.sync",
    "runs_tui.service",
)
for _name in _REDACTED_LOGGERS:
    logging.getLogger(_name).addFilter(_REDACTOR)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default_port


class _BearerAuth(httpx.Auth):
    """Adds the token only to requests for the configured origin."""

    def __init__(self, token: str, origin: tuple[str, str, int | None]) -> None:
        self._token = token
        self._origin = origin

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token and _origin(request.url) == self._origin:
            request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "<BearerAuth ***>"


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_backend_url(url: str, *, allow_insecure_http: bool = False) -> httpx.URL:
    """Refuse configurations that would leak the token: no userinfo, no plain http off-host."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Refused(
            f"backend URL must be http(s)://host[:port], got {parsed.scheme or 'no'} scheme"
        )
    if parsed.userinfo:
        raise Refused("backend URL must not carry credentials; configure a token instead")
    if parsed.scheme == "http" and not allow_insecure_http and not _is_loopback(parsed.host):
        raise Refused(
            f"plain http to the non-loopback host {parsed.host} would expose the token; "
            "use https, or allow insecure http explicitly in the profile"
        )
    return parsed


def _tls_verify(verify: bool, ca_path: str | None) -> ssl.SSLContext | bool:
    """A custom CA replaces the system store for this backend; verification stays on."""
    if not ca_path:
        return verify
    try:
        return ssl.create_default_context(cafile=ca_path)
    except (OSError, ssl.SSLError) as exc:
        raise Refused(f"cannot use the CA file {ca_path}: {exc.strerror or exc}") from None


# --- answers to errors -----------------------------------------------------------------------


def _one_line(text: str) -> str:
    """Server text goes into one-line messages: no control characters, bounded length."""
    cleaned = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= MAX_MESSAGE_CHARS else cleaned[: MAX_MESSAGE_CHARS - 1] + "…"


def _error_parts(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """(message, details) from an `ApiError` body, FastAPI's `detail`, or the status line."""
    try:
        error = ApiError.model_validate_json(response.content).error
        return _one_line(error.message), error.details
    except (ValidationError, ValueError):
        pass
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        detail = "; ".join(
            str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail
        )
    if detail:
        return _one_line(str(detail)), {}
    return _one_line(response.reason_phrase or f"HTTP {response.status_code}"), {}


def error_from_response(response: httpx.Response) -> ClientError:
    """Map a non-2xx answer to the typed error the UI explains."""
    status = response.status_code
    message, details = _error_parts(response)
    if status in (401, 403):
        return Unauthorized(message, status=status)
    if status == 404:
        return NotFound(message, status=status)
    if status == 409:
        return Conflict(message, current=details)
    if status == 410:
        return Gone(message, status=status)
    if status in (400, 422):
        return Invalid(message, status=status)
    if status == 429:
        return ServerError(f"the backend is busy: {message}", status=status)
    if 300 <= status < 400:
        return ServerError(f"unexpected redirect (not followed): {message}", status=status)
    if status >= 500:
        return ServerError(message, status=status)
    return ClientError(f"HTTP {status}: {message}", status=status)


def _transport_failure(exc: httpx.TransportError) -> Unreachable:
    """Describe a transport error by its kind; httpx messages can carry URLs, never headers."""
    if _caused_by(exc, ssl.SSLCertVerificationError):
        return Unreachable(
            "the backend's TLS certificate is not trusted (configure its CA in the profile)"
        )
    if _caused_by(exc, ssl.SSLError):
        return Unreachable("the TLS handshake failed")
    kind = type(exc).__name__
    reasons = {
        "ConnectError": "cannot connect",
        "ConnectTimeout": "connect timed out",
        "ReadTimeout": "no answer in time",
        "WriteTimeout": "send timed out",
        "PoolTimeout": "too many requests in flight",
        "ReadError": "connection lost",
        "WriteError": "connection lost",
        "RemoteProtocolError": "the connection broke mid-answer",
    }
    return Unreachable(reasons.get(kind, kind))


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _Malformed(Exception):
    """A 2xx answer whose body did not parse: transient (truncated) as far as retries go."""


# --- the client ------------------------------------------------------------------------------


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
    ) -> None:
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
        _REDACTOR.register(token or "")
        self._http = httpx.AsyncClient(
            base_url=self.base_url + API_PREFIX,
            auth=_BearerAuth(token or "", _origin(parsed)),
            follow_redirects=False,
            timeout=timeout,
            verify=_tls_verify(verify, ca_path),
            transport=transport,
            trust_env=False,
            headers={"Accept": "application/json", "User-Agent": "runs-tui"},
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
        retryable = method in SAFE_METHODS or bool(idempotency_key)
        budget = _Budget(self.retry)
        attempt = 0
        while True:
            attempt += 1
            failure, retry_after = await self._attempt(
                method, path, parse, params, body, headers, attempt, absent_after_retry_ok
            )
            if not isinstance(failure, ClientError):
                return failure
            delay = budget.next_delay(attempt, retry_after, self._rng) if retryable else None
            if delay is None:
                raise failure
            log.debug(
                "retry %s %s in %.2fs after attempt %d: %s",
                method,
                path,
                delay,
                attempt,
                failure.explain(),
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
            return _transport_failure(exc), None
        if response.status_code in RETRY_STATUSES:
            return error_from_response(response), self._retry_after(response)
        if response.status_code == 404 and attempt > 1 and absent_after_retry_ok:
            return parse(response), None
        if response.status_code >= 300 and response.status_code != 304:
            raise error_from_response(response)
        try:
            return parse(response), None
        except (ValidationError, ValueError, _Malformed):
            return ServerError(
                "the backend's answer was incomplete or malformed", status=response.status_code
            ), None

    def _retry_after(self, response: httpx.Response) -> float | None:
        seconds = parse_retry_after(response.headers.get("Retry-After"))
        return None if seconds is None else min(seconds, self.retry.retry_after_cap)

    # endpoints ----------------------------------------------------------------------------------

    async def health(self) -> bool:
        return await self._call("GET", "/health", lambda r: r.json().get("status") == "ok")

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
        path = f"/runs/{_segment(run_id)}/steps/{_segment(step_id)}/response"
        return await self._call(
            "POST",
            path,
            _model(RunDetail),
            body=request.model_dump_json(),
            idempotency_key=idempotency_key,
        )

    async def cancel(self, run_id: str, idempotency_key: str) -> RunSummary:
        return await self._call(
            "POST",
            f"/runs/{_segment(run_id)}/cancel",
            _model(RunSummary),
            body="{}",
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
        self, on_open: Callable[[], Awaitable[None] | None] | None = None
    ) -> AsyncIterator[tuple[StreamEventType, dict[str, Any]]]:
        """The live notices. Ends (or raises `Unreachable`) when the link drops; not retried
        here: the syncer owns reconnecting, with backoff and polling meanwhile. `on_open` is
        called once the server accepted the stream, before any notice arrives."""
        try:
            async with self._http.stream(
                "GET",
                "/stream",
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
            raise _transport_failure(exc) from exc


# --- helpers -----------------------------------------------------------------------------------


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


async def parse_sse(
    lines: AsyncIterator[str],
) -> AsyncIterator[tuple[StreamEventType, dict[str, Any]]]:
    """Server-sent events: `event:` and `data:` lines, a blank line ends an event. Unknown event
    types and undecodable data are skipped: a newer server must not break an older client."""
    event_type, data_lines = "message", []
    async for line in lines:
        if line == "":
            parsed = _decode_event(event_type, data_lines)
            if parsed is not None:
                yield parsed
            event_type, data_lines = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event_type = value
        elif field == "data":
            data_lines.append(value)


def _decode_event(
    event_type: str, data_lines: list[str]
) -> tuple[StreamEventType, dict[str, Any]] | None:
    if not data_lines and event_type == "message":
        return None
    try:
        kind = StreamEventType(event_type)
    except ValueError:
        return None
    try:
        data = json.loads("\n".join(data_lines)) if data_lines else {}
    except ValueError:
        return None
    return (kind, data) if isinstance(data, dict) else None
