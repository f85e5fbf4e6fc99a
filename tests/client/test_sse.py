"""The stream parser: SSE framing as the backend writes it, and what a newer server may add."""

from __future__ import annotations

from collections.abc import AsyncIterator

from runs_tui.client import parse_sse
from runs_tui.models.domain import StreamEventType


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def _parse(*lines: str) -> list[tuple[StreamEventType, dict[str, object]]]:
    return [event async for event in parse_sse(_lines(*lines))]


async def test_events_are_framed_by_blank_lines() -> None:
    events = await _parse(
        "event: change",
        'data: {"seq": 7}',
        "",
        ": a comment line",
        "event: output",
        'data: {"run_id": "r1", "step_id": "s1",',
        'data: "chunk": "a\\nb"}',
        "",
        "event: heartbeat",
        "data: {}",
        "",
    )
    assert events == [
        (StreamEventType.CHANGE, {"seq": 7}),
        (StreamEventType.OUTPUT, {"run_id": "r1", "step_id": "s1", "chunk": "a\nb"}),
        (StreamEventType.HEARTBEAT, {}),
    ]


async def test_unknown_events_and_broken_data_are_skipped() -> None:
    events = await _parse(
        "event: future-thing",
        'data: {"x": 1}',
        "",
        "event: change",
        "data: {not json",
        "",
        "event: change",
        "data: [1, 2]",
        "",
        "id: 5",
        "retry: 1000",
        "event: change",
        'data:{"seq": 9}',
        "",
    )
    assert events == [(StreamEventType.CHANGE, {"seq": 9})]


async def test_an_unterminated_last_event_is_not_delivered() -> None:
    assert await _parse("event: change", 'data: {"seq": 1}') == []
