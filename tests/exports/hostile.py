"""The shared hostile strings, with `generate` entries expanded (1 MiB line, 100k lines)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "hostile-strings.json"


@cache
def hostile_strings() -> tuple[tuple[str, str], ...]:
    entries = json.loads(DATA.read_text(encoding="utf-8"))["strings"]
    return tuple((entry["name"], _value(entry)) for entry in entries)


def _value(entry: dict[str, object]) -> str:
    if "value" in entry:
        return str(entry["value"])
    generate = entry["generate"]
    assert isinstance(generate, dict)
    return str(generate["repeat"]) * int(generate["times"])
