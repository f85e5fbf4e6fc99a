"""A run status as glyph + words, styled, and readable without colour.

Shared by the runs list and the detail screens. Colour only reinforces what the glyph and the
label already say, so the status survives `NO_COLOR`, monochrome terminals and copy-paste (argo
users asked for greppable status). Glyphs are single-cell, non-emoji characters so columns stay
aligned in tmux, on the linux console and in xterm-256color.
"""

from __future__ import annotations

from rich.text import Text

from runs_tui.models.status import RunStatus, StatusPhase

# One glyph per status; statuses in the same phase share a shape family.
GLYPHS: dict[RunStatus, str] = {
    RunStatus.PENDING: "○",
    RunStatus.IDENTIFYING_TOOLS: "○",
    RunStatus.SCHEDULED_FOR_EXECUTION: "◷",
    RunStatus.READY_FOR_EXECUTION: "○",
    RunStatus.EXECUTING_TRIAGE: "▶",
    RunStatus.DECIDING_REMEDIATION: "▶",
    RunStatus.READY_FOR_REMEDIATION: "▷",
    RunStatus.EXECUTING_REMEDIATION: "▶",
    RunStatus.SUMMARIZING: "▶",
    RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: "◆",
    RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: "◆",
    RunStatus.COMPLETED_SUCCESS: "✓",
    RunStatus.COMPLETED_FAILURE: "✗",
    RunStatus.COMPLETED_PARTIAL: "◐",
    RunStatus.CANCELLED: "⊘",
    RunStatus.NO_STEPS: "∅",
}

# Labels that fit a narrow column (80×24): still unambiguous, still the seed's words. Only the
# long ones are narrowed; every other status keeps its full label, so a new one needs no entry.
_NARROWED: dict[RunStatus, str] = {
    RunStatus.SCHEDULED_FOR_EXECUTION: "Scheduled",
    RunStatus.WAITING_FOR_USER_INPUT_TRIAGE: "Waiting (Triage)",
    RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION: "Waiting (Remediation)",
    RunStatus.COMPLETED_SUCCESS: "Success",
    RunStatus.COMPLETED_FAILURE: "Failure",
    RunStatus.COMPLETED_PARTIAL: "Partial",
}
SHORT_LABELS: dict[RunStatus, str] = {
    status: _NARROWED.get(status, status.label) for status in RunStatus
}

_PHASE_STYLES: dict[StatusPhase, str] = {
    StatusPhase.STARTUP: "dim",
    StatusPhase.ACTIVE: "bold cyan",
    StatusPhase.WAITING: "bold yellow",
    StatusPhase.COMPLETION: "",
}

_STATUS_STYLES: dict[RunStatus, str] = {
    RunStatus.COMPLETED_SUCCESS: "green",
    RunStatus.COMPLETED_FAILURE: "bold red",
    RunStatus.COMPLETED_PARTIAL: "red",
    RunStatus.CANCELLED: "dim",
    RunStatus.NO_STEPS: "dim",
}

FULL_WIDTH = 2 + max(len(s.label) for s in RunStatus)
SHORT_WIDTH = 2 + max(len(label) for label in SHORT_LABELS.values())


def status_style(status: RunStatus) -> str:
    """The Rich style of a status: by status where it matters, else by phase."""
    return _STATUS_STYLES.get(status, _PHASE_STYLES[status.phase])


def status_label(status: RunStatus, *, short: bool = False) -> str:
    """The seed's label, or its narrow form."""
    return SHORT_LABELS[status] if short else status.label


def status_text(status: RunStatus, *, short: bool = False) -> Text:
    """Glyph + label as a styled `Text` (never markup)."""
    return Text(f"{GLYPHS[status]} {status_label(status, short=short)}", style=status_style(status))
