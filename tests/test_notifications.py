"""The desktop notification sequences: exact bytes, tmux passthrough, and hostile text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runs_tui.notifications import (
    MAX_BODY,
    MAX_TITLE,
    DesktopNotify,
    notification_bytes,
    osc_sequence,
    tmux_wrapped,
)

HOSTILE = Path(__file__).parent / "data" / "hostile-strings.json"


def hostile_values() -> list[str]:
    data = json.loads(HOSTILE.read_text(encoding="utf-8"))
    return [entry["value"] for entry in data["strings"] if "value" in entry]


def test_osc9_is_one_sequence_with_title_and_body() -> None:
    assert osc_sequence(DesktopNotify.OSC9, "Needs you", "Disk cleanup waits") == (
        "\x1b]9;Needs you: Disk cleanup waits\x07"
    )


def test_osc777_has_notify_title_and_body() -> None:
    assert osc_sequence(DesktopNotify.OSC777, "Needs you", "Disk; cleanup") == (
        "\x1b]777;notify;Needs you;Disk; cleanup\x07"
    )


def test_a_semicolon_in_the_osc777_title_cannot_move_text_into_the_body() -> None:
    sequence = osc_sequence(DesktopNotify.OSC777, "a;b", "body")
    assert sequence == "\x1b]777;notify;a,b;body\x07"


def test_off_writes_nothing() -> None:
    assert osc_sequence(DesktopNotify.OFF, "t", "b") == ""
    assert notification_bytes(DesktopNotify.OFF, "t", "b", {"TMUX": "/tmp/x"}) == ""


def test_inside_tmux_the_sequence_is_wrapped_with_escape_doubled() -> None:
    written = notification_bytes(DesktopNotify.OSC9, "T", "run", {"TMUX": "/tmp/tmux-1/default"})
    assert written == "\x1bPtmux;\x1b\x1b]9;T: run\x07\x1b\\"
    assert tmux_wrapped("") == ""


def test_outside_tmux_the_sequence_is_bare() -> None:
    assert notification_bytes(DesktopNotify.OSC9, "T", "run", {}) == "\x1b]9;T: run\x07"


@pytest.mark.parametrize("kind", [DesktopNotify.OSC9, DesktopNotify.OSC777])
@pytest.mark.parametrize("value", hostile_values())
def test_hostile_text_cannot_end_the_sequence_or_start_another(
    kind: DesktopNotify, value: str
) -> None:
    sequence = osc_sequence(kind, value, value)
    prefix = "\x1b]9;" if kind is DesktopNotify.OSC9 else "\x1b]777;notify;"
    assert sequence.startswith(prefix) and sequence.endswith("\x07")
    inside = sequence[len(prefix) : -1]
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in inside), repr(inside)
    assert len(inside) <= MAX_TITLE + MAX_BODY + 2
    wrapped = tmux_wrapped(sequence)
    # Inside the passthrough the only ESCs are the doubled ones of the OSC itself.
    assert wrapped[len("\x1bPtmux;") : -2].count("\x1b") == 2


def test_long_text_is_bounded() -> None:
    sequence = osc_sequence(DesktopNotify.OSC9, "", "x" * 10_000)
    assert len(sequence) <= MAX_BODY + 5
    assert sequence.endswith("…\x07")
