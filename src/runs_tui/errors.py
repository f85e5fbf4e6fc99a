"""Typed client errors: what went wrong talking to the backend, in words an operator can act on.

The UI and the CLI catch `ClientError` and show `explain()`; they never see httpx exceptions.
Messages are built from the status code and the server's own error message only, never from
request headers, so the token cannot end up in an exception string, a log line or a toast.
Server-provided text is data: callers must render it literally (never as markup).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from runs_tui.formatting import aware, clock_time
from runs_tui.models.status import RunStatus
from runs_tui.sanitize import inert, truncate


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


class Forbidden(ClientError):
    """403 `forbidden`: the token is good, but a rule of the prompt says no (`rule`:
    `responders` or `four_eyes`); `message` is the backend's reason, in the words
    `models.responders.answer_refusal` gives the dashboard too. Not `Unauthorized`: the fix is
    another person, not another token."""

    def __init__(self, message: str = "", *, rule: str = "", status: int | None = 403) -> None:
        super().__init__(message, status=status)
        self.rule = rule

    def explain(self) -> str:
        return f"You may not answer: {self.message}" if self.message else "Forbidden."


class NotFound(ClientError):
    """404: the run, step or definition does not exist (any more)."""

    def explain(self) -> str:
        return f"Not found: {self.message}" if self.message else "Not found on the backend."


class StateConflict(ClientError):
    """409: the run is not in a state that allows the action. Named apart from the engine's
    `backend.engine.Conflict`: that one is raised in the backend and answered as the 409
    that the client turns into this.

    `current` is the server's view of the state the action collided with (status, and for an
    answered prompt who answered it and when), so the UI can say *why*, not just *no*. The
    words for it are written here once (`collided_with`), for toasts, the CLI and the prompt.
    """

    def __init__(
        self, message: str = "", *, current: dict[str, Any] | None = None, status: int | None = 409
    ) -> None:
        super().__init__(message, status=status)
        self.current: dict[str, Any] = dict(current or {})

    def collided_with(self, now: datetime | None = None) -> str:
        """What the action ran into: "answered by carol at 17:54:10", "the run is now
        Completed Success", or "" when the backend did not say. Server text is made inert."""
        who, when = self.current.get("answered_by"), self.current.get("answered_at")
        if who or when:
            words = "answered"
            if who:
                words += f" by {truncate(inert(who), 60)}"
            if when:
                words += f" at {_when(when, now)}"
            return words
        status = self.current.get("status")
        if not status:
            return ""
        return f"the run is now {RunStatus.label_of(status) or truncate(inert(status), 40)}"

    def answer_words(self, now: datetime | None = None) -> str:
        """A 409 on an answer: already answered (by whom, when) or no longer waiting."""
        collided = self.collided_with(now)
        return "Already answered or no longer waiting" + (f" — {collided}" if collided else "")

    def explain(self) -> str:
        parts = [self.message or "The run is not in a state that allows this"]
        collided = self.collided_with()
        return " — ".join(parts + [collided] if collided else parts)


def _when(value: object, now: datetime | None) -> str:
    """A server time (ISO text in `details`) as the clock rule prints it; else inert text."""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return truncate(inert(value), 40)
    moment = aware(moment)
    return clock_time(moment, now or datetime.now(moment.tzinfo))


class Invalid(ClientError):
    """422 (and 400): the request was understood and refused; `reason` says what to fix.
    `details` are the body's (a typed answer's refusal names its `field` and `reason`)."""

    def __init__(
        self, reason: str = "", *, status: int | None = 422, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(reason, status=status)
        self.reason = reason
        self.details: dict[str, Any] = dict(details or {})

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
