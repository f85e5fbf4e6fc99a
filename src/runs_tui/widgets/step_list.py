"""Every step of a run with its state, grouped by phase: the spine of the detail screen.

Each state has its own glyph *and* (where it is not the plain done/pending case) words, so the
list reads without colour: done ✓, running ▶, waiting ◆, failed ✗, pending ○, skipped ↷,
cancelled ⊘. The current step (the one running or waiting now) is emphasised; moving the cursor
selects which step the panel beside shows, so the same list serves the live progress view and the
results log (with the time each step took).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from runs_tui.formatting import elapsed, format_span
from runs_tui.models.domain import Step, StepPhase, StepStatus
from runs_tui.sanitize import inert, truncate
from runs_tui.widgets.quiet_update import same_text
from runs_tui.widgets.visible_cursor import CursorVisibleOptionList

STEP_GLYPHS: dict[StepStatus, str] = {
    StepStatus.SUCCEEDED: "✓",
    StepStatus.RUNNING: "▶",
    StepStatus.WAITING_FOR_INPUT: "◆",
    StepStatus.FAILED: "✗",
    StepStatus.PENDING: "○",
    StepStatus.SKIPPED: "↷",
    StepStatus.CANCELLED: "⊘",
}

STEP_STYLES: dict[StepStatus, str] = {
    StepStatus.SUCCEEDED: "green",
    StepStatus.RUNNING: "bold cyan",
    StepStatus.WAITING_FOR_INPUT: "bold yellow",
    StepStatus.FAILED: "bold red",
    StepStatus.PENDING: "dim",
    StepStatus.SKIPPED: "dim",
    StepStatus.CANCELLED: "dim",
}

# Words after the title for states a glyph alone might not make obvious.
STEP_WORDS: dict[StepStatus, str] = {
    StepStatus.RUNNING: "running",
    StepStatus.WAITING_FOR_INPUT: "waiting for input",
    StepStatus.FAILED: "failed",
    StepStatus.SKIPPED: "skipped",
    StepStatus.CANCELLED: "cancelled",
}

PHASE_TITLES = {
    StepPhase.TRIAGE: "Triage",
    StepPhase.REMEDIATION: "Remediation",
    StepPhase.PROCEDURE: "Procedure",
}
TITLE_CELLS = 80


def _same_prompt(a: object, b: object) -> bool:
    return isinstance(a, Text) and isinstance(b, Text) and same_text(a, b)


def step_time(step: Step, now: datetime) -> str:
    """Time spent on a step: finished ones exactly, a running or waiting one so far."""
    spent = elapsed(step.started_at, step.finished_at, active=not step.status.is_finished, now=now)
    return "" if spent is None else format_span(spent)


def step_label(step: Step, now: datetime, *, current: bool) -> Text:
    """One row: glyph, title, state words, time. Title is untrusted and made inert."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{STEP_GLYPHS[step.status]} ", style=STEP_STYLES[step.status])
    text.append(truncate(inert(step.title), TITLE_CELLS), style="bold" if current else "")
    words = STEP_WORDS.get(step.status)
    if words:
        text.append(f"  {words}", style=STEP_STYLES[step.status])
    spent = step_time(step, now)
    if spent:
        text.append(f"  {spent}", style="dim")
    return text


class StepList(CursorVisibleOptionList):
    """The run's steps; highlighting one asks the screen to show it (`StepList.Shown`)."""

    DEFAULT_CSS = """
    StepList, StepList:focus {
        height: 1fr;
        border: none;
        padding: 0;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    StepList > .option-list--option-disabled {
        color: $text-muted;
        text-style: bold;
    }
    """

    HELP_AREA = "steps"

    BINDINGS = [
        Binding("j", "cursor_down", "Next step", show=False, id="steps.next"),
        Binding("k", "cursor_up", "Previous step", show=False, id="steps.previous"),
    ]

    class Shown(Message):
        """The operator moved to a step: the panel beside should show it."""

        def __init__(self, step_id: str) -> None:
            super().__init__()
            self.step_id = step_id

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now

    @property
    def selected_step_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None and not option.disabled else None

    def show_steps(
        self, steps: list[Step], current_step_id: str | None, select: str | None
    ) -> None:
        """Show the rows, keeping the cursor on `select` or, failing that, on the step it was
        on. When the same steps are listed (a tick, a fetch of the same run), only the rows
        whose text changed are redrawn; otherwise the list is rebuilt."""
        keep = select or self.selected_step_id
        ordered = sorted(steps, key=lambda s: s.position)
        options = self._rows_for(ordered, current_step_id)
        target = keep if keep and any(s.id == keep for s in steps) else current_step_id
        if target is None and ordered:
            target = ordered[0].id
        # The cursor placed here is not the operator choosing a step (no `Shown`): the screen
        # shows the step it asked for itself, and a late `Shown` of a step the run has left
        # would pin the panel to it.
        with self.prevent(OptionList.OptionHighlighted):
            if not self._relabel(options):
                self.set_options(options)
            if target is not None:
                self.highlighted = self.get_option_index(target)
        self.scroll_to_highlight()  # also once laid out: the first show may precede the layout

    def _rows_for(self, ordered: list[Step], current_step_id: str | None) -> list[Option]:
        now = self._now()
        options: list[Option] = []
        phase: StepPhase | None = None
        for step in ordered:
            if step.phase is not phase:
                phase = step.phase
                options.append(Option(Text(PHASE_TITLES[phase], style="bold"), disabled=True))
            label = step_label(step, now, current=step.id == current_step_id)
            if step.id == current_step_id:
                label.stylize("reverse", 0, 1)
            options.append(Option(label, id=step.id))
        return options

    def _relabel(self, options: list[Option]) -> bool:
        """Same rows as shown (ids, headings, one line each): give the changed ones their new
        text and redraw those lines only. False when the rows differ (the caller rebuilds).

        OptionList's public `replace_option_prompt` repaints the whole list; this reaches into
        its option and render caches (Textual is pinned; tests/ui/test_detail_output_bytes.py
        checks the effect)."""
        shown = self.options
        if [(o.id, o.disabled) for o in shown] != [(o.id, o.disabled) for o in options]:
            return False
        changed = [
            index
            for index, (old, new) in enumerate(zip(shown, options, strict=True))
            if not _same_prompt(old.prompt, new.prompt)
        ]
        if not changed:
            return True
        for index in changed:
            shown[index]._set_prompt(options[index].prompt)
        self._option_render_cache.clear()
        width, top = self.size.width, round(self.scroll_offset.y)
        for index in changed:
            self.refresh(Region(0, self._index_to_line[index] - top, width, 1))
        return True

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Shown(event.option.id))

    class Chosen(Message):
        """Enter on a step: on a waiting run the screen takes it as "answer" (as `a` does)."""

        def __init__(self, step_id: str) -> None:
            super().__init__()
            self.step_id = step_id

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Shown(event.option.id))
            self.post_message(self.Chosen(event.option.id))
