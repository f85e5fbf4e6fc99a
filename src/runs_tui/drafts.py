"""Answers being written, kept for the session so that leaving a run does not lose them.

The detail screen (and with it the prompt widget) is destroyed when the operator goes back to
the list; a half-typed note must still be there when they come back. Drafts are keyed by
(run, step) and remember the prompt they were written for: a step asked again gets a fresh
prompt, never an answer drafted for an earlier asking. They live in memory only (a draft is not
worth a write to disk, and must not outlive the session's operator).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Draft:
    """What the operator had chosen or typed for one prompt."""

    prompt_id: str | None
    value: str  # the chosen value (closed prompts) or the typed answer
    note: str
    values: dict[str, str | list[str]] = field(default_factory=dict)
    """A typed prompt's fields as typed or picked, by field name (not yet checked)."""

    @property
    def empty(self) -> bool:
        return not self.value and not self.note and not any(self.values.values())


class Drafts:
    """Per (run, step): the latest draft, until that step is answered."""

    def __init__(self) -> None:
        self._by_step: dict[tuple[str, str], Draft] = {}

    def keep(self, run_id: str, step_id: str, draft: Draft) -> None:
        if draft.empty:
            self._by_step.pop((run_id, step_id), None)
        else:
            self._by_step[(run_id, step_id)] = draft

    def get(self, run_id: str, step_id: str, prompt_id: str | None) -> Draft | None:
        """The draft for this very prompt (an older asking's draft does not carry over)."""
        draft = self._by_step.get((run_id, step_id))
        return draft if draft is not None and draft.prompt_id == prompt_id else None

    def drop(self, run_id: str, step_id: str) -> None:
        """The step was answered (here or elsewhere): its draft has nothing left to answer."""
        self._by_step.pop((run_id, step_id), None)

    def __len__(self) -> int:
        return len(self._by_step)
