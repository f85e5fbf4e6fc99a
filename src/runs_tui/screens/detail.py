"""One run: follow it, answer it, stop it, rerun, delete or export it, or find out why it failed.

Layout: the run header; a notice line for outcomes that must not vanish (a 409, offline); the
step list (grouped by phase) with the variables under it; beside it, for finished runs the
summary and troubleshooting facts, and the selected step's facts above its raw output; the
inline prompt docked at the bottom while a step waits.

Data: the cached detail shows at once; the fresh detail is fetched when the screen opens and
again whenever the app reports the run changed (`RunsChanged`), while `ToolOutputArrived`
streams output into the panel. Offline, the cached detail stays with its age. Every service call
runs in a worker; failures become readable words, never a crash.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from runs_tui.action_log import (
    Action,
    cancel_command,
    delete_command,
    export_command,
    rerun_command,
    respond_command,
)
from runs_tui.drafts import Draft
from runs_tui.errors import ClientError, Invalid, NotFound, StateConflict, Unreachable
from runs_tui.formatting import age_words
from runs_tui.messages import (
    OutputNowStreamed,
    RunsChanged,
    SyncStatusChanged,
    ToolOutputArrived,
)
from runs_tui.models.domain import RunDetail, RunSummary, Step
from runs_tui.sanitize import inert
from runs_tui.screens.base import ServiceScreen
from runs_tui.screens.confirm import cancel_question, delete_question, rerun_question
from runs_tui.service import SyncMode
from runs_tui.widgets.key_footer import KeyFooter
from runs_tui.widgets.prompt import PromptPanel
from runs_tui.widgets.quiet_update import on_view
from runs_tui.widgets.result_panel import ResultPanel
from runs_tui.widgets.run_header import RunHeader
from runs_tui.widgets.step_list import StepList
from runs_tui.widgets.step_panel import StepPanel
from runs_tui.widgets.variables import VariablesView

if TYPE_CHECKING:
    from runs_tui.service import RunsService


class RunExported(Message):
    """The run's export ended on its worker thread: where the file went, or why it failed."""

    def __init__(self, fmt: str, written: Path | None, error: str | None) -> None:
        super().__init__()
        self.fmt, self.written, self.error = fmt, written, error


def current_step_id(detail: RunDetail) -> str | None:
    """The id of the step the run is on (`RunDetail.active_step`: the domain's one rule)."""
    step = detail.active_step()
    return step.id if step is not None else None


def invalid_field(error: Invalid) -> tuple[str | None, str]:
    """A 422's `details` {field, reason} (the typed prompt's rule), when the backend sent
    them; else (None, the reason in words)."""
    details = getattr(error, "details", None) or {}
    field, reason = details.get("field"), details.get("reason")
    if isinstance(field, str) and field and isinstance(reason, str) and reason:
        return field, reason
    return None, error.reason or error.explain()


def forbidden_reason(error: ClientError) -> str | None:
    """A 403's words (the rule that refused this operator), else None. Read from the status,
    so it holds whichever error class the client maps a 403 to."""
    if error.status != 403:
        return None
    return error.message or "the backend does not let you answer this step"


def conflict_words(error: StateConflict, now: datetime) -> str:
    """409 on an answer, in the error's own words, and that the view follows the run."""
    return error.answer_words(now) + ". The view has been refreshed."


def export_stem(run_id: str) -> str:
    """A file name stem from a run id (backend data: no separators, no dots to climb with)."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", run_id).strip("_")[:60]
    return f"run-{safe or 'export'}"


LARGE_COPY_BYTES = 64 * 1024
"""Beyond this, a copy warns: terminals cap OSC 52 writes (some at 64 KiB, some lower)."""


class RunDetailScreen(ServiceScreen):
    """The detail of one run; `focus_prompt` opens straight into the inline prompt."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="detail.back"),
        Binding("a", "answer", "Answer", id="detail.answer"),
        Binding("enter", "enter_prompt", "Answer", show=False, id="detail.answer_enter"),
        Binding("t", "timeline", "Timeline", id="detail.timeline"),
        Binding("c", "cancel_run", "Cancel run", id="detail.cancel"),
        Binding("r", "rerun", "Rerun", id="detail.rerun"),
        Binding("d", "delete_run", "Delete", id="detail.delete"),
        Binding("e", "export_run", "Export", id="detail.export"),
        Binding("o", "toggle_output", "Expand output", id="detail.expand_output"),
        Binding("y", "copy_output", "Copy output", show=False, id="detail.copy_output"),
        Binding("n", "current_step", "Current step", id="detail.current_step"),
        Binding("u", "refresh", "Refresh", id="detail.refresh"),
        Binding("equals_sign", "compare", "Compare with previous", show=False, id="detail.compare"),
    ]

    DEFAULT_CSS = """
    RunDetailScreen #notice { height: auto; max-height: 3; padding: 0 1; display: none; }
    RunDetailScreen #notice.-shown { display: block; }
    RunDetailScreen #notice.-error { background: $error 25%; text-style: bold; }
    RunDetailScreen #notice.-info { background: $primary 20%; }
    RunDetailScreen #body { height: 1fr; }
    RunDetailScreen #left {
        width: 36%; min-width: 32; max-width: 56; border-right: solid $primary 30%;
    }
    RunDetailScreen #side { width: 1fr; }
    """

    def __init__(self, run_id: str, focus_prompt: bool = False) -> None:
        super().__init__()
        self.run_id = run_id
        # A run that waits opens into its prompt however it was opened (enter or `a` in the
        # list): the same visible state, focus shown. `focus_prompt` says `a` asked for it.
        self.focus_prompt_on_open = True
        self.asked_to_answer = focus_prompt
        self.detail: RunDetail | None = None
        self.summary: RunSummary | None = None
        self.fetched_at: datetime | None = None
        self.online = False  # True once the backend answered for this run
        self.deleted = False  # the backend answered that this run no longer exists
        self._notice_timer: Timer | None = None
        self._pinned_step: str | None = None  # a step the operator moved to, not the current one
        self.fetch_error: str | None = None  # why the last fetch failed (offline), in words

    # --- composition ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        now = self.service.now
        record = self.service.definition_record
        yield RunHeader(now, record=lambda run: record(run).words(), id="header")
        yield Static("", id="notice")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield StepList(now, id="steps")
                yield VariablesView(id="variables")
            with Vertical(id="side"):
                yield ResultPanel(id="result")
                yield StepPanel(now, id="step")
        yield PromptPanel(id="prompt", now=self.service.now, refusal=self.service.answer_refusal)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.load_cached()
        self.fetch_detail()
        self.set_interval(1.0, self._tick)
        if not self._focus_in(self.query_one(PromptPanel)):
            self.query_one(StepList).focus()

    def on_screen_resume(self) -> None:
        """The backend streams tool output only to the clients that ask, and the dashboard
        asks for the run it shows (`OutputNowStreamed` follows once the stream carries it)."""
        self.service.follow_output(self.run_id)

    def on_unmount(self) -> None:
        self.service.unfollow_output(self.run_id)

    def on_output_now_streamed(self, message: OutputNowStreamed) -> None:
        """Fetch once more for what the run printed before the stream carried its output."""
        running = self.detail is not None and not self.detail.status.is_terminal
        if self.run_id in message.event.run_ids and running:
            self.fetch_detail()

    # --- showing -------------------------------------------------------------------------------

    def load_cached(self) -> None:
        """Whatever the cache has, at once (detail, else the list's summary row)."""
        cached = self.service.cache.get_detail(self.run_id)
        if cached is not None:
            self.fetched_at = cached.fetched_at
            self.show_detail(cached.detail)
            return
        self.summary = self.service.cache.get_run(self.run_id)
        header = self.query_one(RunHeader)
        header.run = self.summary
        header.freshness = (
            "Fetching the run's steps…" if self.summary else "This run is not in the cache."
        )

    def show_detail(self, detail: RunDetail) -> None:
        """Render a detail everywhere; keeps the operator's step, scroll and typed answer."""
        self.detail, self.summary = detail, detail
        current = current_step_id(detail)
        self.set_class(not detail.status.is_terminal, "-active")
        self.set_class(detail.status.is_terminal, "-finished")
        self.query_one(RunHeader).show(detail)
        self._update_freshness()
        select = self._pinned_step or current or self._failing_step_id(detail)
        self.query_one(StepList).show_steps(detail.steps, current, select)
        self._show_step(select or self.query_one(StepList).selected_step_id)
        self.query_one(VariablesView).variables = tuple(detail.variables)
        self.query_one(ResultPanel).show_result(detail)
        self._show_prompt(detail)

    def _show_prompt(self, detail: RunDetail) -> None:
        """Dock the prompt while a step waits, bound to that step's prompt. When the run moves
        on elsewhere the prompt is disarmed (focus leaves it, the draft stays in view, a notice
        says who answered); it is never re-pointed at a question the operator has not seen."""
        prompt = self.query_one(PromptPanel)
        answering = self.app.focused is None or self._focus_in(prompt)  # sending disables it
        left_behind = prompt.step_id
        if prompt.show_prompt(detail, self.service.now(), self._draft_for):
            if left_behind is not None:
                self.service.drafts.drop(self.run_id, left_behind)
            if answering:
                self.query_one(StepList).focus()
            return
        if prompt.armed and self.focus_prompt_on_open:
            self.focus_prompt_on_open = False
            self.call_after_refresh(prompt.focus_prompt)
        elif answering and not prompt.armed:
            self.query_one(StepList).focus()

    def _focus_in(self, widget: PromptPanel) -> bool:
        focused = self.app.focused
        return focused is not None and widget in focused.ancestors_with_self

    def _draft_for(self, step: Step) -> Draft | None:
        return self.service.drafts.get(
            self.run_id, step.id, step.prompt.prompt_id if step.prompt else None
        )

    @staticmethod
    def _failing_step_id(detail: RunDetail) -> str | None:
        from runs_tui.troubleshooting import failing_step

        step = failing_step(detail) if detail.status.is_terminal else None
        return step.id if step else None

    def _show_step(self, step_id: str | None) -> None:
        if self.detail is None:
            return
        step = next((s for s in self.detail.steps if s.id == step_id), None)
        self.query_one(StepPanel).show_step(step, self.detail.events)

    def _update_freshness(self) -> None:
        header = self.query_one(RunHeader)
        if self.online or self.fetched_at is None:
            header.freshness = ""
            return
        age = age_words(self.fetched_at, self.service.now())
        header.freshness = f"Cached detail from {age} — not confirmed by the backend"

    NOTICE_SECONDS: ClassVar[float] = 6.0

    def notice(self, message: str, *, error: bool = False) -> None:
        """A line under the header. An error stays until the next notice; an outcome ("Answer
        sent.", "Cancelled — …") clears after a few seconds, or at the next notice, so it never
        describes a state the run has left."""
        if self._notice_timer is not None:
            self._notice_timer.stop()
            self._notice_timer = None
        widget = self.query_one("#notice", Static)
        widget.update(Text(inert(message)))
        widget.set_class(bool(message), "-shown")
        widget.set_class(error, "-error")
        widget.set_class(not error, "-info")
        if message and not error:
            self._notice_timer = self.set_timer(self.NOTICE_SECONDS, lambda: self.notice(""))

    @property
    def notice_text(self) -> str:
        return str(self.query_one("#notice", Static).content)

    def _tick(self) -> None:
        """Durations tick while the run is active; an idle finished run never redraws, nor a
        covered one (it is drawn afresh when it shows again)."""
        if not on_view(self):
            return
        if self.detail is not None and not self.detail.status.is_terminal:
            self.query_one(RunHeader).tick()
            current = current_step_id(self.detail)
            steps = self.query_one(StepList)
            steps.show_steps(self.detail.steps, current, steps.selected_step_id)
        elif self.fetched_at is not None and not self.online:
            self._update_freshness()

    # --- live ----------------------------------------------------------------------------------

    @work(exclusive=True, group="detail-fetch", exit_on_error=False)
    async def fetch_detail(self) -> None:
        """Fresh detail from the backend; offline, keep the cached one and say how old it is."""
        try:
            cached = await self.service.refresh_detail(self.run_id)
        except NotFound as error:
            if self.detail is not None or self.summary is not None:
                self.mark_deleted()
                return
            self.query_one(
                RunHeader
            ).freshness = f"Could not fetch the run: {inert(error.explain())}"
            return
        except ClientError as error:
            self.online = False
            self.fetch_error = inert(error.explain())
            self._update_freshness()
            if self.detail is None:
                self.query_one(
                    RunHeader
                ).freshness = f"Could not fetch the run: {inert(error.explain())}"
                if self.asked_to_answer:
                    self.asked_to_answer = False
                    self.notify(self._no_detail_words(), markup=False, severity="warning")
            return
        self.online = self.service.client is not None
        self.fetch_error = None
        if cached is None:
            if self.service.cache.get_run(self.run_id) is None and self.detail is not None:
                self.mark_deleted()
            return
        self.fetched_at = cached.fetched_at
        self.show_detail(cached.detail)
        # A step that starts waiting later takes the focus only if `a` asked for the prompt.
        self.focus_prompt_on_open = self.focus_prompt_on_open and self.asked_to_answer

    DELETED_WORDS: ClassVar[str] = "Deleted — this run no longer exists on the backend."

    def mark_deleted(self) -> None:
        """The backend has no such run any more (deleted elsewhere): say so where the freshness
        goes and in the notice; what is shown is kept, as the last thing known about it."""
        already, self.deleted, self.online = self.deleted, True, True
        self.query_one(RunHeader).freshness = self.DELETED_WORDS
        if not already:  # a later fetch saying it again must not hide a refusal said since
            self.notice(f"{self.DELETED_WORDS} What is shown is the last copy fetched.", error=True)

    def refuse_if_deleted(self, action: str) -> bool:
        """True (and the reason said) when `action` cannot run because the run is gone."""
        if self.deleted:
            self.notice(f"Cannot {action}: {self.DELETED_WORDS}", error=True)
        return self.deleted

    def catch_up(self) -> None:
        self.fetch_detail()

    def on_runs_changed(self, message: RunsChanged) -> None:
        if message.event.full or self.run_id in message.event.run_ids:
            self.fetch_detail()

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        """Back online: fetch at once rather than keep showing the cached copy's age."""
        if message.event.status.state is SyncMode.LIVE and not self.online and not self.deleted:
            self.fetch_detail()

    def on_tool_output_arrived(self, message: ToolOutputArrived) -> None:
        output = message.event
        if output.run_id == self.run_id:
            self.query_one(StepPanel).append_output(output.step_id, output.chunk)

    @on(StepList.Shown)
    def _step_shown(self, message: StepList.Shown) -> None:
        current = current_step_id(self.detail) if self.detail else None
        self._pinned_step = None if message.step_id == current else message.step_id
        self._show_step(message.step_id)

    # --- the prompt ----------------------------------------------------------------------------

    @on(PromptPanel.Send)
    def _send(self, message: PromptPanel.Send) -> None:
        self.respond(
            message.step_id,
            message.value,
            message.note,
            message.idempotency_key,
            message.prompt_id,
            message.values,
        )

    @on(PromptPanel.Edited)
    def _edited(self, message: PromptPanel.Edited) -> None:
        """Kept by the service, so leaving the run and coming back finds the draft again."""
        self.service.drafts.keep(self.run_id, message.step_id, message.draft)

    @work(group="respond", exit_on_error=False)
    async def respond(
        self,
        step_id: str,
        value: str,
        note: str,
        key: str,
        prompt_id: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        prompt = self.query_one(PromptPanel)
        command = respond_command(
            self.run_id, step_id, value, note, values=values, profile=self.runs_app.cli_profile()
        )
        try:
            await self.service.respond(
                self.run_id, step_id, value, note, key, prompt_id=prompt_id, values=values
            )
        except StateConflict as error:
            self._log(Action.ANSWER, command, error)
            words = conflict_words(error, self.service.now())
            expired = prompt.deadline
            if expired is not None and expired.expired:
                words = f"Not answered: {expired.text}. The view has been refreshed."
            prompt.conflicted(words)
            self.notice(words, error=True)
            self.fetch_detail()
            return
        except Invalid as error:
            self._log(Action.ANSWER, command, error)
            field, reason = invalid_field(error)
            if field and prompt.refused_field(field, reason):
                return
            reason = error.reason or error.explain()
            prompt.refused(
                f"The backend refused this answer: {reason} — correct it and press enter."
            )
            return

        except Unreachable as error:
            self._log(Action.ANSWER, command, error)
            prompt.refused(
                f"Not sent: the backend is unreachable ({error.explain()}). "
                "Your answer is kept; press enter to try again."
            )
            return
        except ClientError as error:
            self._log(Action.ANSWER, command, error)
            refusal = forbidden_reason(error)
            if refusal is not None:  # 403: a rule (responders, four eyes) says no
                prompt.forbidden(refusal)
                self.notice(f"Not answered: {refusal}", error=True)
                return
            prompt.refused(f"Not sent: {error.explain()} Your answer is kept.")
            return
        self._log(Action.ANSWER, command)
        answering = self.app.focused is None or self._focus_in(prompt)
        prompt.sent()
        if answering:
            self.query_one(StepList).focus()
        self.notice("Answer sent.")
        self.fetch_detail()

    def _log(self, action: Action, argv: list[str], error: ClientError | str | None = None) -> None:
        """Into the session's action log (`L`), with this run's name."""
        name = self.summary.name if self.summary is not None else ""
        self.runs_app.record_action(action, argv, error, run_id=self.run_id, run_name=name)

    @on(PromptPanel.Left)
    def _left_prompt(self) -> None:
        self.query_one(StepList).focus()

    @on(StepList.Chosen)
    def _step_chosen(self) -> None:
        if self.detail is not None and self.detail.waiting_step() is not None:
            self.action_enter_prompt()

    def action_enter_prompt(self) -> None:
        """Enter focuses the prompt on screen, like `a`, but never takes up a new question
        after a disarm: Enter is what the operator pressed to send the old answer."""
        prompt = self.query_one(PromptPanel)
        if prompt.armed:
            prompt.focus_prompt()
        elif prompt.refusal_text and not prompt.has_class("-disarmed"):
            self.notify(prompt.refusal_text + ".", markup=False, severity="warning")
        elif prompt.has_class("-disarmed"):
            self.notify(
                "That prompt was answered elsewhere; press a to answer the new one.",
                markup=False,
                severity="warning",
            )
        else:
            self.action_answer()

    def action_answer(self) -> None:
        """Into the prompt: the one shown, or (disarmed, or after an answer) the step that
        waits now, taken up fresh with its own draft."""
        prompt = self.query_one(PromptPanel)
        if prompt.armed:
            prompt.focus_prompt()
            return
        waiting = self.detail.waiting_step() if self.detail is not None else None
        if waiting is not None and prompt.arm(waiting, self._draft_for(waiting), self.detail):
            self.call_after_refresh(prompt.focus_prompt)
            return
        if prompt.refusal_text:
            self.notify(prompt.refusal_text + ".", markup=False, severity="warning")
            return
        if self.detail is None:
            self.notify(self._no_detail_words(), markup=False, severity="warning")
            return
        self.notify("This run is not waiting for input.", markup=False)

    def _no_detail_words(self) -> str:
        """`a` before the run's steps are known: offline, say so (not "not waiting")."""
        if self.fetch_error is not None:
            return (
                f"Cannot answer: the backend is unreachable ({self.fetch_error}) and this "
                "run's steps are not in the cache."
            )
        return "The run's steps are still being fetched; try again in a moment."

    # --- actions -------------------------------------------------------------------------------

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_timeline(self) -> None:
        from runs_tui.screens.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(self.run_id))

    def action_toggle_output(self) -> None:
        self.query_one(StepPanel).toggle_expanded()

    def action_copy_output(self) -> None:
        """The shown step's output as displayed (inert: no escape sequence can ride along),
        through the terminal (OSC 52), so it works over SSH too."""
        output = self.query_one(StepPanel).output
        if not output.line_count:
            self.notify("This step has no output to copy.", severity="warning")
            return
        text = output.text
        self.app.copy_to_clipboard(text)
        lines, size = output.line_count, len(text.encode())
        message = f"Copied {lines} line{'s' if lines != 1 else ''} of output to the clipboard."
        if size <= LARGE_COPY_BYTES:
            self.notify(message)
            return
        self.notify(
            f"{message} It is {size // 1024:,} KiB: some terminals and tmux drop "
            "clipboard writes that large.",
            severity="warning",
        )

    def action_current_step(self) -> None:
        """Back to following the current step (or the failing one)."""
        self._pinned_step = None
        if self.detail is not None:
            self.show_detail(self.detail)

    def action_refresh(self) -> None:
        self.fetch_detail()

    def action_compare(self) -> None:
        """`=`: this run beside the previous run of its flow or guide."""
        from runs_tui.screens.compare import compare_with_previous

        compare_with_previous(self, self.run_id)

    @work(group="action", exit_on_error=False)
    async def action_cancel_run(self) -> None:
        """Cancel this run, once the operator agrees."""
        if self.refuse_if_deleted("cancel it"):
            return
        run = self.summary
        if run is not None and run.status.is_terminal:
            self.notify(
                f"Nothing to cancel: this run has already finished ({run.status.label}).",
                markup=False,
            )
            return
        if not await self.app.push_screen_wait(cancel_question(run, self.run_id)):
            return
        command = cancel_command(self.run_id, profile=self.runs_app.cli_profile())
        try:
            summary = await self.service.cancel(self.run_id)
        except ClientError as error:
            self._log(Action.CANCEL, command, error)
            self.notice(f"Not cancelled: {error.explain()}", error=True)
            self.fetch_detail()
            return
        self._log(Action.CANCEL, command)
        self.notice(inert(self.service.cancel_words(self.run_id, summary)))
        self.fetch_detail()

    @work(group="action", exit_on_error=False)
    async def action_rerun(self) -> None:
        """A new run with the same inputs, opened in place of this one, once agreed."""
        if self.refuse_if_deleted("rerun it"):
            return
        if not await self.app.push_screen_wait(rerun_question(self.summary, self.run_id)):
            return
        command = rerun_command(self.run_id, profile=self.runs_app.cli_profile())
        try:
            summary = await self.service.rerun(self.run_id)
        except ClientError as error:
            self._log(Action.RERUN, command, error)
            self.notice(f"Not started: {error.explain()}", error=True)
            return
        self._log(Action.RERUN, command)
        self.app.notify("New run started.", markup=False)
        self.app.switch_screen(RunDetailScreen(summary.id))

    @work(group="action", exit_on_error=False)
    async def action_delete_run(self) -> None:
        """Delete this finished run, once the operator agrees; then back to the list."""
        if self.refuse_if_deleted("delete it"):
            return
        run = self.summary
        if run is not None and not run.status.is_terminal:
            self.notify(
                f"Only finished runs can be deleted: this one is {run.status.label}. "
                "Cancel it first.",
                markup=False,
            )
            return
        question = delete_question([run]) if run else delete_question([], run_id=self.run_id)
        if not await self.app.push_screen_wait(question):
            return
        command = delete_command([self.run_id], profile=self.runs_app.cli_profile())
        try:
            deleted, refused = await self.service.delete([self.run_id])
        except ClientError as error:
            self._log(Action.DELETE, command, error)
            self.notice(f"Not deleted: {error.explain()}", error=True)
            return
        if self.run_id not in deleted:
            reason = refused[0].message if refused else "the backend refused"
            self._log(Action.DELETE, command, reason)
            self.notice(f"Not deleted: {reason}", error=True)
            return
        self._log(Action.DELETE, command)
        self.app.notify("Run deleted.", markup=False)
        self.action_back()

    def action_export_run(self) -> None:
        from runs_tui.screens.export_dialog import ExportDialog

        if self.refuse_if_deleted("export it"):
            return
        self.app.push_screen(
            ExportDialog(export_stem(self.run_id), directory=self.runs_app.export_dir),
            self._export_chosen,
        )

    def _export_chosen(self, choice: tuple[str, Path] | None) -> None:
        if choice is None:
            return
        fmt, path = choice
        self.runs_app.remember_export(path)
        self.notify("Exporting…", markup=False, timeout=3)
        self.export_run(self.service, fmt, path)

    @work(thread=True, group="export", exit_on_error=False)
    def export_run(self, service: RunsService, fmt: str, path: Path) -> None:
        """On a thread, like the list's export: a run with huge outputs takes a while to write.
        The service reads through its own connection there; this only posts the outcome."""
        try:
            written = service.export_run(self.run_id, fmt, path)
        except LookupError:  # exports.DetailNotCached: its message is only the run id
            self.post_message(RunExported(fmt, None, "the run's detail is not in the cache"))
            return
        except OSError as error:  # the folder or file cannot be written: said in its words
            self.post_message(RunExported(fmt, None, str(error) or type(error).__name__))
            return
        self.post_message(RunExported(fmt, written, None))

    @on(RunExported)
    def _exported(self, message: RunExported) -> None:
        where = message.written or "(not written)"
        command = export_command(
            self.run_id, message.fmt, where, profile=self.runs_app.cli_profile()
        )
        self._log(Action.EXPORT, command, message.error)
        if message.written is None:
            self.notice(f"Export failed: {message.error}", error=True)
            return
        self.notice(f"Exported {message.fmt.upper()} to {message.written}")
        self.notify(f"Exported to {inert(message.written)}", markup=False)


__all__ = ["RunDetailScreen", "conflict_words", "current_step_id"]
