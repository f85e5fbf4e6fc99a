"""A prompt's deadline in words: what the prompt, the step panel and the timeline say.

Why one module: "expires in 4m 10s · then: the step fails" on the prompt and "expired — no
answer before 14:05; the step failed" in the timeline are the same fact before and after; if
each screen worded it, an operator could read "skipped" in one place and "failed" in another.
Words carry the meaning (a warning sign and "under a minute" when time is short), so NO_COLOR
terminals lose nothing; colour is only added by the widgets.

Pure: no Textual, times measured against the `now` passed in (the service's clock).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from runs_tui.formatting import aware, clock_words, format_span
from runs_tui.models.domain import Prompt
from runs_tui.models.prompt_fields import OnExpiry

URGENT = timedelta(minutes=1)
"""Under this much time left the deadline is a warning (sign, words and, with colour, style)."""
WARNING_SIGN = "⚠"

THEN_WORDS = {
    OnExpiry.FAIL: "then: the step fails",
    OnExpiry.DEFAULT: "then: defaults are taken",
    OnExpiry.SKIP: "then: the step is skipped",
}
DONE_WORDS = {
    OnExpiry.FAIL: "the step failed",
    OnExpiry.DEFAULT: "defaults taken",
    OnExpiry.SKIP: "the step was skipped",
}
UNKNOWN_THEN = "then: the backend decides"


@dataclass(frozen=True)
class Deadline:
    """A prompt's deadline as shown now: the words, and whether to warn or to refuse."""

    text: str
    urgent: bool
    expired: bool


def on_expiry_of(value: object) -> OnExpiry | None:
    """`on_expiry` from a prompt or an event's data (text on the wire); None when unknown."""
    try:
        return OnExpiry(str(value)) if value else None
    except ValueError:
        return None


def time_left_words(left: timedelta) -> str:
    """ "4m 10s", "42s": whole seconds, rounded up so it never reads 0s before the end."""
    return format_span(timedelta(seconds=math.ceil(left.total_seconds())))


def deadline(prompt: Prompt, now: datetime) -> Deadline | None:
    """The deadline line of a prompt that has one: "Expires in 4m 10s (at 14:34:10) · then: the
    step fails"; under a minute "⚠ Under a minute left: …"; past it "Expired at 14:34:10 —
    …"."""
    if prompt.expires_at is None:
        return None
    at = aware(prompt.expires_at)
    then = THEN_WORDS.get(on_expiry_of(prompt.on_expiry), UNKNOWN_THEN)  # type: ignore[arg-type]
    clock = clock_words(at, now, seconds=True)
    left = at - aware(now)
    if left <= timedelta(0):
        return Deadline(
            f"Expired at {clock} — no answer before the deadline; it can no longer be "
            f"answered ({then})",
            urgent=True,
            expired=True,
        )
    words = f"expires in {time_left_words(left)} (at {clock}) · {then}"
    if left < URGENT:
        return Deadline(f"{WARNING_SIGN} Under a minute left: {words}", urgent=True, expired=False)
    return Deadline(words[0].upper() + words[1:], urgent=False, expired=False)


def expired_words(data: Mapping[str, object], at: datetime, now: datetime) -> str:
    """An `input_expired` event in words: "Expired — no answer before 14:05; the step
    failed". Reads `on_expiry` and the deadline (`expires_at`, else the event's time) from the
    event's data; never words it as an answer."""
    raw_deadline = data.get("expires_at") or data.get("deadline")
    moment = at
    if isinstance(raw_deadline, datetime):
        moment = raw_deadline
    elif isinstance(raw_deadline, str):
        try:
            moment = datetime.fromisoformat(raw_deadline)
        except ValueError:
            moment = at
    outcome = DONE_WORDS.get(on_expiry_of(data.get("on_expiry")))  # type: ignore[arg-type]
    words = f"Expired — no answer before {clock_words(moment, now)}"
    return words + (f"; {outcome}" if outcome else "")
