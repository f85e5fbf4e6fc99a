"""Bearer-token check for every endpoint but /health, and the rule for what a token may be.

Tokens are compared with `hmac.compare_digest` so the time a refusal takes says nothing about
how much of a guessed token was right. The guard also says *who* the token is (an
`identities.IdentityBook`): handlers read it with `caller(request)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from runs_tui.backend.identities import IdentityBook
from runs_tui.models.responders import Identity

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


def bearer_guard(token: str | IdentityBook) -> Callable[..., None]:
    """A FastAPI dependency accepting only one `Authorization: Bearer <token>` header, of a
    token the book knows (a plain string: that one token, as the default identity)."""
    book = token if isinstance(token, IdentityBook) else IdentityBook(token)
    if book.shared_token is not None:
        problem = token_problem(book.shared_token)
        if problem:
            raise ValueError(problem)

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
        identity = book.identify(presented.strip())
        if identity is None:
            raise Unauthorized("invalid token")
        request.state.identity = identity

    return require_bearer


def caller(request: Request) -> Identity:
    """The identity the guard authenticated for this request."""
    identity = getattr(request.state, "identity", None)
    if not isinstance(identity, Identity):  # a route outside the guard: a programming error
        raise Unauthorized("not authenticated")
    return identity
