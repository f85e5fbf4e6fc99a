"""A fixed history for the health screen's tests: four flows and guides over 60 days, one
getting worse, one getting better, one with unresolved failures, one that never failed, and a
hostile title. Times relative to the UI tests' frozen `NOW`."""

from __future__ import annotations

from datetime import timedelta

from runs_tui.models import RunKind, RunStatus, RunSummary

from .ui_data import NOW, make_run

OK, FAIL, PART = (
    RunStatus.COMPLETED_SUCCESS,
    RunStatus.COMPLETED_FAILURE,
    RunStatus.COMPLETED_PARTIAL,
)
CANC, RUNNING = RunStatus.CANCELLED, RunStatus.EXECUTING_TRIAGE
HOSTILE = "[bold]Evil[/] \x1b]0;PWNED\x07 guide"

# (name, kind, [(hours ago, status, minutes it ran)])
_PLAN: list[tuple[str, RunKind, list[tuple[float, RunStatus, int]]]] = [
    (
        "Database failover",  # worse: no failure the week before, three now, one unresolved
        RunKind.FLOW,
        [(200, OK, 12), (180, OK, 14), (170, OK, 11), (100, FAIL, 30), (80, OK, 13)]
        + [(50, PART, 25), (30, OK, 12), (20, OK, 15), (5, FAIL, 40), (1, RUNNING, 2)],
    ),
    (
        "Disk space remediation",  # better: failed a lot the week before, fixed now
        RunKind.FLOW,
        [(300, FAIL, 5), (280, FAIL, 6), (260, PART, 7), (250, OK, 4)]
        + [(150, OK, 4), (120, OK, 5), (60, CANC, 1), (10, OK, 4)],
    ),
    (
        "Certificate rotation",  # steady, never failed
        RunKind.GUIDE,
        [(400, OK, 60), (330, OK, 55), (160, OK, 62), (90, OK, 58), (2, OK, 61)],
    ),
    (
        HOSTILE,  # failing in both windows: three unresolved
        RunKind.GUIDE,
        [(1300, OK, 3), (200, FAIL, 2), (70, FAIL, 2), (3, FAIL, 2)],
    ),
]


def health_runs() -> list[RunSummary]:
    runs: list[RunSummary] = []
    for name, kind, history in _PLAN:
        for hours, status, minutes in history:
            runs.append(
                make_run(
                    len(runs) + 1,
                    name,
                    status,
                    age=timedelta(hours=hours),
                    ran=timedelta(minutes=minutes),
                    kind=kind,
                )
            )
    return runs


__all__ = ["HOSTILE", "NOW", "health_runs"]
