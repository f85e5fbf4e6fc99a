"""Run ids typed by people: a unique prefix of at least `MIN_PREFIX` characters, like git and
docker.

Why a minimum: run ids are 32 hex digits, nobody types them, but a one- or two-character prefix
would match a different run every day as the history grows, so an old shell history line could
act on the wrong run. Four characters are what an operator reads off the screen and types.
An exact id always wins, whatever its length.
"""

from __future__ import annotations

from collections.abc import Sequence

from runs_tui.models.domain import RunSummary

MIN_PREFIX = 4
CANDIDATES_SHOWN = 10  # an ambiguous prefix lists this many matches at most


class RunIdError(LookupError):
    """The text names no single run; `str()` is the one-line explanation for the operator."""


class RunIdNotFound(RunIdError):
    """No run has this id or id prefix (after asking the backend, when it was reachable)."""

    def __init__(self, text: str) -> None:
        hint = (
            "" if len(text) >= MIN_PREFIX else f" (a prefix needs at least {MIN_PREFIX} characters)"
        )
        super().__init__(f"no run with id or id prefix {text!r}{hint}")
        self.text = text


class AmbiguousRunId(RunIdError):
    """Several runs start with this prefix: they are listed so the operator can pick one."""

    def __init__(self, text: str, candidates: Sequence[RunSummary], more: bool) -> None:
        self.text = text
        self.candidates = list(candidates)
        listed = "; ".join(describe(run) for run in self.candidates)
        tail = " and more" if more else ""
        super().__init__(
            f"run id prefix {text!r} is ambiguous, it matches {listed}{tail}; type more characters"
        )


def describe(run: RunSummary) -> str:
    """`<id> (<name>, <status>)`: enough to tell candidates apart. Callers sanitise the text."""
    return f"{run.id} ({run.name}, {run.status.label})"


def pick(text: str, matches: Sequence[RunSummary]) -> RunSummary | None:
    """The one run `text` names among `matches` (runs whose id starts with it, sorted by id, at
    most `CANDIDATES_SHOWN + 1`); None when there is none. Raises `AmbiguousRunId`."""
    exact = next((run for run in matches if run.id == text), None)
    if exact is not None:
        return exact
    if len(text) < MIN_PREFIX or not matches:
        return None
    if len(matches) > 1:
        raise AmbiguousRunId(text, matches[:CANDIDATES_SHOWN], more=len(matches) > CANDIDATES_SHOWN)
    return matches[0]
