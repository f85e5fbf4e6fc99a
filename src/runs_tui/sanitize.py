"""Make untrusted backend text inert before it reaches a terminal.

Run names, tool output, variables and error messages come from the backend and, through it,
from tools and people. A terminal interprets escape sequences (clear screen, set title, write
the clipboard with OSC 52, hyperlinks), C1 controls (8-bit CSI), and bidi overrides reorder what
the operator reads. Everything shown in the dashboard or printed by the CLI passes through here
first; markup is never involved because callers build `rich.text.Text` from the result, which
treats square brackets as plain characters.

Replacements are visible (`␛`, `�`, `⟨U+202E⟩`), so an operator can tell that a value contained
something odd rather than having it silently vanish.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by `inert_text`, for the UI: the CLI prints plain strings
    from rich.text import Text

# C0 controls except tab and newline, DEL, and C1 controls (0x80-0x9f).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi embeddings/overrides/isolates and marks that can reorder or hide text.
_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")

_CONTROL_PICTURES = {0x1B: "␛", 0x0D: "␍", 0x00: "␀", 0x07: "␇", 0x7F: "␡"}


def _control_picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    return _CONTROL_PICTURES.get(code, "�")


def _codepoint_marker(match: re.Match[str]) -> str:
    return f"⟨U+{ord(match.group()):04X}⟩"


def inert(value: object, *, keep_newlines: bool = False) -> str:
    """The string with every control character, bidi control and zero-width character made
    visible and harmless. Newlines become `⏎` unless `keep_newlines` (multi-line output views).
    Tabs become spaces so column layouts stay put."""
    text = "" if value is None else str(value)
    if not keep_newlines:
        text = text.replace("\r\n", "⏎").replace("\n", "⏎")
    text = text.replace("\t", "    ")
    text = _CONTROL.sub(_control_picture, text)
    text = _BIDI.sub(_codepoint_marker, text)
    text = _ZERO_WIDTH.sub(_codepoint_marker, text)
    return text


# What a JSON document must escape beyond what `json.dumps` does: DEL, C1, bidi and zero-width
# characters, and the line/paragraph separators some viewers break lines on.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def escape_json_text(document: str) -> str:
    """A `json.dumps(..., ensure_ascii=False)` text with every remaining control, C1, bidi and
    zero-width character written as a `\\uXXXX` escape. Lossless (a JSON reader gets the same
    value back), and safe to `cat`: such characters can only sit inside JSON strings, where an
    escape means the same character."""
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", document)


def inert_cell(value: str) -> str:
    """A text cell of a file meant to be read by people and spreadsheets (CSV): like `inert`,
    but newlines and tabs stay, since they are data a cell may legitimately hold and a terminal
    shows harmlessly."""
    return "\n".join(
        "\t".join(inert(part) for part in line.split("\t")) for line in value.split("\n")
    )


def inert_text(value: object, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A `rich.text.Text` holding the inert string: never parsed as markup."""
    from rich.text import Text

    return Text(inert(value, keep_newlines=keep_newlines), style=style, no_wrap=not keep_newlines)


def cell_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def truncate(value: str, width: int) -> str:
    """Cut to at most `width` cells (wide characters count double), marking a cut with `…`."""
    if sum(cell_width(c) for c in value) <= width:
        return value
    kept: list[str] = []
    cells = 0
    for char in value:
        if cells + cell_width(char) > width - 1:
            break
        kept.append(char)
        cells += cell_width(char)
    return "".join(kept) + "…" if width > 0 else ""
