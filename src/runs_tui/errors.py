"""Typed client errors: what went wrong talking to the backend, in words an operator can act on.

The UI and the CLI catch `ClientError` and show `explain()`; they never see httpx exceptions.
Messages are built from the status code and the server's own error message only, never from
request headers, so the token cannot end up in an exception string, a log line or a toast.
Server-provided text is data: callers must render it literally (never as markup).
"""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Base of every failure of a backend call."""

    def __init__(self, message: str = "", *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def explain(self) -> str:
        """One line for a toast or a CLI diagnostic."""
        return self.message or "the backend call failed"


class Unauthorized(ClientError):
    """401/403: the token is missing, wrong or lacks the right."""

    def explain(self) -> str:
        return "The backend refused the token (unauthorized): check the profile's token."


class NotFound(ClientError):
    """404: the run, step or definition does not exist (any more)."""

    def explain(self) -> str:
        return f"Not found: {self.message}" if self.message else "Not found on the backend."


class Conflict(ClientError):
    """409: the run is not in a state that allows the action.

    `current` is the server's view of the state the action collided with (status, and for an
    answered prompt who answered it and when), so the UI can say *why*, not just *no*.
    """

    def __init__(
        self, message: str = "", *, current: dict[str, Any] | None = None, status: int | None = 409
    ) -> None:
        super().__init__(message, status=status)
        self.current: dict[str, Any] = dict(current or {})

    def explain(self) -> str:
        parts = [self.message or "The run is not in a state that allows this"]
        who, when = self.current.get("answered_by"), self.current.get("answered_at")
        if who or when:
            parts.append(
                "answered" + (f" by {who}" if who else "") + (f" at {when}" if when else "")
            )
        elif self.current.get("status"):
            parts.append(f"current status: {self.current['status']}")
        return " — ".join(parts)


class Invalid(ClientError):
    """422 (and 400): the request was understood and refused; `reason` says what to fix."""

    def __init__(self, reason: str = "", *, status: int | None = 422) -> None:
        super().__init__(reason, status=status)
        self.reason = reason

    def explain(self) -> str:
        return (
            f"Invalid: {self.reason}"
            if self.reason
            else "The backend refused the request as invalid."
        )


class Gone(ClientError):
    """410: the sync cursor is older than the server's tombstones; a full resync is needed."""

    def explain(self) -> str:
        return "The sync position expired on the backend: a full resync is needed."


class Unreachable(ClientError):
    """No answer: connection refused, DNS, TLS, timeouts — after the retries were spent."""

    def explain(self) -> str:
        return f"Backend unreachable: {self.message}" if self.message else "Backend unreachable."


class ServerError(ClientError):
    """5xx, a busy 429 after retries, or an answer the client could not understand."""

    def explain(self) -> str:
        code = f" ({self.status})" if self.status else ""
        return f"Backend error{code}: {self.message}" if self.message else f"Backend error{code}."


class Refused(ClientError):
    """The client refused its own configuration, e.g. plain http to a remote host."""

    def explain(self) -> str:
        return f"Refused: {self.message}"
