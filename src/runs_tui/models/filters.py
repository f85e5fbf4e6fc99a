"""The filter value shared by the dashboard, the CLI and the cache's query layer.

A `RunFilter` is an immutable value: screens build one, the cache turns it into SQL, the config
stores it (as a plain dict) per profile. Keeping it free of SQL and of Textual lets each of those
layers be tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus, StatusGroup


class TimePreset(StrEnum):
    LAST_24H = "24h"
    LAST_7D = "7d"
    LAST_30D = "30d"
    ALL = "all"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return _PRESET_LABELS[self]

    @property
    def span(self) -> timedelta | None:
        return _PRESET_SPANS.get(self)


_PRESET_LABELS = {
    TimePreset.LAST_24H: "Last 24 hours",
    TimePreset.LAST_7D: "Last 7 days",
    TimePreset.LAST_30D: "Last 30 days",
    TimePreset.ALL: "All time",
    TimePreset.CUSTOM: "Custom range",
}
_PRESET_SPANS = {
    TimePreset.LAST_24H: timedelta(hours=24),
    TimePreset.LAST_7D: timedelta(days=7),
    TimePreset.LAST_30D: timedelta(days=30),
}


class SortColumn(StrEnum):
    STARTED = "started"  # created_at: every run has one, scheduled runs included
    NAME = "name"
    STATUS = "status"
    KIND = "kind"
    DURATION = "duration"
    TRIGGER = "trigger"


@dataclass(frozen=True)
class TimeRange:
    """A time window over a run's creation time.

    The "last N" presets are relative to *now* and, like the seed's default view ("active and
    recent runs"), also admit runs that are still active whenever they started. A custom range
    is strict.
    """

    preset: TimePreset = TimePreset.LAST_24H
    start: datetime | None = None  # custom only
    end: datetime | None = None  # custom only

    def bounds(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        if self.preset is TimePreset.CUSTOM:
            return self.start, self.end
        span = self.preset.span
        return (now - span if span else None), None

    @property
    def includes_active(self) -> bool:
        return self.preset not in (TimePreset.CUSTOM, TimePreset.ALL)


@dataclass(frozen=True)
class RunFilter:
    """What the list shows. An empty `statuses` means every status."""

    statuses: frozenset[RunStatus] = frozenset()
    kind: RunKind | None = None
    time: TimeRange = field(default_factory=TimeRange)
    name: str = ""
    sort: SortColumn = SortColumn.STARTED
    descending: bool = True
    unresolved: bool = False
    """Only unresolved failures: failed or partial runs that no later Completed Success of the
    same flow or guide (kind and title) has followed (the list's tab 7; `models/health.py`)."""

    @classmethod
    def for_group(cls, group: StatusGroup, **kwargs: Any) -> RunFilter:
        statuses = frozenset() if group is StatusGroup.ALL else group.statuses
        return cls(statuses=statuses, **kwargs)

    def with_group(self, group: StatusGroup) -> RunFilter:
        return replace(
            self,
            statuses=frozenset() if group is StatusGroup.ALL else group.statuses,
            unresolved=False,
        )

    def with_unresolved(self) -> RunFilter:
        """The unresolved failures under this filter's kind, time range and name."""
        return replace(self, statuses=frozenset(), unresolved=True)

    @property
    def group(self) -> StatusGroup | None:
        """The group whose members are exactly `statuses`, if any (none for unresolved)."""
        if self.unresolved:
            return None
        if not self.statuses:
            return StatusGroup.ALL
        for group in StatusGroup:
            if group.statuses == self.statuses:
                return group
        return None

    def describe(self) -> str:
        """A one-line human summary, shown above the list."""
        parts: list[str] = []
        group = self.group
        if self.unresolved:
            parts.append("Unresolved failures")
        elif group is None:
            parts.append(", ".join(sorted(s.label for s in self.statuses)))
        elif group is not StatusGroup.ALL:
            parts.append(group.label)
        parts.append(
            {None: "flows and guides", RunKind.FLOW: "flows", RunKind.GUIDE: "guides"}[self.kind]
        )
        if self.time.preset is TimePreset.CUSTOM:
            start = self.time.start.strftime("%Y-%m-%d %H:%M") if self.time.start else "…"
            end = self.time.end.strftime("%Y-%m-%d %H:%M") if self.time.end else "now"
            parts.append(f"{start} – {end}")
        else:
            parts.append(
                self.time.preset.label.lower() + (" + active" if self.time.includes_active else "")
            )
        if self.name:
            parts.append(f"name contains {self.name!r}")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain TOML-safe form, for remembering the last filter per profile."""
        data: dict[str, Any] = {
            "statuses": sorted(s.value for s in self.statuses),
            "kind": self.kind.value if self.kind else "all",
            "time": self.time.preset.value,
            "name": self.name,
            "sort": self.sort.value,
            "descending": self.descending,
        }
        if self.unresolved:
            data["unresolved"] = True
        if self.time.start:
            data["from"] = self.time.start.isoformat()
        if self.time.end:
            data["to"] = self.time.end.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunFilter:
        """Inverse of `to_dict`; unknown or broken values fall back to the defaults."""
        try:
            kind = None if data.get("kind", "all") == "all" else RunKind(data["kind"])
            start = datetime.fromisoformat(data["from"]) if data.get("from") else None
            end = datetime.fromisoformat(data["to"]) if data.get("to") else None
            return cls(
                statuses=frozenset(RunStatus(s) for s in data.get("statuses", [])),
                kind=kind,
                time=TimeRange(TimePreset(data.get("time", "24h")), start, end),
                name=str(data.get("name", "")),
                sort=SortColumn(data.get("sort", "started")),
                descending=bool(data.get("descending", True)),
                unresolved=data.get("unresolved") is True,
            )
        except (KeyError, ValueError, TypeError):
            return cls()
