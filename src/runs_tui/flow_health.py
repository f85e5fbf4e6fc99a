"""The health table's words: one wording of each figure for the health screen and
`runs-tui stats` (table, JSON, CSV), so the two never disagree on a cell.

The figures come from `models/health.py` (the rules) via `RunsService.health`; this module
only turns them into text. Titles are untrusted: `inert` before they reach a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runs_tui.formatting import format_duration
from runs_tui.models.health import DefinitionHealth, HealthWindow, Span
from runs_tui.models.ordering import EPOCH
from runs_tui.sanitize import inert

COLUMNS = (
    "NAME",
    "KIND",
    "RUNS",
    "SUCCESS",
    "FAILED",
    "PARTIAL",
    "CANCELLED",
    "P50",
    "P95",
    "MTTR",
    "UNRESOLVED",
    "TREND",
    "LAST 30",
    "DURATIONS",
)
MICROS = 1_000_000


@dataclass(frozen=True)
class HealthReport:
    """What the screen and the CLI show: the window, its span and the lines in order."""

    window: HealthWindow
    span: Span
    lines: list[DefinitionHealth]

    @property
    def unresolved(self) -> int:
        return sum(line.unresolved for line in self.lines)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def duration(micros: float | None) -> str:
    return format_duration(None if micros is None else micros / MICROS)


def trend_words(line: DefinitionHealth) -> str:
    """The failure rate's change in points, an arrow saying which way ("▲ +12" is worse)."""
    trend = line.trend
    if trend is None:
        return "—"
    points = round(trend * 100)
    if points > 0:
        return f"▲ +{points}"
    if points < 0:
        return f"▼ {points}"
    return "= 0"


def row(line: DefinitionHealth) -> tuple[str, ...]:
    counts = line.counts
    return (
        inert(line.key.name),
        line.key.kind.value,
        str(counts.runs),
        percent(counts.success_rate),
        str(counts.failed),
        str(counts.partial),
        str(counts.cancelled),
        duration(line.p50),
        duration(line.p95),
        duration(line.mttr),
        str(line.unresolved),
        trend_words(line),
        line.outcome_marks,
        line.duration_bars,
    )


def _iso(micros: int) -> str:
    from datetime import timedelta

    return (EPOCH + timedelta(microseconds=micros)).isoformat()


def _seconds(micros: float | None) -> float | None:
    return None if micros is None else round(micros / MICROS, 3)


def to_json(line: DefinitionHealth) -> dict[str, Any]:
    """Plain numbers (seconds, rates 0–1, null when there is nothing to measure)."""
    counts = line.counts
    return {
        "name": line.key.name,
        "kind": line.key.kind.value,
        "runs": counts.runs,
        "succeeded": counts.succeeded,
        "failed": counts.failed,
        "partial": counts.partial,
        "cancelled": counts.cancelled,
        "no_steps": counts.no_steps,
        "success_rate": counts.success_rate,
        "failure_rate": counts.failure_rate,
        "previous_failure_rate": line.previous.failure_rate,
        "trend": line.trend,
        "p50_seconds": _seconds(line.p50),
        "p95_seconds": _seconds(line.p95),
        "mttr_seconds": _seconds(line.mttr),
        "resolutions": line.resolutions,
        "unresolved": line.unresolved,
        "last_outcomes": line.outcome_marks,
        "last_durations_seconds": [_seconds(run.duration) for run in line.latest],
    }


def report_json(report: HealthReport) -> dict[str, Any]:
    return {
        "window": report.window.value,
        "from": _iso(report.span.start),
        "to": _iso(report.span.end),
        "definitions": [to_json(line) for line in report.lines],
    }


def span_words(span: Span, now: datetime) -> str:
    """ "14:02 – now" style bounds for a title, in local time."""
    from datetime import timedelta

    start = (EPOCH + timedelta(microseconds=span.start)).astimezone(now.tzinfo)
    end = (EPOCH + timedelta(microseconds=span.end)).astimezone(now.tzinfo)
    fmt = "%m-%d %H:%M"
    return f"{start.strftime(fmt)} – {end.strftime(fmt)}"


__all__ = [
    "COLUMNS",
    "HealthReport",
    "duration",
    "percent",
    "report_json",
    "row",
    "span_words",
    "to_json",
    "trend_words",
]
