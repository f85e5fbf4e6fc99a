"""The refusals an operation documents in the OpenAPI document, described once.

Each operation lists every status it can answer, so a client (or a fuzzer) can tell a refusal
the contract promises from one it does not; the bodies are all `ApiError`.
"""

from __future__ import annotations

from typing import Any

from runs_tui.models.domain import ApiError

_DESCRIPTIONS = {
    304: "Not modified: `If-None-Match` names the current ETag, or is `*`.",
    400: "Bad request: a body that is not JSON, or more than one `Authorization` header.",
    401: "Unauthorized: the bearer token is missing or wrong.",
    403: "Forbidden: the token is valid, but a rule says no (the prompt's `responders`, or the "
    "four-eyes rule); `details.rule` names it, the message says why.",
    404: "Not found: no such run, step or definition.",
    408: "Request timeout: the body did not arrive in time; the connection is closed.",
    409: "Conflict: the action does not fit the run's current state (details say what it is).",
    410: "Gone: the cursor is older than the tombstones kept, or from another database.",
    413: "Content too large: the body is over the size limit; it is not read.",
    422: "Invalid: a value out of bounds or not allowed (unknown or missing input, a prompt "
    "answer it does not take, a reused `Idempotency-Key`).",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these statuses; 304 has no body."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"description": _DESCRIPTIONS[status]}
        if status != 304:
            entry["model"] = ApiError
        documented[status] = entry
    return documented
