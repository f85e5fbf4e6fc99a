"""The stream's reconnect delays and the client's retry delays: one backoff rule."""

from __future__ import annotations

from runs_tui.backoff import jittered_backoff
from runs_tui.client import RetryPolicy
from runs_tui.sync import Backoff


def test_reconnects_wait_between_half_the_ceiling_and_the_ceiling_doubling_to_the_cap() -> None:
    low, high = (
        Backoff(base=0.5, cap=3.0, rng=lambda: 0.0),
        Backoff(base=0.5, cap=3.0, rng=lambda: 1.0),
    )
    assert [low.next_delay() for _ in range(5)] == [0.25, 0.5, 1.0, 1.5, 1.5]
    assert [high.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    high.reset()
    assert high.next_delay() == 0.5


def test_the_client_and_the_stream_share_the_rule_with_their_own_floor() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=2.0)
    for retry in (1, 2, 3, 4):
        assert policy.backoff(retry, lambda: 0.5) == jittered_backoff(retry, 0.5, 2.0, lambda: 0.5)
    assert jittered_backoff(3, 0.5, 30.0, lambda: 0.0, floor=0.5) == 1.0
    assert jittered_backoff(3, 0.5, 30.0, lambda: 0.0) == 0.0
