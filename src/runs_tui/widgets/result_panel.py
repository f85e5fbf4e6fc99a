"""The end of a run: its summary and, for failed or partial runs, the troubleshooting facts.

Troubleshooting follows the seed: which step failed, its error message, then the likely cause
and its resolution from the seed's table, marked as a hint and quoting the words it matched, so
the operator can judge it against the raw facts (the failing step's output and the variables are
shown beside it by the detail screen).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from runs_tui.models.domain import RunDetail
from runs_tui.sanitize import inert, truncate
from runs_tui.troubleshooting import Troubleshooting, troubleshoot
from runs_tui.widgets.quiet_update import update_static
from runs_tui.widgets.step_list import PHASE_TITLES, STEP_GLYPHS

SUMMARY_CELLS = 600


def result_text(detail: RunDetail) -> Text:
    """Summary and troubleshooting lines for a finished run (inert text only)."""
    lines: list[Text] = []
    facts = troubleshoot(detail)
    if facts is not None:
        lines.extend(troubleshooting_lines(facts))
    if detail.summary:
        line = Text()
        line.append("Summary ", style="dim")
        line.append(truncate(inert(detail.summary), SUMMARY_CELLS))
        lines.append(line)
    return Text("\n").join(lines)


def troubleshooting_lines(facts: Troubleshooting) -> list[Text]:
    lines = []
    failed = Text(no_wrap=True, overflow="ellipsis")
    failed.append("Failed ", style="bold red")
    if facts.step is not None:
        step = facts.step
        failed.append(f"{STEP_GLYPHS[step.status]} ")
        failed.append(truncate(inert(step.title), 120), style="bold")
        failed.append(f" ({PHASE_TITLES[step.phase].lower()} {step.position})", style="dim")
    else:
        failed.append("no single step (the run itself failed)", style="italic")
    lines.append(failed)
    error = Text()
    error.append("Error ", style="bold red")
    error.append(truncate(inert(facts.error), SUMMARY_CELLS) if facts.error else "(no message)")
    hint = Text()
    hint.append("Hint ", style="bold yellow")
    if facts.diagnosis is None:
        hint.append("no likely cause recognised — read the output and variables", style="italic")
    else:
        diagnosis = facts.diagnosis
        hint.append(f"likely {diagnosis.label.lower()}: ", style="bold")
        hint.append(diagnosis.resolution)
        hint.append("  (matched “", style="dim")
        hint.append(truncate(inert(diagnosis.evidence), 80), style="dim")
        hint.append("”)", style="dim")
    lines.append(hint)
    lines.insert(1, error)
    return lines


class ResultPanel(Static):
    """Shown above the step panel once a run has finished; hidden while it is active."""

    DEFAULT_CSS = """
    ResultPanel {
        height: auto;
        max-height: 9;
        padding: 0 1;
        border-bottom: solid $error 40%;
    }
    ResultPanel.-empty { display: none; }
    """

    def show_result(self, detail: RunDetail | None) -> None:
        text = result_text(detail) if detail is not None and detail.status.is_terminal else Text()
        self.set_class(not text.plain, "-empty")
        update_static(self, text)
