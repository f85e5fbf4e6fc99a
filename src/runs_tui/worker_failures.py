"""What the operator is told when a worker of the dashboard fails.

Every worker runs with `exit_on_error=False`: a failed action must not close the dashboard in
the middle of an incident. Each worker handles the failures it expects (a 409, the backend
unreachable, a file that cannot be written) in its own words; anything else lands here, through
the app's one `Worker.StateChanged` handler, so no failure goes unsaid or unlogged.
"""

from __future__ import annotations

import logging

from runs_tui.errors import ClientError
from runs_tui.sanitize import inert, truncate

log = logging.getLogger(__name__)

TITLE = "Something went wrong"
MAX_WORDS = 300  # a notice is a few lines at 80×24; the log keeps the whole error


def failure_words(error: BaseException) -> str:
    """The error in words, inert: a backend refusal explains itself; anything else is a bug,
    named by its type and message so the operator can report it."""
    if isinstance(error, ClientError):
        return inert(error.explain())
    message = str(error)
    name = type(error).__name__
    return truncate(inert(f"{name}: {message}" if message else name), MAX_WORDS)


def log_failure(worker_name: str, error: BaseException) -> None:
    log.error("worker %r failed", worker_name, exc_info=error)
