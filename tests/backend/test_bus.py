"""The live bus: bounded per-subscriber queues that fall back to a resync, frames encoded once,
and everything queued handed over in one batch."""

from __future__ import annotations

import asyncio
import json

from runs_tui.backend.bus import Bus
from runs_tui.models.domain import StreamEventType


def _events(frames: str) -> list[tuple[str, dict[str, object]]]:
    parsed = []
    for block in frames.strip().split("\n\n"):
        kind, data = block.split("\n")
        parsed.append((kind.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return parsed


async def test_a_subscriber_gets_everything_queued_in_one_batch_in_order() -> None:
    bus = Bus()
    with bus.subscription(outputs=["r1"]) as subscriber:
        bus.publish_change(1)
        bus.publish_output("r1", "s1", "hello")
        bus.publish_change(2)
        batch = await subscriber.next_batch(timeout=5)
    assert _events("".join(notice.frame for notice in batch)) == [
        ("change", {"seq": 1}),
        ("output", {"run_id": "r1", "step_id": "s1", "chunk": "hello"}),
        ("change", {"seq": 2}),
    ]


async def test_a_waiting_subscriber_wakes_on_a_notice_and_after_a_quiet_timeout() -> None:
    bus = Bus()
    with bus.subscription() as subscriber:
        waiting = asyncio.ensure_future(subscriber.next_batch(timeout=30))
        await asyncio.sleep(0)
        assert not waiting.done()
        bus.publish_change(7)
        assert [n.data for n in await asyncio.wait_for(waiting, 10)] == [{"seq": 7}]
        assert await subscriber.next_batch(timeout=0.01) == []


async def test_a_full_queue_collapses_to_one_resync_with_the_latest_seq() -> None:
    bus = Bus(queue_size=3)
    with bus.subscription(["r1"]) as slow, bus.subscription(["r1"]) as fast:
        bus.publish_change(1)
        assert len(await fast.next_batch(timeout=1)) == 1
        for seq in range(2, 6):
            bus.publish_output("r1", "s1", f"chunk {seq}")
            bus.publish_change(seq)
        bus.publish_output("r1", "s1", "after")
        batch = await slow.next_batch(timeout=1)
        kept = [(n.type, n.data) for n in batch]
        assert slow.resyncs >= 1
        assert len(batch) <= 3
        # the last resync names the latest seq: the feed, pulled from the cursor, has it all
        assert kept[-1] == (StreamEventType.CHANGE, {"seq": 5})
        assert fast.resyncs >= 1  # it read nothing either after its first batch
        bus.publish_change(6)
        assert [n.data for n in await slow.next_batch(timeout=1)] == [{"seq": 6}]


async def test_a_notice_is_encoded_once_for_every_subscriber() -> None:
    bus = Bus()
    with bus.subscription() as one, bus.subscription() as two:
        bus.publish_change(3)
        (first,) = await one.next_batch(timeout=1)
        (second,) = await two.next_batch(timeout=1)
    assert first is second
    assert first.frame is second.frame


async def test_closing_the_bus_wakes_its_subscribers() -> None:
    bus = Bus()
    with bus.subscription() as subscriber:
        waiting = asyncio.ensure_future(subscriber.next_batch(timeout=60))
        await asyncio.sleep(0)
        bus.close()
        assert await asyncio.wait_for(waiting, 10) == []
        assert subscriber.closed


async def test_output_goes_only_to_the_subscribers_that_asked_for_that_run() -> None:
    bus = Bus()
    with (
        bus.subscription() as lister,
        bus.subscription(["r1"]) as follower,
        bus.subscription(["r2", "r1"]) as both,
    ):
        bus.publish_output("r1", "s1", "one")
        bus.publish_output("r2", "s1", "two")
        bus.publish_output("r3", "s1", "nobody's")
        bus.publish_change(4)
        assert [n.data for n in await lister.next_batch(timeout=1)] == [{"seq": 4}]
        assert [n.data.get("chunk") for n in await follower.next_batch(timeout=1)] == ["one", None]
        assert [n.data.get("chunk") for n in await both.next_batch(timeout=1)] == [
            "one",
            "two",
            None,
        ]
        assert bus.wants_output("r2") and not bus.wants_output("r3")
    assert not bus.wants_output("r1")  # subscriptions closed: nothing left behind
