"""Bearer-token check for every endpoint but /health.

The token is compared with `hmac.compare_digest` so the time a refusal takes says nothing about
how much of a guessed token was right.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Header


class Unauthorized(Exception):
    """Raised by the guard; the API answers 401 `unauthorized`."""


def bearer_guard(token: str) -> Callable[..., None]:
    """A FastAPI dependency accepting only `Authorization: Bearer <token>`."""
    if not token:
        raise ValueError("the API needs a non-empty token")
    expected = token.encode()

    def require_bearer(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            raise Unauthorized("missing bearer token")
        if not hmac.compare_digest(presented.strip().encode(), expected):
            raise Unauthorized("invalid token")

    return require_bearer
