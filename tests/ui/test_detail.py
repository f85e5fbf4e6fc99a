"""The run detail screen: progress, results, troubleshooting, live updates, actions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from runs_tui import exports
from runs_tui.cache import Cache
from runs_tui.events import CacheChanged, OutputChunk
from runs_tui.messages import RunsChanged, ToolOutputArrived
from runs_tui.models import ChangesPage, RunStatus, StepStatus
from runs_tui.screens.confirm import ConfirmScreen
from runs_tui.screens.detail import RunDetailScreen
from runs_tui.screens.export_dialog import ExportDialog
from runs_tui.screens.timeline import TimelineScreen
from runs_tui.widgets.prompt import PromptPanel
from runs_tui.widgets.result_panel import ResultPanel
from runs_tui.widgets.run_header import RunHeader
from runs_tui.widgets.step_list import StepList
from runs_tui.widgets.step_panel import StepPanel
from runs_tui.widgets.tool_output import ToolOutput
from runs_tui.widgets.variables import VariablesView
from ui.conftest import settle
from ui.detail_fixtures import (
    ACTOR,
    NOW,
    Scripted,
    failure_detail,
    open_run,
    progress_detail,
    screen_text,
    scripted,
    success_detail,
    waiting_detail,
)
from ui.fake_backend import created, refusal, reply, summary_of


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


def _app(app_factory, world: Scripted):  # type: ignore[no-untyped-def]
    return app_factory(world.service, live=False)


def _sent(world: Scripted, endpoint: str) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in world.backend.requests(endpoint)]


async def test_progress_view_shows_steps_current_tool_output_and_variables(
    app_factory, world
) -> None:
    world.seed(progress_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-progress")
        assert isinstance(screen, RunDetailScreen) and screen.has_class("-active")
        text = screen_text(app)
        assert "▶ Executing Remediation" in text and "Disk space remediation" in text
        assert "Trigger external: pagerduty" in text and "Duration 9m 56s" in text
        assert "✓ Check disk usage" in text and "○ Verify free space" in text
        assert "▶ Rotate and compress logs  running" in text
        assert "Triage" in text and "Remediation" in text
        # the current step is shown beside: tool, outpost, input, output
        assert screen.query_one(StepPanel).step_id == "s3"
        assert "Tool logrotate (shell)  outpost local" in text
        assert "config=/etc/logrotate.conf" in text
        assert "rotating /var/log/auth.log" in text
        assert "disk_usage" in text and "96%" in text
        assert _sent(world, "detail") == [("GET", "/runs/run-progress")]
        assert world.backend.requests("detail")[0].if_none_match is not None  # a conditional fetch


async def test_results_view_walks_steps_with_their_input_output_and_time(
    app_factory, world
) -> None:
    world.seed(success_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        assert screen.has_class("-finished")
        text = screen_text(app)
        assert "✓ Completed Success" in text and "Duration 5m 26s" in text
        assert "Outcome Disk full" in text and "Root cause Log rotation disabled" in text
        assert "Summary Removed 12.1G" in text
        assert "✓ Delete rotated logs  3m 50s" in text
        steps = screen.query_one(StepList)
        steps.focus()
        await pilot.press("home")
        await pilot.pause()
        assert screen.query_one(StepPanel).step_id == "s1"
        assert "/dev/sda1        50G   48G  2.0G  96% /" in screen_text(app)
        await pilot.press("j", "j")
        await pilot.pause()
        assert screen.query_one(StepPanel).step_id == "s3"
        text = screen_text(app)
        assert "Answer “approve” by alice at 14:24:30 — ok, change CHG-1234" in text
        assert "removed 41 files (12.1G)" in text
        await pilot.press("o")  # expand the output, then collapse it again
        assert screen.query_one(StepPanel).has_class("-expanded")
        await pilot.pause()
        assert "Tool rm" not in screen_text(app)
        await pilot.press("o")
        await pilot.pause()
        assert not screen.query_one(StepPanel).has_class("-expanded")


async def test_troubleshooting_names_the_failing_step_error_and_hint(app_factory, world) -> None:
    world.seed(failure_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-failure")
        text = screen_text(app)
        assert "✗ Completed Failure" in text
        assert "Failed ✗ Rotate and compress logs (remediation 3)" in text
        assert "Error ssh: connect to host db-prod-01 port 22: Connection refused" in text
        assert "Hint likely network issue: Check outpost connectivity" in text
        # the raw facts beside the hint: the failing step's output and the variables
        assert screen.query_one(StepPanel).step_id == "s3"
        assert "retry 3/3" in text and "outpost eu-west-2" in text and "db-prod-01" in text
        assert "↷ Verify free space  skipped" in text


async def test_success_has_no_troubleshooting(app_factory, world) -> None:
    world.seed(success_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        assert "Hint" not in screen_text(app)
        assert not screen.query_one(ResultPanel).has_class("-empty")  # the summary shows


async def test_output_streams_follows_the_end_and_counts_new_lines_when_scrolled_up(
    app_factory, world
) -> None:
    world.seed(progress_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_run(app, pilot, "run-progress")
        output = screen.query_one(ToolOutput)
        for index in range(60):
            screen.post_message(
                ToolOutputArrived(OutputChunk("run-progress", "s3", f"line {index}\n"))
            )
        screen.post_message(ToolOutputArrived(OutputChunk("other-run", "s3", "not ours\n")))
        screen.post_message(ToolOutputArrived(OutputChunk("run-progress", "s1", "another step\n")))
        await pilot.pause()
        assert output.line_count == 62
        assert output.is_vertical_scroll_end and "line 59" in screen_text(app)
        output.focus()
        await pilot.press("k", "k", "k")
        for index in range(5):
            screen.post_message(
                ToolOutputArrived(OutputChunk("run-progress", "s3", f"late {index}\n"))
            )
        await pilot.pause()
        assert output.new_lines == 5
        assert "↓ 5 new lines — End to follow" in screen_text(app)
        assert "late 4" not in screen_text(app)
        await pilot.press("end")
        await pilot.pause()
        assert output.new_lines == 0 and "late 4" in screen_text(app)


async def test_a_change_of_this_run_refetches_and_shows_the_new_state(app_factory, world) -> None:
    world.seed(progress_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-progress")
        screen.post_message(RunsChanged(CacheChanged(frozenset({"someone-else"}))))
        await settle(pilot)
        assert len(world.backend.requests("detail")) == 1
        world.backend.put(waiting_detail(run_id="run-progress"))
        screen.post_message(RunsChanged(CacheChanged(frozenset({"run-progress"}))))
        await settle(pilot)
        assert _sent(world, "detail") == [("GET", "/runs/run-progress")] * 2
        assert screen.detail.status is RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION
        assert not screen.query_one(PromptPanel).has_class("-hidden")
        assert "Delete 12G of rotated logs under /var/log?" in screen_text(app)


async def test_offline_shows_cached_detail_with_its_age(app_factory, world) -> None:
    world.seed(success_detail(), fetched_at=NOW - timedelta(minutes=7))
    world.backend.down("detail")
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        assert screen.query_one(RunHeader).freshness == (
            "Cached detail from 7 min ago — not confirmed by the backend"
        )
        assert "✓ Delete rotated logs" in screen_text(app)


async def test_unknown_run_says_so_and_does_not_crash(app_factory, world) -> None:
    app = _app(app_factory, world)
    fetch = world.backend.hold("detail")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_run("run-missing")
        await pilot.pause()
        screen = app.screen
        assert "This run is not in the cache." in screen_text(app)  # while the fetch is out
        fetch.set()
        await settle(pilot)
        assert "Could not fetch the run: Not found: no run run-missing" in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen


# --- actions -----------------------------------------------------------------------------------


async def test_cancel_asks_naming_run_and_status_then_cancels(app_factory, world) -> None:
    world.seed(progress_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-progress")
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.message.plain.startswith(
            "Cancel “Disk space remediation” (Executing Remediation)?"
        )
        await pilot.press("n")
        await settle(pilot)
        assert world.backend.requests("cancel") == []
        cancelled = progress_detail().model_copy(
            update={"status": RunStatus.CANCELLED, "finished_at": NOW}
        )
        world.backend.script("cancel", reply(200, summary_of(cancelled), then=cancelled))
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert _sent(world, "cancel") == [("POST", "/runs/run-progress/cancel")]
        assert world.backend.requests("cancel")[0].idempotency_key  # safe to retry
        assert "Cancelled — the run is now Cancelled." in screen.notice_text
        assert "⊘ Cancelled" in screen_text(app)


async def test_cancel_of_a_finished_run_is_refused_without_asking(app_factory, world) -> None:
    world.seed(success_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is screen
        assert any("already finished (Completed Success)" in n.message for n in app._notifications)


async def test_backend_refusals_are_explained_not_raised(app_factory, world) -> None:
    world.seed(progress_detail())
    world.backend.script(
        "cancel", refusal(409, "conflict", "run already finished", status="completed_success")
    )
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-progress")
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert screen.notice_text.startswith("Not cancelled: run already finished")
        assert app.screen is screen


async def test_delete_only_finished_runs_after_an_irreversible_confirmation(
    app_factory, world
) -> None:
    world.seed(progress_detail(), success_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-progress")
        await pilot.press("d")
        await pilot.pause()
        assert app.screen is screen
        assert any("Only finished runs can be deleted" in n.message for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        screen = await open_run(app, pilot, "run-success")
        depth = len(app.screen_stack)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.message.plain.endswith("This cannot be undone.")
        await pilot.press("y")
        await settle(pilot)
        [delete] = world.backend.requests("delete")
        assert (delete.method, delete.path, delete.body) == (
            "POST",
            "/runs/delete",
            {"ids": ["run-success"]},
        )
        assert len(app.screen_stack) == depth - 1 and not isinstance(app.screen, RunDetailScreen)


async def test_delete_refused_by_the_backend_is_explained(app_factory, world) -> None:
    world.seed(success_detail())
    world.backend.script(
        "delete",
        reply(
            200,
            {
                "deleted": [],
                "refused": [
                    {"code": "conflict", "message": "run is still active", "run_id": "run-success"}
                ],
            },
        ),
    )
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen and screen.notice_text == "Not deleted: run is still active"


async def test_rerun_confirms_then_opens_the_new_run(app_factory, world) -> None:
    world.seed(failure_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-failure")
        depth = len(app.screen_stack)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.message.plain == (
            "Start a new run of “Disk space remediation” (Completed Failure) with the same inputs?"
        )
        world.backend.script("start", created(progress_detail(run_id="run-rerun")))
        await pilot.press("y")
        await settle(pilot)
        [start] = world.backend.requests("start")
        assert (start.method, start.path) == ("POST", "/flows/disk-space-remediation/runs")
        assert start.body == {
            "inputs": {"host": "db-prod-01"},
            "trigger": {"kind": "manual", "actor": ACTOR},
            "rerun_of": "run-failure",  # issue 13: the backend audits it as a rerun of that run
        }
        assert start.idempotency_key
        assert isinstance(app.screen, RunDetailScreen) and app.screen.run_id == "run-rerun"
        assert len(app.screen_stack) == depth  # replaced, so escape goes back to the list


async def test_export_writes_the_file_and_reports_the_path(
    app_factory, world, tmp_path: Path
) -> None:
    world.seed(success_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.notice_text.startswith("Exported ")
        written = Path(screen.notice_text.split(" to ", 1)[1])
        assert written.exists() and "run-success" in written.read_text(encoding="utf-8")
        assert written.parent == tmp_path  # the dialog proposes the working folder: the test's
        assert "Exporting…" in [n.message for n in app._notifications]


async def test_export_runs_on_a_thread_through_its_own_connection(
    app_factory, world, monkeypatch
) -> None:
    """Like the list's: the export must not hold the UI thread nor share its one-thread cache."""
    seen: list[tuple[threading.Thread, Any]] = []
    real_export = exports.export_run

    def recording_export(cache: Any, *args: Any, **kwargs: Any) -> Path:
        seen.append((threading.current_thread(), cache))
        return real_export(cache, *args, **kwargs)

    monkeypatch.setattr(exports, "export_run", recording_export)
    world.seed(success_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        [(thread, cache)] = seen
        assert thread is not threading.main_thread()
        assert cache is not world.cache and cache.path == world.cache.path
        assert screen.notice_text.startswith("Exported JSON to ")


async def test_export_of_a_run_without_cached_detail_is_explained(app_factory, world) -> None:
    world.seed(success_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        world.backend.down()  # so that no refetch brings the detail back before the export reads
        world.cache.apply_changes(
            ChangesPage(changes=[], deleted=["run-success"], next_cursor=10**9, has_more=False)
        )  # gone from the cache meanwhile
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.notice_text == "Export failed: the run's detail is not in the cache"


async def test_t_opens_the_timeline_and_escape_comes_back(app_factory, world) -> None:
    world.seed(success_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TimelineScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, RunDetailScreen)


async def test_step_list_marks_every_state_by_glyph_and_words(app_factory, world) -> None:
    detail = failure_detail()
    steps = list(detail.steps)
    steps[1] = steps[1].model_copy(update={"status": StepStatus.CANCELLED})
    world.seed(detail.model_copy(update={"steps": steps}))
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-failure")
        text = screen_text(app)
        for expected in (
            "✓ Check disk usage",
            "⊘ Find largest directories  cancelled",
            "✗ Rotate and compress logs  failed",
            "↷ Verify free space  skipped",
        ):
            assert expected in text
        assert isinstance(app.screen.query_one(VariablesView), VariablesView)


def test_export_file_name_cannot_climb_out_of_the_folder() -> None:
    from runs_tui.screens.detail import export_stem

    assert export_stem("run-0042") == "run-run-0042"
    assert export_stem("../../etc/passwd") == "run-etc_passwd"
    assert export_stem("\x1b]0;x\x07") == "run-0_x"
    assert export_stem("...") == "run-export"


async def test_y_copies_the_shown_step_output_and_says_when_there_is_none(
    app_factory, world
) -> None:
    world.seed(success_detail())
    app = _app(app_factory, world)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(app, pilot, "run-success")
        screen.query_one(StepList).focus()
        await pilot.press("home")
        await pilot.pause()
        output = screen.query_one(StepPanel).output
        await pilot.press("y")
        assert (
            app.clipboard == output.text
            and "/dev/sda1        50G   48G  2.0G  96% /" in app.clipboard
        )
        assert any(f"Copied {output.line_count} lines" in n.message for n in app._notifications)
        screen.query_one(StepPanel).show_step(None)
        await pilot.press("y")
        assert any("no output to copy" in n.message for n in app._notifications)
