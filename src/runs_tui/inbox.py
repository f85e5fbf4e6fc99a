"""The inbox: every step, across runs, that waits for a person, in the order to answer them.

Why its own module: the dashboard's inbox screen and `runs-tui inbox` must list the same items
in the same order with the same words for time left, or an operator comparing the two would
trust neither. The items are built from run details (the question lives there, not in the run
list); `RunsService.inbox` and `refresh_inbox` decide which details those are.

Order: soonest deadline first (a prompt that expires is the one that is lost if nobody looks),
then the longest waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from runs_tui.formatting import format_duration
from runs_tui.models.domain import RunDetail, RunSummary, Step

URGENT = timedelta(minutes=5)
"""Less time left than this: the row says so in bold (and red where there is colour)."""
SOON = timedelta(minutes=30)


class Urgency(StrEnum):
    NONE = "none"  # no deadline
    LATER = "later"
    SOON = "soon"
    URGENT = "urgent"
    EXPIRED = "expired"  # past the deadline; the backend has not recorded the expiry yet


@dataclass(frozen=True)
class InboxItem:
    """One step waiting for a person. `question` is None when the run is known to wait but its
    detail is not in the cache (offline, or not fetched yet): it cannot be answered from here
    until it is."""

    run_id: str
    run_name: str
    step_id: str | None
    step_title: str
    question: str | None
    requested_at: datetime | None
    expires_at: datetime | None = None
    prompt_id: str | None = None
    refusal: str | None = None
    """Why this operator may not answer (responders, four eyes); None when they may."""
    started_by: str = ""

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """What identifies the asking: the same run, step and prompt id."""
        return (self.run_id, self.step_id, self.prompt_id)

    @property
    def known(self) -> bool:
        return self.question is not None

    @property
    def may_answer(self) -> bool:
        return self.refusal is None

    def waited(self, now: datetime) -> timedelta | None:
        return None if self.requested_at is None else max(timedelta(0), now - self.requested_at)

    def time_left(self, now: datetime) -> timedelta | None:
        return None if self.expires_at is None else self.expires_at - now

    def urgency(self, now: datetime) -> Urgency:
        left = self.time_left(now)
        if left is None:
            return Urgency.NONE
        if left <= timedelta(0):
            return Urgency.EXPIRED
        if left < URGENT:
            return Urgency.URGENT
        return Urgency.SOON if left < SOON else Urgency.LATER

    def time_left_words(self, now: datetime) -> str:
        """ "12m left", "expired 3s ago", "no deadline": words, so NO_COLOR loses nothing."""
        left = self.time_left(now)
        if left is None:
            return "no deadline"
        seconds = left.total_seconds()
        if seconds <= 0:
            return f"expired {format_duration(-seconds)} ago"
        return f"{format_duration(seconds)} left"

    def waited_words(self, now: datetime) -> str:
        waited = self.waited(now)
        return "-" if waited is None else format_duration(waited.total_seconds())

    def to_json(self, now: datetime) -> dict[str, Any]:
        """`runs-tui inbox --format json`: one object per item (documented in docs/cli.md)."""
        waited, left = self.waited(now), self.time_left(now)
        return {
            "run_id": self.run_id,
            "run_name": self.run_name,
            "step_id": self.step_id,
            "step_title": self.step_title,
            "question": self.question,
            "prompt_id": self.prompt_id,
            "requested_at": _iso(self.requested_at),
            "expires_at": _iso(self.expires_at),
            "waited_seconds": None if waited is None else int(waited.total_seconds()),
            "expires_in_seconds": None if left is None else int(left.total_seconds()),
            "may_answer": self.may_answer,
            "refusal": self.refusal,
            "fetched": self.known,
        }


@dataclass(frozen=True)
class Inbox:
    items: tuple[InboxItem, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)
    """What could not be fetched, in words ("3 runs' questions could not be fetched: …")."""

    def find(self, key: tuple[str, str | None, str | None]) -> InboxItem | None:
        return next((item for item in self.items if item.key == key), None)


def order_key(item: InboxItem) -> tuple[bool, datetime | str, bool, datetime | str, str]:
    """Soonest deadline first, then no deadline; inside each, the longest waiting first."""
    return (
        item.expires_at is None,
        item.expires_at or "",
        item.requested_at is None,
        item.requested_at or "",
        item.run_id,
    )


def item_for(
    detail: RunDetail, step: Step, refusal_for: Callable[[RunDetail, Step], str | None]
) -> InboxItem:
    prompt = step.prompt
    return InboxItem(
        run_id=detail.id,
        run_name=detail.name,
        step_id=step.id,
        step_title=step.title,
        question=prompt.question if prompt else "",
        requested_at=prompt.requested_at if prompt else None,
        expires_at=prompt.expires_at if prompt else None,
        prompt_id=prompt.prompt_id if prompt else None,
        refusal=refusal_for(detail, step),
        started_by=detail.trigger.actor,
    )


def unfetched_item(run: RunSummary) -> InboxItem:
    """A run the list says waits, whose question is not in the cache."""
    return InboxItem(
        run_id=run.id,
        run_name=run.name,
        step_id=run.current_step_id,
        step_title=run.current_step or "",
        question=None,
        requested_at=run.updated_at,
        started_by=run.trigger.actor,
    )


def build_inbox(
    runs: Iterable[RunSummary],
    detail_of: Callable[[RunSummary], RunDetail | None],
    refusal_for: Callable[[RunDetail, Step], str | None],
    problems: Iterable[str] = (),
) -> Inbox:
    """The inbox of the waiting `runs`: one item per waiting step of each run's detail
    (`detail_of`), or one unfetched item when the detail is missing."""
    items: list[InboxItem] = []
    for run in runs:
        detail = detail_of(run)
        if detail is None:
            items.append(unfetched_item(run))
            continue
        waiting = detail.waiting_step()
        if waiting is not None:
            items.append(item_for(detail, waiting, refusal_for))
    return Inbox(tuple(sorted(items, key=order_key)), tuple(problems))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


__all__ = ["Inbox", "InboxItem", "Urgency", "build_inbox", "order_key"]
