"""When a request may be sent again, and how long to wait first.

Operators run this over flaky SSH tunnels and VPNs, so transient failures are retried with
jittered exponential backoff, bounded by attempts and by time, honouring `Retry-After` — but
only when a retry cannot apply an action twice: idempotent methods, or a POST that carries an
`Idempotency-Key` (one key per user action, reused by all its retries, so the server answers
a retry with the first answer).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from runs_tui.backoff import jittered_backoff

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})
"""Methods that may be repeated (RFC 9110 §9.2.2: the effect of two is the effect of one).
DELETE and PUT change things, so they are not *safe*; idempotent is what a retry needs."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded twice: by attempts and by the total time spent waiting between them."""

    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 3.0
    total_budget: float = 15.0
    retry_after_cap: float = 10.0

    def backoff(self, retry_number: int, rng: Callable[[], float]) -> float:
        """Full jitter: spreads the retries of many clients after a backend restart."""
        return jittered_backoff(retry_number, self.base_delay, self.max_delay, rng)


NO_RETRY = RetryPolicy(attempts=1)


class RetryBudget:
    """The retries left for one call: attempts, and time (wall time or time asked to wait,
    whichever is larger, so an injected sleep is accounted for like a real one)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.started = time.monotonic()
        self.waited = 0.0

    def next_delay(
        self, attempt: int, retry_after: float | None, rng: Callable[[], float]
    ) -> float | None:
        """The wait before the next attempt, or None when the attempts or the time are spent."""
        if attempt >= self.policy.attempts:
            return None
        delay = retry_after if retry_after is not None else self.policy.backoff(attempt, rng)
        spent = max(time.monotonic() - self.started, self.waited)
        if spent + delay > self.policy.total_budget:
            return None
        self.waited += delay
        return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
