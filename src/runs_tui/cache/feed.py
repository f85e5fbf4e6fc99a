"""A change-feed page straight from its JSON body to cache rows, without pydantic objects.

Why: a full sync moves every run through this path, and validating a `RunSummary` (datetimes,
enums, nested trigger) and then flattening it again cost more than the HTTP fetch and the
SQLite insert together. `json.loads` and one function per row build exactly the tuple the
writer inserts (`RUN_COLUMNS` minus the name id and generation, see `rows.run_values`).

Only what the cache relies on is checked — types of stored fields, known statuses and kinds,
parseable times — and anything off raises `ValueError`: a "malformed answer" that the client
retries when it notices it (a cut-off body fails `read_fetched`) and that otherwise fails the
sync before the page is applied. The rows equal `run_values` of the validated model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from runs_tui.cache.rows import (
    EPOCH, NO_DURATION, ONE_MICROSECOND, STATUS_RANK, SUMMARY_COLUMNS, active_duration_key,
    inputs_json, summary_from_row,
)
from runs_tui.models import RunKind, RunSummary, TriggerKind

Row = tuple[Any, ...]
_RANK_OF = {status.value: rank for status, rank in STATUS_RANK.items()}
_KINDS = frozenset(kind.value for kind in RunKind)
_TRIGGER_KINDS = frozenset(kind.value for kind in TriggerKind)
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
        return [summary_from_row(row[: len(SUMMARY_COLUMNS)]) for row in self.rows
                if wanted is None or row[0] in wanted]


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
        page = json.loads(body)
        changes, deleted = page["changes"], page["deleted"]
        next_cursor, has_more = page["next_cursor"], page["has_more"]
        if not isinstance(changes, list) or not isinstance(deleted, list):
            raise ValueError("changes and deleted must be lists")
        rows = [row_of(run) for run in changes]
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"malformed change-feed page: {error!r}") from error
    if not all(isinstance(run_id, str) for run_id in deleted):
        raise ValueError("tombstones must be run ids")
    return RowPage(rows, deleted, _integer(next_cursor), _boolean(has_more))


def row_of(run: dict[str, Any]) -> Row:
    """One wire run → its row; the same tuple `rows.run_values` makes of the model.
    Written flat (few calls): it runs once per run of every sync."""
    get = run.get
    run_id, definition_id = run["id"], run["definition_id"]
    name, status = run["name"], run["status"]
    kind, trigger = run["kind"], run["trigger"]
    trigger_kind, actor = trigger.get("kind", "manual"), trigger.get("actor", "")
    version, seq = run["version"], run["seq"]
    if (type(run_id) is not str or type(definition_id) is not str or type(name) is not str
            or type(actor) is not str or type(version) is not int or type(seq) is not int):
        _bad("run", run_id)
    if status not in _RANK_OF or kind not in _KINDS or trigger_kind not in _TRIGGER_KINDS:
        _bad("status, kind or trigger", (status, kind, trigger_kind))
    extra = (get("current_step_id"), get("current_step"), get("root_cause"), get("outcome"),
             get("summary"), get("error"))
    if not all(value is None or type(value) is str for value in extra):
        _bad("text", extra)
    started, finished = _optional_micros(get("started_at")), _optional_micros(get("finished_at"))
    return (
        run_id, kind, definition_id, name, status, trigger_kind, actor,
        _micros(run["created_at"]), _optional_micros(get("scheduled_for")), started, finished,
        _micros(run["updated_at"]), *extra, _inputs(get("inputs", {})), version, seq,
        name.casefold(), _RANK_OF[status], _duration_key(started, finished),
        f"{actor.casefold()}\x1f{trigger_kind}",
    )


def _duration_key(started: int | None, finished: int | None) -> int:
    """`rows.duration_key` over microseconds."""
    if started is None:
        return NO_DURATION
    if finished is None:
        return active_duration_key(started)
    return max(0, finished - started)


def _micros(value: Any) -> int:
    moment = datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // ONE_MICROSECOND


def _optional_micros(value: Any) -> int | None:
    return None if value is None else _micros(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _bad("text", value)


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _bad("integer", value)


def _boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else _bad("boolean", value)


def _inputs(value: Any) -> str:
    if type(value) is not dict:
        _bad("inputs", value)
    if not value:
        return "{}"
    for key, item in value.items():
        if type(key) is not str or type(item) is not str:
            _bad("inputs", value)
    return inputs_json(value)


def _bad(what: str, value: Any) -> Any:
    raise ValueError(f"malformed change-feed page: bad {what} {str(value)[:40]!r}")
