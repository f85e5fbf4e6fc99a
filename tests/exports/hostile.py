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


# What must never reach a terminal raw: C0 controls but tab/LF/CR, DEL, C1, bidi and zero-width.
_UNSAFE = {
    chr(c)
    for c in [
        *range(0x00, 0x09),
        *range(0x0B, 0x0D),
        *range(0x0E, 0x20),
        *range(0x7F, 0xA0),
        0x061C,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x206A),
        0xFEFF,
    ]
}


def unsafe_characters(text: str) -> set[str]:
    """The characters of `text` a terminal would act on (or that reorder/hide text), plus any CR
    not ending a CRLF line (a bare CR returns the cursor and hides what came before)."""
    found = set(text) & _UNSAFE
    if "\r" in text.replace("\r\n", ""):
        found.add("\r")
    return found
