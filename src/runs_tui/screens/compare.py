"""Two runs side by side: where they differ, and the first point where they part.

Opened with `=`: from the list with two runs marked (the older one is A), or with none marked
for the run under the cursor and the previous run of its flow or guide (`compare_with_previous`,
also the detail screen's `=`). Both details are fetched fresh through `RunsService`
(`fetch_for_compare`); the comparison itself is `run_compare.compare_runs`, the same as
`runs-tui runs diff`.

Never stale in silence: a run deleted on the backend is said to be gone and nothing is
compared; a run that changed since the operator marked it (a version other than the one the
list showed) is compared as it is now and the notice says so; offline, the cached copies are
compared and the notice says how old they are; a run that changes while the comparison is on
screen is compared again, and the notice says which one moved.

Layout, top to bottom: who A and B are, a notice line, the first divergence in words (with its
key), then the result (status, root cause, outcome, remediation, summary, error), the inputs,
the output variables and every step side by side, each step's output diff under it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from runs_tui.formatting import age_words, clock_time
from runs_tui.messages import RunsChanged, SyncStatusChanged
from runs_tui.models.domain import RunDetail
from runs_tui.run_compare import (
    Mask,
    RunComparison,
    Section,
    compare_runs,
    configured_masks,
)
from runs_tui.sanitize import inert, truncate
from runs_tui.screens.base import ServiceScreen
from runs_tui.service import ComparedRun, SyncMode
from runs_tui.widgets.compare_rows import (
    CompareRow,
    diff_text,
    step_row,
    steps_header,
    value_table,
)
from runs_tui.widgets.key_footer import KeyFooter
from runs_tui.widgets.status_badge import status_text

SHORT_ID = 8
NAME_CELLS = 60


def short_id(run_id: str) -> str:
    return run_id[:SHORT_ID] if len(run_id) > SHORT_ID + 4 else run_id


class CompareScreen(ServiceScreen):
    """The comparison of run `a_id` (left) with run `b_id` (right).

    `seen`: the version of each run the operator saw when choosing it (the list's row), so a
    change made by someone else since then is said, not compared in silence."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="compare.back"),
        Binding("f", "first_divergence", "First difference", id="compare.first_difference"),
        Binding("u", "refresh", "Compare again", id="compare.refresh"),
        Binding("s", "swap", "Swap A/B", id="compare.swap"),
        Binding("j", "scroll(1)", "Down", show=False, id="compare.down"),
        Binding("k", "scroll(-1)", "Up", show=False, id="compare.up"),
    ]

    DEFAULT_CSS = """
    CompareScreen #compare-title { height: auto; padding: 0 1; background: $boost; }
    CompareScreen #compare-notice { height: auto; max-height: 4; padding: 0 1; display: none; }
    CompareScreen #compare-notice.-shown { display: block; }
    CompareScreen #compare-notice.-error { background: $error 25%; text-style: bold; }
    CompareScreen #compare-notice.-warning { background: $warning 20%; }
    CompareScreen #compare-divergence { height: auto; padding: 0 1; text-style: bold; }
    CompareScreen #compare-body { height: 1fr; }
    CompareScreen .section { text-style: bold; padding: 0 1; margin-top: 1; color: $accent; }
    """

    def __init__(self, a_id: str, b_id: str, *, seen: Mapping[str, int] | None = None) -> None:
        super().__init__()
        self.a_id, self.b_id = a_id, b_id
        self.seen: dict[str, int] = dict(seen or {})
        self.comparison: RunComparison | None = None
        self.compared: dict[str, RunDetail] = {}  # the details the comparison on screen is of
        self.changes: dict[str, str] = {}
        """What moved since the operator chose the runs, per run: kept in the notice until
        `u` (a later re-comparison that finds nothing new must not wipe it)."""

    # --- composition ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text("Comparing…"), id="compare-title")
        yield Static("", id="compare-notice")
        yield Static(Text("Fetching both runs…", style="italic"), id="compare-divergence")
        yield VerticalScroll(id="compare-body")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show_title(self._cached(self.a_id), self._cached(self.b_id))
        self.query_one("#compare-body").focus()
        self.load()

    def _cached(self, run_id: str) -> RunDetail | None:
        found = self.service.cache.get_detail(run_id)
        return found.detail if found is not None else None

    # --- loading -------------------------------------------------------------------------------

    @work(exclusive=True, group="compare-fetch", exit_on_error=False)
    async def load(self, *, again: bool = False, asked: bool = False) -> None:
        """Both runs, fresh when the backend answers; then the comparison (or why none).
        `again`: the comparison is on screen already; `asked`: the operator pressed `u`."""
        a, b = await asyncio.gather(
            self.service.fetch_for_compare(self.a_id), self.service.fetch_for_compare(self.b_id)
        )
        await self.show(a, b, again=again, asked=asked)

    async def show(
        self, a: ComparedRun, b: ComparedRun, *, again: bool = False, asked: bool = False
    ) -> None:
        self._show_title(a.detail, b.detail)
        gone = [side for side in (a, b) if side.deleted]
        missing = [side for side in (a, b) if side.detail is None and not side.deleted]
        if gone or missing:
            words = [self._gone_words(side, again) for side in gone]
            words += [self._missing_words(side) for side in missing]
            self._notice(" ".join(words), error=True)
            self.comparison = None
            await self._clear(
                "Nothing compared: " + ("a run is gone." if gone else "a run is missing.")
            )
            return
        assert a.detail is not None and b.detail is not None
        moved = [d for d in (a.detail, b.detail) if self._moved(d)]
        if asked:
            self.changes.clear()
        self.changes.update({d.id: self._moved_words(d, again) for d in moved})
        notes = [self.changes[i] for i in (a.run_id, b.run_id) if i in self.changes]
        notes += [self._offline_words(side) for side in (a, b) if not side.fresh]
        notes += [
            f"{self._label(d.id)} is still {d.status.label.lower()}: this compares it as it is "
            "now (u compares again)."
            for d in (a.detail, b.detail)
            if not d.status.is_terminal
        ]
        if asked and not notes:
            notes = ["Compared again: nothing changed."]
        warning = bool(self.changes) or any(not s.fresh for s in (a, b))
        on_screen = self.comparison
        if (
            on_screen is not None
            and (on_screen.a.id, on_screen.b.id) == (a.run_id, b.run_id)
            and all(self.compared.get(d.id) == d for d in (a.detail, b.detail))
        ):  # the very runs on screen: no need to mask and diff them again
            self._notice(" ".join(notes), warning=warning)
            return
        self.compared = {a.run_id: a.detail, b.run_id: b.detail}
        for detail in (a.detail, b.detail):
            self.seen[detail.id] = detail.version
        if not again:  # a comparison on screen stays until the new one replaces it
            self.query_one("#compare-divergence", Static).update(Text("Comparing…", style="italic"))
        # Off the loop: big outputs take a while to mask and diff (bench_compare.py).
        self.comparison = await asyncio.to_thread(compare_runs, a.detail, b.detail, self._masks())
        self._notice(" ".join(notes), warning=warning)
        await self._show_comparison(self.comparison)

    def _masks(self) -> tuple[Mask, ...]:
        profile = self.runs_app.profile
        if profile is None:
            return configured_masks()
        return configured_masks(profile.compare_masks, defaults=profile.compare_default_masks)

    def _moved(self, detail: RunDetail) -> bool:
        seen = self.seen.get(detail.id)
        return seen is not None and seen != detail.version

    def _label(self, run_id: str) -> str:
        side = "A" if run_id == self.a_id else "B"
        return f"{side} ({inert(short_id(run_id))})"

    def _gone_words(self, side: ComparedRun, again: bool) -> str:
        when = "while shown" if again else "since you chose it"
        return (
            f"{self._label(side.run_id)} was deleted on the backend {when}: there is nothing "
            "to compare it with."
        )

    def _missing_words(self, side: ComparedRun) -> str:
        why = f" ({inert(side.problem)})" if side.problem else ""
        return (
            f"{self._label(side.run_id)}: its steps are not in the cache and could not be "
            f"fetched{why}."
        )

    def _moved_words(self, detail: RunDetail, again: bool) -> str:
        when = "while shown" if again else "since you chose it"
        return (
            f"{self._label(detail.id)} changed {when} (now {detail.status.label}): "
            "compared as it is now."
        )

    def _offline_words(self, side: ComparedRun) -> str:
        why = f" ({inert(side.problem)})" if side.problem else ""
        age = age_words(side.fetched_at, self.service.now()) if side.fetched_at else "unknown"
        return (
            f"{self._label(side.run_id)} is the cached copy from {age}, not confirmed by the "
            f"backend{why}."
        )

    # --- showing -------------------------------------------------------------------------------

    def _show_title(self, a: RunDetail | None, b: RunDetail | None) -> None:
        """One line per run: side, id, start, status, then the name (the two runs usually
        share it, so it is what a narrow terminal cuts)."""
        title = Text(no_wrap=True, overflow="ellipsis")
        now = self.service.now()
        for side, run_id, detail in (("A", self.a_id, a), ("B", self.b_id, b)):
            if title:
                title.append("\n")
            title.append(f"{side} ", style="bold reverse")
            title.append(f" {inert(short_id(run_id))}  ", style="bold")
            if detail is None:
                title.append("…", style="dim")
                continue
            started = detail.started_at or detail.created_at
            title.append(f"{clock_time(started, now)}  ", style="dim")
            title.append_text(status_text(detail.status))
            title.append("  ")
            title.append(truncate(inert(detail.name), NAME_CELLS))
        self.query_one("#compare-title", Static).update(title)

    def _notice(self, words: str, *, error: bool = False, warning: bool = False) -> None:
        notice = self.query_one("#compare-notice", Static)
        notice.update(Text(words))
        notice.set_class(bool(words), "-shown")
        notice.set_class(error, "-error")
        notice.set_class(warning and not error, "-warning")

    @property
    def notice_text(self) -> str:
        return str(self.query_one("#compare-notice", Static).content)

    async def _clear(self, words: str) -> None:
        self.query_one("#compare-divergence", Static).update(Text(words))
        await self.query_one("#compare-body", VerticalScroll).remove_children()

    async def _show_comparison(self, comparison: RunComparison) -> None:
        divergence = comparison.first_divergence
        key = self._key_of("compare.first_difference", "f")
        if divergence is None:
            line = Text("No differences", style="bold")
            line.append(" (timestamps, clock times, ids and durations masked).", style="")
        else:
            line = Text("▶ First difference: ", style="bold")
            line.append(inert(divergence.words))
            line.append(f"  ({key} jumps to it)", style="dim")
        if not comparison.same_definition:
            line.append("\nThese runs are of different flows or guides.", style="italic")
        self.query_one("#compare-divergence", Static).update(line)
        body = self.query_one("#compare-body", VerticalScroll)
        first = {divergence.section: divergence.index} if divergence else {}
        rows: list[Static] = []

        def section(title: str) -> None:
            rows.append(Static(Text(title), classes="section"))

        def values(name: Section, title: str, empty: str) -> None:
            section(title)
            shown = getattr(comparison, name.value)
            row = CompareRow(value_table(shown, first.get(name), empty), id=f"sec-{name.value}")
            row.set_class(name in first, "-divergence")
            rows.append(row)

        values(Section.RESULT, "Result", "No result yet.")
        values(Section.INPUTS, "Inputs", "No inputs.")
        values(Section.OUTPUTS, "Output variables", "No output variables.")
        section("Steps (aligned by step id and title)")
        if not comparison.steps:
            rows.append(CompareRow(Text("Neither run has steps.", style="dim italic")))
        else:
            rows.append(CompareRow(steps_header()))
        for index, step in enumerate(comparison.steps):
            is_first = first.get(Section.STEPS) == index
            row = CompareRow(step_row(step, is_first), id=f"step-{index}")
            row.set_class(is_first, "-divergence")
            rows.append(row)
            if step.output_diff:
                rows.append(CompareRow(diff_text(step.output_diff), classes="-diff"))
        with self.app.batch_update():
            await body.remove_children()
            await body.mount_all(rows)

    def _key_of(self, binding_id: str, default: str) -> str:
        """The key in effect for `binding_id` (after the config's `[keymap]`), as shown."""
        for active in self.active_bindings.values():
            if active.binding.id == binding_id:
                return self.app.get_key_display(active.binding)
        return default

    # --- live ----------------------------------------------------------------------------------

    def catch_up(self) -> None:
        self.load(again=True)

    def on_runs_changed(self, message: RunsChanged) -> None:
        ours = {self.a_id, self.b_id}
        if message.event.full or ours & set(message.event.run_ids):
            self.load(again=True)

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        """Back online: compare the confirmed copies rather than keep the cached ones."""
        if message.event.status.state is SyncMode.LIVE and self.notice_text:
            self.load(again=True)

    # --- actions -------------------------------------------------------------------------------

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_refresh(self) -> None:
        self.load(again=True, asked=True)

    def action_swap(self) -> None:
        self.a_id, self.b_id = self.b_id, self.a_id
        self.load()

    def action_scroll(self, delta: int) -> None:
        self.query_one("#compare-body", VerticalScroll).scroll_relative(y=delta, animate=False)

    def action_first_divergence(self) -> None:
        comparison = self.comparison
        if comparison is None:
            self.notify("Nothing compared yet.", markup=False, severity="warning")
            return
        divergence = comparison.first_divergence
        if divergence is None:
            self.notify("The runs do not differ.", markup=False)
            return
        target = (
            f"#step-{divergence.index}"
            if divergence.section is Section.STEPS
            else f"#sec-{divergence.section.value}"
        )
        row = self.query_one(target, CompareRow)
        body = self.query_one("#compare-body", VerticalScroll)
        body.scroll_to_widget(row, animate=False, top=True)


# --- opening -----------------------------------------------------------------------------------


def compare_with_previous(screen: ServiceScreen, run_id: str) -> None:
    """`=` on one run: compare it with the previous run of its flow or guide (A: the older)."""
    service = screen.service
    run = service.cache.get_run(run_id)
    if run is None:
        screen.notify("This run is not in the cache.", markup=False, severity="warning")
        return
    previous = service.previous_run(run_id)
    if previous is None:
        screen.notify(
            f"No earlier run of “{inert(run.name)}” in the cache to compare with.",
            markup=False,
            severity="warning",
        )
        return
    seen = {run.id: run.version, previous.id: previous.version}
    screen.app.push_screen(CompareScreen(previous.id, run.id, seen=seen))


__all__ = ["CompareScreen", "compare_with_previous", "short_id"]
