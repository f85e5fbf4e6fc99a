"""Desktop notifications through the terminal: OSC 9 and OSC 777, for operators over SSH.

Why through the terminal: the dashboard usually runs on a jump host, where no notification
daemon can reach the operator's desktop; the operator's own terminal can. iTerm2, kitty,
WezTerm, foot and Windows Terminal turn `ESC ] 9 ; text BEL` (OSC 9) or
`ESC ] 777 ; notify ; title ; body BEL` (OSC 777, urxvt's) into a desktop notification. Inside
tmux the sequence must be wrapped in tmux's passthrough (`ESC P tmux; … ESC \\`, every ESC of
the payload doubled), and tmux must have `set -g allow-passthrough on`, else it drops it.

The text comes from the backend (a run's name, its question): it is made inert and then
stripped of anything a terminal could read as the end of the sequence or as a new one (every
control character, ESC and BEL included), and bounded, so a run name cannot write to the
operator's terminal through a notification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from runs_tui.sanitize import inert, truncate

ESC, BEL = "\x1b", "\x07"
MAX_TITLE = 60
MAX_BODY = 200
# After `inert`, which turns controls into visible pictures, nothing of these may remain; they
# are removed again here so the rule holds on its own (C0, DEL, C1, and the pictures are fine).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class DesktopNotify(StrEnum):
    """`notifications.desktop` in a profile: which sequence, if any, the dashboard writes."""

    OFF = "off"
    OSC9 = "osc9"
    OSC777 = "osc777"


def clean(text: str, limit: int) -> str:
    """One line of at most `limit` cells, with no control character left in it."""
    return truncate(_UNSAFE.sub("", inert(text)).strip(), limit)


def osc_sequence(kind: DesktopNotify, title: str, body: str) -> str:
    """The escape sequence for one notification ('' when off). OSC 777 separates title from
    body with `;`, so a `;` in the title would move text into the body: it becomes `,`."""
    if kind is DesktopNotify.OFF:
        return ""
    title, body = clean(title, MAX_TITLE), clean(body, MAX_BODY)
    if kind is DesktopNotify.OSC9:
        text = f"{title}: {body}" if title else body
        return f"{ESC}]9;{text}{BEL}"
    return f"{ESC}]777;notify;{title.replace(';', ',')};{body}{BEL}"


def tmux_wrapped(sequence: str) -> str:
    """The sequence in tmux's passthrough (DCS `tmux;`, ESC doubled inside, ST at the end)."""
    if not sequence:
        return ""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ESC}\\"


def notification_bytes(
    kind: DesktopNotify, title: str, body: str, environ: Mapping[str, str]
) -> str:
    """What to write to the terminal: the sequence, wrapped for tmux when `TMUX` is set."""
    sequence = osc_sequence(kind, title, body)
    return tmux_wrapped(sequence) if environ.get("TMUX") else sequence


__all__ = ["DesktopNotify", "clean", "notification_bytes", "osc_sequence", "tmux_wrapped"]
