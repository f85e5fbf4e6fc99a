"""The detail screen against the real backend (embedded server, real engine, demo definitions).

Wall-clock time: the demo tools take a second or two each, so each test runs for a few seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from runs_tui.cache import Cache
from runs_tui.client import RunsClient, new_idempotency_key
from runs_tui.models import RunKind, RunStatus
from runs_tui.models.domain import StartRunRequest, Trigger, TriggerKind
from runs_tui.screens.confirm import ConfirmScreen
from runs_tui.screens.detail import RunDetailScreen
from runs_tui.service import RunsService
from runs_tui.widgets.prompt import ChoicePicker, PromptPanel
from runs_tui.widgets.step_panel import StepPanel
from ui.conftest import settle
from ui.detail_fixtures import open_run, screen_text
from ui.ui_data import SendsSeen

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def live_service(live_backend: Any, tmp_path: Path) -> AsyncIterator[RunsService]:
    cache = Cache.open(tmp_path / "live-cache.sqlite3")
    # The tester's own token: the backend records its identity as who answered (issue 13).
    client = RunsClient(live_backend.url, live_backend.team.token("tester"))
    service = RunsService(
        cache,
        client,
        profile_label="live",
        backend_label=live_backend.url,
        actor="tester",
        refresh_interval=0.5,
    )
    yield service
    await service.aclose()  # the app closed it when it unmounted: closing is idempotent
    cache.close()


async def start(runs: RunsService, kind: RunKind, definition: str, **inputs: str) -> str:
    assert runs.client is not None
    request = StartRunRequest(
        inputs=inputs, trigger=Trigger(kind=TriggerKind.MANUAL, actor="tester")
    )
    summary = await runs.client.start_run(kind, definition, request, new_idempotency_key())
    await runs.sync_now()
    return summary.id


def _status(app: Any) -> RunStatus | None:
    screen = app.screen
    detail = getattr(screen, "detail", None)
    return detail.status if detail is not None else None


async def test_a_waiting_demo_run_is_answered_through_the_prompt_and_completes(
    app_factory, live_service
) -> None:
    run_id = await start(
        live_service, RunKind.GUIDE, "on-call-handover", engineer="ann@example.com"
    )
    app = app_factory(live_service)
    sends = SendsSeen()
    async with app.run_test(size=(120, 40), message_hook=sends) as pilot:
        screen = await open_run(app, pilot, run_id, focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await settle(
            pilot,
            lambda: prompt.prompt is not None and prompt.prompt.kind.value == "complete",
            "the 'complete' prompt",
        )
        await settle(
            pilot, lambda: isinstance(app.focused, ChoicePicker), "the prompt to take the focus"
        )
        await pilot.press("tab", *"all acked", "enter")  # "done" is the first value
        await settle(
            pilot,
            lambda: prompt.prompt is not None and prompt.prompt.kind.value == "confirm",
            "the 'confirm' prompt",
        )
        assert not isinstance(app.focused, ChoicePicker)  # the next question takes a fresh key
        await pilot.press("a")
        await settle(
            pilot,
            lambda: isinstance(app.focused, ChoicePicker),
            "the next prompt to take the focus",
        )
        await pilot.press("enter")  # approve
        await settle(pilot, lambda: _status(app) is RunStatus.COMPLETED_SUCCESS, "completion")
        assert "✓ Completed Success" in screen_text(app)
        assert prompt.has_class("-hidden") and sends.count == 2
        answered = [s for s in screen.detail.steps if s.response is not None]
        assert [(s.response.value, s.response.answered_by) for s in answered] == [
            ("done", "tester"),
            ("approve", "tester"),
        ]
        assert answered[0].response.note == "all acked"


async def test_a_running_run_is_cancelled_and_shows_cancelled(app_factory, live_service) -> None:
    run_id = await start(live_service, RunKind.FLOW, "disk-pressure", host="web-prod-01")
    app = app_factory(live_service)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, run_id)
        await settle(
            pilot,
            lambda: _status(app) is not None and not _status(app).is_terminal,
            "an active run",
        )
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, lambda: _status(app) is RunStatus.CANCELLED, "Cancelled")
        assert app.screen is screen and "⊘ Cancelled" in screen_text(app)


async def test_a_failed_run_shows_its_failing_step_and_hint(app_factory, live_service) -> None:
    run_id = await start(
        live_service, RunKind.GUIDE, "rotate-credentials", service="legacy-billing"
    )
    app = app_factory(live_service)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, run_id, focus_prompt=True)
        prompt = screen.query_one(PromptPanel)
        await settle(pilot, lambda: prompt.prompt is not None, "the Vault confirmation")
        await settle(
            pilot, lambda: isinstance(app.focused, ChoicePicker), "the prompt to take the focus"
        )
        await pilot.press("enter")
        await settle(
            pilot, lambda: _status(app) is not None and _status(app).is_terminal, "the end"
        )
        assert _status(app) in (RunStatus.COMPLETED_FAILURE, RunStatus.COMPLETED_PARTIAL)
        text = screen_text(app)
        assert "Failed ✗ Restart the connection pools" in text
        assert "rollout timed out" in text
        assert "Hint likely tool timeout: Check tool availability, increase timeout" in text
        assert "kubectl rollout restart deployment/legacy-billing" in text  # the raw output


async def test_a_rerun_opens_and_appears_in_the_list(app_factory, live_service) -> None:
    run_id = await start(live_service, RunKind.FLOW, "disk-pressure", host="web-prod-02")
    app = app_factory(live_service)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, run_id)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("y")
        await settle(
            pilot,
            lambda: isinstance(app.screen, RunDetailScreen) and app.screen.run_id != run_id,
            "the new run's detail",
        )
        new_id = app.screen.run_id
        await settle(pilot, lambda: app.screen.detail is not None, "the new run's detail to load")
        assert (
            app.screen.detail.inputs == {"host": "web-prod-02", "mount": "/var"}
            or app.screen.detail.inputs.get("host") == "web-prod-02"
        )
        await pilot.press("escape")
        await settle(pilot)
        ids = [run.id for run in app.screen.run_list.pager.rows(0, 20)]
        assert new_id in ids and run_id in ids


async def test_an_answer_given_elsewhere_between_the_render_and_the_key_records_nothing(
    app_factory, live_service, live_backend
) -> None:
    """No live updates reach the screen (live=False), so the operator still sees step A when
    cli-oncall answers it; their Enter is refused by the real backend, the prompt disarms with
    who answered, and the record holds cli-oncall's answer only."""
    from runs_tui.models.domain import RespondRequest

    run_id = await start(
        live_service, RunKind.GUIDE, "on-call-handover", engineer="ann@example.com"
    )
    app = app_factory(live_service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, run_id, focus_prompt=True)
        prompt = screen.query_one(PromptPanel)

        def complete_shown() -> bool:
            if prompt.prompt is not None and prompt.prompt.kind.value == "complete":
                return True
            screen.fetch_detail()  # no live updates reach the screen: ask again
            return False

        await settle(pilot, complete_shown, what="the 'complete' prompt", timeout=75)
        await settle(
            pilot, lambda: isinstance(app.focused, ChoicePicker), "the prompt to take the focus"
        )
        shown_step = prompt.step_id
        other = RunsClient(live_backend.url, live_backend.team.token("cli-oncall"))
        try:
            await other.respond(
                run_id,
                shown_step,
                RespondRequest(value="done", answered_by="cli-oncall", prompt_id=prompt.prompt_id),
                new_idempotency_key(),
            )
        finally:
            await other.aclose()
        await pilot.press("tab", *"mine", "enter")
        await settle(
            pilot, lambda: not prompt.armed and prompt.has_class("-disarmed"), "the disarmed prompt"
        )
        assert prompt.disarmed_text.startswith("cli-oncall answered ‘done’ at ")
        assert "answered by cli-oncall" in screen.notice_text
        detail = screen.detail
        received = [e for e in detail.events if e.type.value == "input_received"]
        assert [(e.step_id, e.data["answered_by"]) for e in received] == [
            (shown_step, "cli-oncall")
        ]


async def test_a_run_deleted_elsewhere_says_deleted_and_its_actions_say_why(
    app_factory, live_service, live_backend
) -> None:
    run_id = await start(
        live_service, RunKind.GUIDE, "rotate-credentials", service="legacy-billing"
    )
    app = app_factory(live_service)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_run(app, pilot, run_id)
        await settle(pilot, lambda: _status(app) is not None, "the run's detail")
        other = RunsClient(live_backend.url, live_backend.token)  # a second operator
        try:
            await other.cancel(run_id, new_idempotency_key())
            await other.delete_run(run_id)
        finally:
            await other.aclose()
        await settle(pilot, lambda: screen.deleted, "the detail to notice the deletion")
        assert "Deleted" in screen_text(app)
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is screen  # no confirmation for something that cannot happen
        assert "Cannot rerun it: Deleted" in screen.notice_text
        for key, action in (("c", "cancel it"), ("d", "delete it"), ("e", "export it")):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
            assert f"Cannot {action}: Deleted" in screen.notice_text


async def _print(backend: Any, run_id: str, step_id: str, chunk: str) -> None:
    backend.bus.publish_output(run_id, step_id, chunk)


async def test_the_detail_follows_the_output_of_the_run_it_shows_and_only_while_shown(
    app_factory, live_service, live_backend
) -> None:
    """Issue 12: the backend streams tool output only to the clients that ask for a run; the
    dashboard asks for the run on screen, and stops asking when it leaves it."""
    run_id = await start(
        live_service, RunKind.GUIDE, "on-call-handover", engineer="ann@example.com"
    )
    app = app_factory(live_service)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, run_id)
        assert isinstance(screen, RunDetailScreen)
        following = lambda: live_backend.bus.wants_output(run_id)  # noqa: E731
        await settle(pilot, following, "the stream to carry the run's output")
        step_id = screen.query_one(StepPanel).step_id
        assert step_id is not None
        live_backend.run(_print(live_backend, run_id, step_id, "streamed [b]line[/b]\x1b[31m"))
        await settle(pilot, lambda: "streamed [b]line[/b]" in screen_text(app), "the chunk")
        await pilot.press("escape")
        await settle(pilot, lambda: not following(), "the stream to stop carrying it")
        assert app.screen is not screen
