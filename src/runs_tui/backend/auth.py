"""Bearer-token check for every endpoint but /health, and the rule for what a token may be.

The token is compared with `hmac.compare_digest` so the time a refusal takes says nothing about
how much of a guessed token was right.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

MIN_TOKEN_LENGTH = 16
_DOCUMENTED = HTTPBearer(
    auto_error=False, description="The backend's token (`RUNS_TUI_BACKEND_TOKEN`)."
)


class Unauthorized(Exception):
    """Raised by the guard; the API answers 401 `unauthorized`."""


class AmbiguousAuthorization(Exception):
    """Raised by the guard for a request with several `Authorization` headers; the API answers
    400: proxies and frameworks disagree on which one counts, so none of them is trusted."""


def token_problem(token: str) -> str | None:
    """Why `token` is no access control worth the name, or None. A short token can be guessed,
    and one with whitespace is usually a paste or quoting mistake (`" "` passed the old check)."""
    if any(character.isspace() for character in token):
        return "the backend token must not contain whitespace"
    if len(token) < MIN_TOKEN_LENGTH:
        return f"the backend token must be at least {MIN_TOKEN_LENGTH} characters"
    return None


def bearer_guard(token: str) -> Callable[..., None]:
    """A FastAPI dependency accepting only one `Authorization: Bearer <token>` header."""
    problem = token_problem(token)
    if problem:
        raise ValueError(problem)
    expected = token.encode()

    def require_bearer(
        request: Request,
        _: Annotated[HTTPAuthorizationCredentials | None, Depends(_DOCUMENTED)] = None,
    ) -> None:
        """Reads the raw headers rather than `HTTPBearer`'s answer, which sees only the first
        `Authorization` header; `HTTPBearer` is here so the OpenAPI document names the scheme."""
        headers = request.headers.getlist("authorization")
        if len(headers) > 1:
            raise AmbiguousAuthorization("send exactly one Authorization header")
        scheme, _, presented = (headers[0] if headers else "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            raise Unauthorized("missing bearer token")
        if not hmac.compare_digest(presented.strip().encode(), expected):
            raise Unauthorized("invalid token")

    return require_bearer
