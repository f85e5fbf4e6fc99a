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
RESPOND_INVALID = (
    "Invalid: the answer breaks a rule of the prompt's fields; nothing is recorded. `details` "
    'name the first field in error and why: `{"field": "ticket", "reason": "must match the '
    'pattern INC-[0-9]+"}` (an unknown field too). Also a body out of bounds, or a reused '
    "`Idempotency-Key` (`details.reason`)."
)
RESPOND_CONFLICT = (
    "Conflict: the step no longer waits on that asking. `details` say who answered and when "
    "(`answered_by`, `answered_at`, `answered_value`), whether its deadline passed first "
    "(`expired`), and what the run waits on now (`waiting_step_id`, `prompt_id`)."
)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these statuses; 304 has no body."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"description": _DESCRIPTIONS[status]}
        if status != 304:
            entry["model"] = ApiError
        documented[status] = entry
    return documented
