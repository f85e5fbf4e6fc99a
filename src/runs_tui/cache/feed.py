"""A change-feed page straight from its JSON body to cache rows, without pydantic objects.

Why: a full sync moves every run through this path, and validating a `RunSummary` (datetimes,
enums, nested trigger) and then flattening it again cost more than the HTTP fetch and the
SQLite insert together. msgspec decodes the body into typed structs, checking in C what the
cache relies on — types of stored fields, known statuses and kinds, RFC 3339 times — at the
cost of `json.loads` alone (it is worth its dependency: it halved a full sync's CPU), and
`rows.run_values`, the one run-to-row rule, builds each row from the struct as it does from a
model. Anything off raises `ValueError`: a "malformed answer" that the client retries when it
notices it (a cut-off body fails `read_fetched`) and that otherwise fails the sync before the
page is applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from pydantic import BaseModel

from runs_tui.cache.rows import SUMMARY_COLUMNS, run_values, summary_from_row
from runs_tui.models import RunKind, RunStatus, RunSummary, Trigger, TriggerKind
from runs_tui.models.ordering import STATUS_RANK

Row = tuple[Any, ...]
# msgspec checks a Literal of strings against the set of its values:
_Status = Literal[tuple(status.value for status in STATUS_RANK)]  # type: ignore[valid-type]
_Kind = Literal[tuple(kind.value for kind in RunKind)]  # type: ignore[valid-type]
_TriggerKind = Literal[tuple(kind.value for kind in TriggerKind)]  # type: ignore[valid-type]
STATUS_AT = SUMMARY_COLUMNS.index("status")
CURRENT_STEP_AT = SUMMARY_COLUMNS.index("current_step_id")


@dataclass(frozen=True)
class RowPage:
    """One change-feed page as cache rows (see `rows.RUN_COLUMNS`, minus the last two)."""

    rows: list[Row]
    deleted: list[str]
    next_cursor: int
    has_more: bool

    def summaries(self, wanted: set[str] | None = None) -> list[RunSummary]:
        """The page's runs as models (all, or those whose id is in `wanted`)."""
        return [
            summary_from_row(row[: len(SUMMARY_COLUMNS)])
            for row in self.rows
            if wanted is None or row[0] in wanted
        ]


def _wire_struct(model: type[BaseModel], name: str, types: dict[Any, Any]) -> type[Any]:
    """A msgspec struct with the fields of a pydantic wire model, derived from it so the two
    cannot drift: each annotation through `types` (an enum becomes the Literal of its values,
    which msgspec checks in C; a nested model its struct), defaults as the model's, required
    fields first as msgspec wants. Unknown fields are ignored, as the model ignores them. No GC
    tracking: 10,000 of these per page are freed at once and hold no cycles."""
    required, optional = [], []
    for field, info in model.model_fields.items():
        annotation = types.get(info.annotation, info.annotation)
        if info.is_required():
            required.append((field, annotation))
        elif info.default_factory is not None:
            default = msgspec.field(default_factory=info.default_factory)  # type: ignore[arg-type]
            optional.append((field, annotation, default))
        else:
            optional.append((field, annotation, info.default))
    return msgspec.defstruct(name, [*required, *optional], gc=False)


_WireTrigger = _wire_struct(Trigger, "_WireTrigger", {TriggerKind: _TriggerKind})
_WireRun = _wire_struct(
    RunSummary, "_WireRun", {RunKind: _Kind, RunStatus: _Status, Trigger: _WireTrigger}
)


class _WirePage(msgspec.Struct, gc=False):
    changes: list[_WireRun]
    deleted: list[str]
    next_cursor: int
    has_more: bool


_PAGE_DECODER = msgspec.json.Decoder(_WirePage)

_TAIL = re.compile(rb'"next_cursor":(\d+),"has_more":(true|false)\}\s*\Z')
"""How the backend ends a page (its keys in declaration order)."""


@dataclass(frozen=True)
class FetchedPage:
    """A page's body with just what asking for the next page needs, read off its end.

    Why: the next request can then be on the wire while this body is parsed and applied on
    the writer thread, instead of waiting for a whole page's parse on the event loop (the
    cursor chains the requests, so otherwise the server idles while we parse and vice versa).
    """

    body: bytes
    next_cursor: int
    has_more: bool
    parsed: RowPage | None = None  # already parsed: the tail was not in the usual form

    def rows(self) -> RowPage:
        """The parsed page; `ValueError` if malformed or if it contradicts its tail."""
        page = self.parsed or parse_page(self.body)
        if (page.next_cursor, page.has_more) != (self.next_cursor, self.has_more):
            raise ValueError("malformed change-feed page: its end contradicts its body")
        return page


def read_fetched(body: bytes) -> FetchedPage:
    """The cheap check done as the answer arrives: a cut-off body fails it (`ValueError`),
    so the client retries it like any malformed answer. A page whose tail is not in the
    backend's usual form is parsed whole right here instead."""
    match = _TAIL.search(body, max(0, len(body) - 80))
    if match is not None:
        return FetchedPage(body, int(match[1]), match[2] == b"true")
    page = parse_page(body)
    return FetchedPage(body, page.next_cursor, page.has_more, page)


def parse_page(body: bytes | str) -> RowPage:
    """`GET /runs/changes` body → rows; `ValueError` when it is not a well-formed page."""
    try:
        page = _PAGE_DECODER.decode(body)
    except msgspec.MsgspecError as error:  # DecodeError or ValidationError: a malformed answer
        raise ValueError(f"malformed change-feed page: {error}") from None
    return RowPage(
        [run_values(run) for run in page.changes], page.deleted, page.next_cursor, page.has_more
    )
