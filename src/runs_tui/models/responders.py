"""Who may answer a prompt: one rule for the backend's 403 and the dashboard's "you may not".

Why here: the backend enforces it with the authenticated identity; the dashboard and the CLI
say it before a person types an answer that would be refused. The words are the same on both
sides, so an operator reads one explanation whichever side stopped them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

GROUP_PREFIX = "group:"
SYSTEM = "system"
"""The identity of answers the backend gives itself (a prompt's defaults taken at expiry)."""


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: the name a token maps to, and the groups it belongs to."""

    name: str
    groups: frozenset[str] = field(default_factory=frozenset)


def answer_refusal(
    identity: Identity,
    *,
    responders: Sequence[str],
    allow_self: bool,
    started_by: str,
) -> str | None:
    """Why `identity` may not answer a prompt with these rules, or None when it may.

    `responders` empty: anyone. `started_by` is the run's trigger actor; with `allow_self`
    false (four eyes), that person may not answer their own run's prompts."""
    if not allow_self and started_by and identity.name == started_by:
        return (
            f"{identity.name} started this run, and this step needs someone else "
            "to answer (four-eyes rule)"
        )
    if responders and not _listed(identity, responders):
        return f"only {', '.join(responders)} may answer this step"
    return None


def _listed(identity: Identity, responders: Collection[str]) -> bool:
    for entry in responders:
        if entry.startswith(GROUP_PREFIX):
            if entry[len(GROUP_PREFIX) :] in identity.groups:
                return True
        elif entry == identity.name:
            return True
    return False
