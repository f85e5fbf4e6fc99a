"""The live stream's wire format: server-sent events, decoded leniently."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from runs_tui.models.domain import StreamEventType


async def parse_sse(
    lines: AsyncIterator[str],
) -> AsyncIterator[tuple[StreamEventType, dict[str, Any]]]:
    """Server-sent events: `event:` and `data:` lines, a blank line ends an event. Unknown event
    types and undecodable data are skipped: a newer server must not break an older client."""
    event_type, data_lines = "message", []
    async for line in lines:
        if line == "":
            parsed = _decode_event(event_type, data_lines)
            if parsed is not None:
                yield parsed
            event_type, data_lines = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event_type = value
        elif field == "data":
            data_lines.append(value)


def _decode_event(
    event_type: str, data_lines: list[str]
) -> tuple[StreamEventType, dict[str, Any]] | None:
    if not data_lines and event_type == "message":
        return None
    try:
        kind = StreamEventType(event_type)
    except ValueError:
        return None
    try:
        data = json.loads("\n".join(data_lines)) if data_lines else {}
    except ValueError:
        return None
    return (kind, data) if isinstance(data, dict) else None
