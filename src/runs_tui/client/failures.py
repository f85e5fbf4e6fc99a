"""Non-2xx answers and transport failures, as the typed errors the UI and CLI explain.

Server text goes into one-line messages (no control characters, bounded); transport errors
are described by their kind, since httpx messages can carry URLs.
"""

from __future__ import annotations

import ssl
import unicodedata
from typing import Any

import httpx
from pydantic import ValidationError

from runs_tui.errors import (
    ClientError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    ServerError,
    StateConflict,
    Unauthorized,
    Unreachable,
)
from runs_tui.models.domain import ApiError

MAX_MESSAGE_CHARS = 300


def one_line(text: str) -> str:
    """Server text goes into one-line messages: no control characters, bounded length."""
    cleaned = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= MAX_MESSAGE_CHARS else cleaned[: MAX_MESSAGE_CHARS - 1] + "…"


def _error_parts(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """(message, details) from an `ApiError` body, FastAPI's `detail`, or the status line."""
    try:
        error = ApiError.model_validate_json(response.content).error
        return one_line(error.message), error.details
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
        return one_line(str(detail)), {}
    return one_line(response.reason_phrase or f"HTTP {response.status_code}"), {}


def _code_of(response: httpx.Response) -> str | None:
    try:
        return ApiError.model_validate_json(response.content).error.code.value
    except (ValidationError, ValueError):
        return None


def error_from_response(response: httpx.Response) -> ClientError:
    """Map a non-2xx answer to the typed error the UI explains."""
    status = response.status_code
    message, details = _error_parts(response)
    if status == 403 and _code_of(response) == "forbidden":
        return Forbidden(message, rule=str(details.get("rule", "")), status=status)
    if status in (401, 403):
        return Unauthorized(message, status=status)
    if status == 404:
        return NotFound(message, status=status)
    if status == 409:
        return StateConflict(message, current=details)
    if status == 410:
        return Gone(message, status=status)
    if status in (400, 422):
        return Invalid(message, status=status, details=details)
    if status == 429:
        return ServerError(f"the backend is busy: {message}", status=status)
    if 300 <= status < 400:
        return ServerError(f"unexpected redirect (not followed): {message}", status=status)
    if status >= 500:
        return ServerError(message, status=status)
    return ClientError(f"HTTP {status}: {message}", status=status)


def transport_failure(exc: httpx.TransportError) -> Unreachable:
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
