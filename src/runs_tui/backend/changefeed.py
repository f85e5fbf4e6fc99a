"""One page of the change feed, read and spliced without building an object per run.

A client's first sync pages through every run, so this is the backend's hottest read. It runs
on the raw DB-API cursor of the store's snapshot transaction (SQLAlchemy's Row objects cost as
much as the fetch itself), and the page body is the stored summary JSON texts joined as they
are: no run is parsed or re-encoded on the way out.
"""

from __future__ import annotations

import heapq
import json
from itertools import islice
from operator import itemgetter
from typing import Any

from runs_tui.backend.tables import CHANGE_SEQ, PRUNED_THROUGH

_second = itemgetter(1)


class CursorExpired(Exception):
    """The cursor is older than the tombstones kept: the client must start over (410)."""


def page_json(cursor: Any, mark: str, after: int, limit: int, *, resync: bool = False) -> str:
    """The wire JSON of the first `limit` changes after `after`. `cursor` is a DB-API cursor
    inside a snapshot transaction; `mark` is the driver's placeholder ("?" or "%s")."""
    if after:
        after = _checked(cursor, mark, after, resync)
    runs = _rows(
        cursor,
        f"SELECT seq, summary_json FROM runs WHERE seq > {mark} ORDER BY seq LIMIT {mark}",
        after,
        limit,
    )
    tombs = _rows(
        cursor,
        f"SELECT seq, run_id FROM tombstones WHERE seq > {mark} ORDER BY seq LIMIT {mark}",
        after,
        limit,
    )
    if not tombs:
        return _body(
            ",".join(map(_second, runs[:limit])), "[]", runs[:limit], after, len(runs) > limit
        )
    merged = list(
        islice(
            heapq.merge(
                ((seq, text, None) for seq, text in runs),
                ((seq, None, run_id) for seq, run_id in tombs),
            ),
            limit + 1,
        )
    )
    page = merged[:limit]
    changes = ",".join(text for _, text, _ in page if text is not None)
    deleted = json.dumps([run_id for _, _, run_id in page if run_id is not None])
    return _body(changes, deleted, page, after, len(merged) > limit)


def _rows(cursor: Any, sql: str, after: int, limit: int) -> list[Any]:
    cursor.execute(sql, (after, limit + 1))
    return cursor.fetchall()


def _checked(cursor: Any, mark: str, after: int, resync: bool) -> int:
    """The cursor to read after. 410 for a cursor below the tombstones kept, or above anything
    this server handed out (the database was replaced under the client). A full resync sweeps
    the runs it did not see at its end, so it needs no tombstones and its cursors never answer
    410: one from another database restarts the sweep at the start (as the contract says)."""
    cursor.execute(
        f"SELECT name, value FROM counters WHERE name IN ({mark}, {mark})",
        (CHANGE_SEQ, PRUNED_THROUGH),
    )
    counters = dict(cursor.fetchall())
    pruned_through = counters.get(PRUNED_THROUGH, 0)
    if after < pruned_through and not resync:
        raise CursorExpired(
            f"cursor {after} is older than the tombstones kept (from {pruned_through + 1})"
        )
    if after > counters.get(CHANGE_SEQ, 0):
        if resync:
            return 0
        raise CursorExpired(f"cursor {after} is ahead of this server's change sequence")
    return after


def _body(changes: str, deleted: str, page: list[Any], after: int, has_more: bool) -> str:
    next_cursor = page[-1][0] if page else after
    more = "true" if has_more else "false"
    return (
        f'{{"changes":[{changes}],"deleted":{deleted},'
        f'"next_cursor":{next_cursor},"has_more":{more}}}'
    )
