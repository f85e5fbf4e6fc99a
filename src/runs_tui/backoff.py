"""Exponential backoff with jitter: how long to wait before trying again.

Its own dependency-free module because both the client (request retries) and the syncer
(stream reconnects) back off, and the syncer must not import the client package (httpx)
before the dashboard's first paint.
"""

from __future__ import annotations

from collections.abc import Callable


def jittered_backoff(
    retry_number: int,
    base: float,
    cap: float,
    rng: Callable[[], float],
    *,
    floor: float = 0.0,
) -> float:
    """The wait before retry `retry_number` (1 for the first): `base` doubled each time up to
    `cap`, then jittered between `floor` × that ceiling and the ceiling (`rng` in [0, 1)).
    The one backoff rule of the client's retries (floor 0, "full jitter": many clients
    spread out most) and the stream's reconnects (floor ½: never a tight reconnect loop)."""
    ceiling = min(cap, base * 2 ** (retry_number - 1))
    return ceiling * (floor + (1 - floor) * rng())
