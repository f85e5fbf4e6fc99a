"""Seeded history runs as ready-to-insert rows, spliced from pre-serialised templates.

Building a pydantic run per seeded run and serialising it costs ~170 µs, so a million runs
took minutes. Instead each template run (one per definition and ending, all timed from the
epoch `T0`) is serialised once and cut wherever seeded runs differ: the id, the trigger, and
every time value. A seeded run is then the template's fixed fragments joined with its own id,
trigger and times (`T0 + offset` moved to the run's creation), a few µs per run, and its JSON
is byte-for-byte what serialising the equivalent `RunDetail` would give.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter

from runs_tui.backend.bulk import SeedRow, summary_head
from runs_tui.backend.store import detail_json
from runs_tui.models.domain import RunDetail, Trigger

T0 = datetime(2000, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1)  # naive: isoformat() then gives pydantic's form (Z kept in the JSON)
_ID_MARK = "\ue000run-id\ue000"
_TRIGGER = Trigger(actor="\ue000trigger\ue000")
# Template times all fall in the first days after T0; no demo text is a bare timestamp of 2000.
# The hole is the time without its "Z", which stays in the fixed fragment.
_TIME = r'(?<=")2000-01-0\dT\d\d:\d\d:\d\d(?:\.\d{6})?(?=Z")'
_HOLE = re.compile(
    "|".join([_TIME, re.escape(f'"{_ID_MARK}"'), re.escape(_TRIGGER.model_dump_json())])
)
_ID_SLOT, _TRIGGER_SLOT, _FIRST_TIME_SLOT = 0, 1, 2
_HOUR_US = 3_600_000_000
_WITHIN_HOUR_MEMO = 200_000  # bounds the memo when creation times are not whole seconds


@dataclass(frozen=True)
class Spliced:
    """A JSON text cut at its holes, kept as a %-format string: filling it is one C call."""

    template: str
    pick: Callable[[Sequence[str]], tuple[str, ...]]  # the slot values for the holes, in order

    @classmethod
    def of(cls, text: str, slot_of: Callable[[str], int]) -> Spliced:
        parts: list[str] = []
        slots: list[int] = []
        start = 0
        for match in _HOLE.finditer(text):
            parts.append(text[start : match.start()].replace("%", "%%"))
            slots.append(slot_of(match.group()))
            start = match.end()
        parts.append(text[start:].replace("%", "%%"))
        return cls("%s".join(parts), _picker(slots))

    def fill(self, values: Sequence[str]) -> str:
        return self.template % self.pick(values)


@dataclass(frozen=True)
class RowTemplate:
    """One template run, pre-serialised; `row()` makes a seeded run of it.

    Slots are the values a seeded run puts in the holes: its id, its trigger, then each distinct
    time of the template (an offset from creation), so a time used in several places is
    formatted once per run."""

    kind: str
    definition_id: str
    name: str
    status: str
    version: int
    duration_us: int
    offsets_us: tuple[int, ...]
    summary: Spliced
    detail: Spliced
    events: tuple[Spliced, ...]

    @classmethod
    def of(cls, run: RunDetail) -> RowTemplate:
        """`run` must be timed from `T0` (created exactly at T0)."""
        marked = run.model_copy(update={"id": _ID_MARK, "trigger": _TRIGGER})
        version = max(run.version, 1)
        events = [
            e.model_copy(update={"seq": n}).model_dump_json()
            for n, e in enumerate(run.events, start=1)
        ]
        offsets: dict[timedelta, int] = {}  # in slot order
        slot_of = _SlotTable(offsets)
        summary = Spliced.of(summary_head(marked, version), slot_of)
        detail = Spliced.of(detail_json(run), slot_of)
        spliced_events = tuple(Spliced.of(text, slot_of) for text in events)
        return cls(
            kind=run.kind.value,
            definition_id=run.definition_id,
            name=run.name,
            status=run.status.value,
            version=version,
            duration_us=((run.finished_at or run.updated_at) - T0) // timedelta(microseconds=1),
            offsets_us=tuple(o // timedelta(microseconds=1) for o in offsets),
            summary=summary,
            detail=detail,
            events=spliced_events,
        )

    def row(
        self, run_id: str, created_us: int, trigger_json: str, times: IsoTimes, with_events: bool
    ) -> SeedRow:
        """A seeded run created at `created_us` (µs since the Unix epoch, UTC)."""
        values = [f'"{run_id}"', trigger_json, *times.after(created_us, self.offsets_us)]
        events = tuple(e.fill(values) for e in self.events) if with_events else ()
        return SeedRow(
            run_id,
            self.kind,
            self.definition_id,
            self.name,
            self.status,
            created_us,
            self.version,
            self.summary.fill(values),
            self.detail.fill(values),
            events,
        )


class IsoTimes:
    """µs since the Unix epoch → the UTC text pydantic writes (without the "Z"), memoised by hour
    and by position within the hour. Seeded runs start on whole seconds and template offsets
    share few fractions, so nearly every call is two dict hits and a concatenation instead of
    datetime arithmetic: formatting times was the biggest cost of generating a seeded run."""

    def __init__(self) -> None:
        self._hours: dict[int, str] = {}
        self._within: dict[int, str] = {}

    def __call__(self, micros: int) -> str:
        hour, within = divmod(micros, _HOUR_US)
        return self._head(hour) + self._tail(within)

    def after(self, start: int, offsets: tuple[int, ...]) -> list[str]:
        """The times `start + offset`: one division per run, then (usually) a dict hit each."""
        hour, within = divmod(start, _HOUR_US)
        head = self._head(hour)
        tails = self._within
        texts = []
        for offset in offsets:
            moment = within + offset
            tail = tails.get(moment) if moment < _HOUR_US else None
            texts.append(head + tail if tail is not None else self(start + offset))
        return texts

    def _head(self, hour: int) -> str:
        head = self._hours.get(hour)
        if head is None:
            head = self._hours[hour] = (
                _EPOCH + timedelta(microseconds=hour * _HOUR_US)
            ).isoformat()[:14]
        return head

    def _tail(self, within: int) -> str:
        tail = self._within.get(within)
        if tail is None:
            tail = (_EPOCH + timedelta(microseconds=within)).isoformat()[14:]
            if len(self._within) < _WITHIN_HOUR_MEMO:
                self._within[within] = tail
        return tail


class _SlotTable:
    """Maps a hole's text to its slot, giving each new time offset the next slot."""

    def __init__(self, offsets: dict[timedelta, int]) -> None:
        self._offsets = offsets

    def __call__(self, hole: str) -> int:
        if hole == f'"{_ID_MARK}"':
            return _ID_SLOT
        if hole == _TRIGGER.model_dump_json():
            return _TRIGGER_SLOT
        offset = datetime.fromisoformat(hole + "+00:00") - T0
        return self._offsets.setdefault(offset, _FIRST_TIME_SLOT + len(self._offsets))


def _picker(slots: list[int]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """`itemgetter` returns a bare value for one index; the format always wants a tuple."""
    if len(slots) == 1:
        only = slots[0]
        return lambda values: (values[only],)
    if not slots:
        return lambda values: ()
    return itemgetter(*slots)  # type: ignore[return-value]
