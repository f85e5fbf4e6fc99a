"""Exit codes are part of the CLI's interface: scripts branch on "not found" vs "unreachable".

The README lists them; `runs-tui --help` repeats them in its epilog.
"""

from __future__ import annotations

from enum import IntEnum

from runs_tui.errors import (
    ClientError,
    Forbidden,
    Invalid,
    NotFound,
    Refused,
    ServerError,
    StateConflict,
    Unauthorized,
)


class ExitCode(IntEnum):
    OK = 0
    NOT_SUCCEEDED = 1  # watch --exit-status: the run did not end Completed Success; or declined
    USAGE = 2  # bad arguments, bad configuration
    NOT_FOUND = 3
    CONFLICT = 4  # the backend refused the action in the run's current state
    UNREACHABLE = 5
    UNAUTHORIZED = 6
    INVALID = 7  # the backend rejected a value (e.g. an answer the prompt does not allow)
    BACKEND_ERROR = 8
    AMBIGUOUS = 9  # a run id prefix matches several runs (they are listed on stderr)
    FORBIDDEN = 10  # a prompt's rule (responders, four eyes) says this identity may not answer
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # stdout's reader closed it (`| head`); git's code, 128 + SIGPIPE


class CliError(Exception):
    """A failure the CLI explains in one line and turns into an exit code."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


def exit_code_for(error: ClientError) -> ExitCode:
    """The exit code of a client error; anything not recognised is taken as unreachable."""
    for kind, code in (
        (Unauthorized, ExitCode.UNAUTHORIZED),
        (Forbidden, ExitCode.FORBIDDEN),
        (NotFound, ExitCode.NOT_FOUND),
        (StateConflict, ExitCode.CONFLICT),
        (Refused, ExitCode.USAGE),  # our own refusal of the configuration
        (Invalid, ExitCode.INVALID),
        (ServerError, ExitCode.BACKEND_ERROR),
    ):
        if isinstance(error, kind):
            return code
    return ExitCode.UNREACHABLE
