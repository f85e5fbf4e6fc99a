"""The inbox: every step waiting for a person, across runs, answered in place.

One key from anywhere (`i`) opens it. The list is the service's inbox (`RunsService.inbox`):
soonest deadline first, then the longest waiting, with how long each has waited, the time left
in words, and whether this operator may answer. The prompt under it is the detail screen's own
`PromptPanel`, bound to the selected item: the same guarantees hold (an answer goes only to the
prompt shown; when someone else answers first the panel is disarmed, never re-pointed). After
an answer the cursor moves to the next item, with the focus on the list: one more Enter takes
up that item's prompt, so a held key cannot answer two runs.

Live: a change to a waiting run (`RunsChanged`) or a run starting to wait (`RunWaiting`)
re-reads the inbox from the cache at once and fetches the missing or stale details in a
worker. The cursor stays on its item; an item answered elsewhere keeps its line, saying who
answered and when, until the operator moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from runs_tui.action_log import Action, respond_command
from runs_tui.drafts import Draft
from runs_tui.errors import ClientError, Invalid, StateConflict, Unreachable
from runs_tui.formatting import clock_time
from runs_tui.inbox import Inbox, InboxItem
from runs_tui.messages import RunsChanged, RunWaiting, SyncStatusChanged
from runs_tui.models.domain import RunDetail, Step
from runs_tui.sanitize import inert, truncate
from runs_tui.screens.base import ServiceScreen
from runs_tui.screens.detail import conflict_words
from runs_tui.screens.reload_pacer import ReloadPacer
from runs_tui.service import SyncStatus
from runs_tui.widgets.app_header import AppHeader
from runs_tui.widgets.inbox_list import InboxList
from runs_tui.widgets.key_footer import KeyFooter
from runs_tui.widgets.prompt import PromptPanel
from runs_tui.widgets.quiet_update import on_view

if TYPE_CHECKING:
    from datetime import datetime

    from runs_tui.models.prompt_fields import FieldValue


def gone_words(detail: RunDetail | None, item: InboxItem, now: datetime) -> str:
    """What became of an item that left the inbox, from the run's latest cached detail."""
    step = next((s for s in detail.steps if s.id == item.step_id), None) if detail else None
    if detail is None or step is None:
        return "no longer waiting — the run is gone. Move on to continue."
    response = step.response
    if response is not None:
        who = truncate(inert(response.answered_by or "someone"), 40)
        when = f" at {clock_time(response.answered_at, now)}" if response.answered_at else ""
        value = truncate(inert(response.value), 40)
        if response.expired:
            return f"expired{when}: the defaults were taken. Move on to continue."
        return f"answered ‘{value}’ by {who}{when}. Move on to continue."
    if step.prompt is not None and step.prompt.prompt_id != item.prompt_id:
        return "asked again: the new question is listed. Move on to continue."
    return f"no longer waiting ({step.status.label}; run {detail.status.label}). Move on."


class InboxScreen(ServiceScreen):
    """Every step waiting for a person; Enter answers the selected one in place."""

    help_title = "Inbox"
    RELOADS_PER_SECOND: ClassVar[float] = 4.0

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="inbox.back"),
        Binding("a", "answer", "Answer", show=False, id="inbox.answer_a"),
        Binding("o", "open_run", "Open run", id="inbox.open_run"),
        Binding("u", "refresh", "Refresh", id="inbox.refresh"),
    ]

    DEFAULT_CSS = """
    InboxScreen #inbox-summary { height: 1; padding: 0 1; background: $primary 15%; }
    InboxScreen #inbox-why { height: auto; max-height: 3; padding: 0 1; display: none; }
    InboxScreen #inbox-why.-shown { display: block; text-style: bold; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.inbox = Inbox()
        self.sync_status: SyncStatus | None = None
        self._pacer = ReloadPacer(self, lambda: self.reload(), self.RELOADS_PER_SECOND)
        self._shown_key: tuple[str, str | None, str | None] | None = None

    # --- composition ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        service = self.service
        yield AppHeader(
            service.profile_label or "default", service.backend_label or "local cache", id="header"
        )
        yield Static("", id="inbox-summary")
        yield InboxList(service.now, id="inbox")
        yield Static("", id="inbox-why")
        yield PromptPanel(
            id="prompt",
            now=self.service.now,
            refusal=self.service.answer_refusal,
            always_context=True,  # no variables panel beside it here
        )
        yield KeyFooter()

    @property
    def inbox_list(self) -> InboxList:
        return self.query_one(InboxList)

    @property
    def prompt(self) -> PromptPanel:
        return self.query_one(PromptPanel)

    def on_mount(self) -> None:
        header = self.query_one(AppHeader)
        header.key_hint = self.runs_app.inbox_key_hint()
        self.inbox_list.focus()
        self.show_inbox(self.service.inbox())
        self.fetch_inbox()
        self.set_interval(1.0, self._tick)

    # --- showing ----------------------------------------------------------------------------

    def show_inbox(self, inbox: Inbox) -> None:
        """Re-fill the list (the cursor stays on its item) and follow the selection."""
        self.inbox = inbox
        now = self.service.now()
        self.inbox_list.show(inbox.items, lambda item: gone_words(self._detail(item), item, now))
        self._summarise()
        self.refresh_app_header()
        self._follow_selection()

    def _detail(self, item: InboxItem) -> RunDetail | None:
        cached = self.service.cache.get_detail(item.run_id)
        return cached.detail if cached is not None else None

    def _summarise(self) -> None:
        count = len(self.inbox.items)
        words = (
            f"{count} step{'s' if count != 1 else ''} wait{'s' if count == 1 else ''} for a "
            "person · soonest deadline first, then longest waiting"
            if count
            else "Nothing waits for a person."
        )
        if self.inbox.problems:
            words += " · " + " · ".join(self.inbox.problems)
        self.query_one("#inbox-summary", Static).update(Text(inert(words)))

    def _follow_selection(self) -> None:
        """The prompt shows the selected item's prompt, or, if it left the list, stays on it
        disarmed (the panel's own rule: never re-pointed at a question not seen)."""
        item = self.inbox_list.selected
        gone = self.inbox_list.gone
        prompt = self.prompt
        if gone is not None:
            answering = self.app.focused is None or self._focus_in(prompt)
            if prompt.step_id is not None:
                prompt.show_prompt(self._detail(gone.item), self.service.now(), self._draft_for)
            if answering:  # disarming disabled the input under the operator's fingers
                self.inbox_list.focus()
            self._why("")
            return
        if item is None:
            prompt.clear()
            self._shown_key = None
            self._why("")
            return
        detail = self._detail(item)
        if item.key != self._shown_key:
            self._shown_key = item.key
            prompt.clear()
            if item.known and item.may_answer and detail is not None:
                prompt.show_prompt(detail, self.service.now(), self._draft_for)
        elif detail is not None and prompt.step_id is not None:
            prompt.show_prompt(detail, self.service.now(), self._draft_for)
        self._why(self._why_not(item))

    def _why_not(self, item: InboxItem) -> str:
        if not item.known:
            return "This run's question is not in the cache yet (u fetches it; o opens the run)."
        if item.refusal is not None:
            return f"You may not answer this one: {item.refusal}."
        return ""

    def _why(self, words: str) -> None:
        why = self.query_one("#inbox-why", Static)
        why.update(Text(inert(words)))
        why.set_class(bool(words), "-shown")

    def _draft_for(self, step: Step) -> Draft | None:
        item = self.inbox_list.selected or (
            self.inbox_list.gone.item if self.inbox_list.gone else None
        )
        if item is None:
            return None
        return self.service.drafts.get(
            item.run_id, step.id, step.prompt.prompt_id if step.prompt else None
        )

    def _focus_in(self, widget: PromptPanel) -> bool:
        focused = self.app.focused
        return focused is not None and widget in focused.ancestors_with_self

    def _tick(self) -> None:
        """Waited and time left count on screen (not while covered: it is drawn afresh)."""
        if not on_view(self):
            return
        self.inbox_list.refresh()
        self.refresh_app_header()

    # --- live -------------------------------------------------------------------------------

    @work(exclusive=True, group="inbox-fetch", exit_on_error=False)
    async def fetch_inbox(self) -> None:
        """The details the inbox lacks, then the inbox again (the cache's, with problems)."""
        try:
            inbox = await self.service.refresh_inbox()
        except ClientError as error:
            inbox = self.service.inbox([error.explain()])
        self.show_inbox(inbox)

    def catch_up(self) -> None:
        self.reload()

    def reload(self) -> None:
        """The cache's inbox at once, then a fetch of what it lacks."""
        self.show_inbox(self.service.inbox(self.inbox.problems))
        self.fetch_inbox()

    def on_runs_changed(self, message: RunsChanged) -> None:
        """Coalesced like the runs list: a burst of changes is one re-read."""
        self._pacer.request()

    def on_run_waiting(self, message: RunWaiting) -> None:
        """A run starts waiting: listed at once (its detail is fetched by `reload`)."""
        self.reload()

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self.sync_status = message.event.status
        self.refresh_app_header()

    # --- moving and answering ---------------------------------------------------------------

    @on(InboxList.Moved)
    def _moved(self) -> None:
        self._follow_selection()

    @on(InboxList.Chosen)
    def _chosen(self, message: InboxList.Chosen) -> None:
        self.action_answer()

    def action_answer(self) -> None:
        """Into the selected item's prompt; say why not when it cannot be answered here."""
        item = self.inbox_list.selected
        if item is None:
            if self.inbox_list.gone is not None:
                self.notify(
                    "That item was answered elsewhere; move to another one.",
                    markup=False,
                    severity="warning",
                )
            return
        why = self._why_not(item)
        if why:
            self.notify(why, markup=False, severity="warning")
            return
        prompt = self.prompt
        if not prompt.armed:
            detail = self._detail(item)
            step = detail.waiting_step() if detail is not None else None
            if step is None or not prompt.arm(step, self._draft_for(step)):
                self.notify("This step is no longer waiting.", markup=False)
                return
        self.call_after_refresh(prompt.focus_prompt)

    @on(PromptPanel.Edited)
    def _edited(self, message: PromptPanel.Edited) -> None:
        item = self.inbox_list.selected
        if item is not None:
            self.service.drafts.keep(item.run_id, message.step_id, message.draft)

    @on(PromptPanel.Left)
    def _left_prompt(self) -> None:
        self.inbox_list.focus()

    @on(PromptPanel.Send)
    def _send(self, message: PromptPanel.Send) -> None:
        item = self.inbox_list.selected
        if item is None:
            return
        values: dict[str, FieldValue] | None = message.values
        self.respond(
            item,
            message.step_id,
            message.value,
            message.note,
            message.idempotency_key,
            message.prompt_id,
            values,
        )

    @work(group="respond", exit_on_error=False)
    async def respond(
        self,
        item: InboxItem,
        step_id: str,
        value: str,
        note: str,
        key: str,
        prompt_id: str | None,
        values: dict[str, FieldValue] | None,
    ) -> None:
        prompt = self.prompt
        command = respond_command(
            item.run_id, step_id, value, note, values=values, profile=self.runs_app.cli_profile()
        )

        def record(error: ClientError | None = None) -> None:
            self.runs_app.record_action(
                Action.ANSWER, command, error, run_id=item.run_id, run_name=item.run_name
            )

        try:
            await self.service.respond(
                item.run_id, step_id, value, note, key, prompt_id=prompt_id, values=values
            )
        except StateConflict as error:
            words = conflict_words(error, self.service.now())
            record(error)
            prompt.conflicted(words)
            self.reload()
            return
        except Invalid as error:
            reason = error.reason or error.explain()
            record(error)
            prompt.refused(
                f"The backend refused this answer: {reason} — correct it and press enter."
            )
            return
        except Unreachable as error:
            record(error)
            prompt.refused(
                f"Not sent: the backend is unreachable ({error.explain()}). "
                "Your answer is kept; press enter to try again."
            )
            return
        except ClientError as error:
            record(error)
            prompt.refused(f"Not sent: {error.explain()} Your answer is kept.")
            return
        record()
        prompt.sent()
        self.inbox_list.focus()
        self.notify(f"Answer sent to “{inert(item.run_name)}”.", markup=False, timeout=4)
        inbox = self.service.inbox()
        self.inbox = inbox
        self.inbox_list.show(inbox.items)  # the answered item leaves without a "gone" line
        self.inbox_list.move_after_answer()
        self._summarise()
        self.fetch_inbox()

    # --- other keys -------------------------------------------------------------------------

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_refresh(self) -> None:
        self.fetch_inbox()

    def action_open_run(self) -> None:
        item = self.inbox_list.selected or (
            self.inbox_list.gone.item if self.inbox_list.gone else None
        )
        if item is not None:
            self.runs_app.open_run(item.run_id)


__all__ = ["InboxScreen", "gone_words"]
