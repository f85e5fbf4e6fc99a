"""Name search: which distinct run names contain the typed text, case-insensitively.

The runs table is never scanned with `LIKE '%x%'`: names are looked up in `run_names` (one row
per distinct title) and runs are then selected by name id through an index. Three or more
characters go through the FTS5 trigram index; shorter text cannot form a trigram, so it is
looked for with `instr` over the distinct names, which are few. `instr` also re-checks FTS
candidates, so a name matches exactly when the folded text is a substring of the folded name,
whatever quotes, operators or wildcards either contains.
"""

from __future__ import annotations

from typing import Any

TRIGRAM = 3
FTS_PIECE_MAX = 24
"""A phrase of k trigrams costs k passes over each trigram's positions: a long query against a
pathological name (a megabyte of one letter) would take seconds. A bounded piece narrows the
candidates just as well; `instr` checks the full text."""


def fold(text: str) -> str:
    """The case-insensitive form both names and queries are compared in."""
    return text.casefold()


NUL_STAND_IN = "\ufffd"


def searchable(folded_name: str) -> str:
    """What the trigram index holds for a name: FTS5 reads text as C strings, so a NUL would
    hide the rest of the name; a stand-in keeps it (`instr` on `folded` has the last word)."""
    return folded_name.replace("\x00", NUL_STAND_IN)


def fts_phrase(text: str) -> str:
    """`text` as one FTS5 string: every character literal, quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def fts_piece(folded_query: str) -> str:
    """The part of the query the trigram index can look up: FTS5 reads its query as a C
    string, so a NUL would cut it short; the longest NUL-free piece narrows the candidates
    and `instr` then checks the whole text."""
    return max(folded_query.split("\x00"), key=len)[:FTS_PIECE_MAX]


def matching_names(folded_query: str, column: str = "id") -> tuple[str, tuple[Any, ...]]:
    """A subquery selecting `column` ("id" or "folded") of the names containing
    `folded_query`, and its parameters."""
    piece = fts_piece(folded_query)
    if len(piece) >= TRIGRAM:
        return (
            f"SELECT n.{column} FROM run_names AS n WHERE n.id IN "
            "(SELECT rowid FROM run_names_fts WHERE run_names_fts MATCH ?) "
            "AND instr(n.folded, ?) > 0",
            (fts_phrase(piece), folded_query),
        )
    return f"SELECT {column} FROM run_names WHERE instr(folded, ?) > 0", (folded_query,)
