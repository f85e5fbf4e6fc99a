"""Pilot tests for every binding of the runs screen, against a cache filled with fixed runs."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen

from runs_tui import exports
from runs_tui.app import RunsApp
from runs_tui.errors import StateConflict, Unauthorized
from runs_tui.models import RunStatus, RunSummary, SortColumn, StatusGroup
from runs_tui.models.filters import RunFilter, TimePreset
from runs_tui.screens.confirm import ConfirmScreen
from runs_tui.screens.export_dialog import ExportDialog
from runs_tui.screens.filter import FilterScreen
from runs_tui.screens.help import HelpScreen
from runs_tui.screens.runs import RunsScreen
from runs_tui.service import RunsService
from runs_tui.widgets.group_bar import GroupBar
from runs_tui.widgets.run_list import RunList

from .ui_data import NOW, fill, make_run

SIZE = (120, 40)


def run_list(app: RunsApp) -> RunList:
    return app.screen.query_one(RunList)


def notifications(app: RunsApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_default_view_is_active_and_last_24h_newest_first(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = run_list(app)
        assert lst.run_filter == RunFilter()
        # 30 runs of the last 24h + the 3-day-old active "Queue drain"; the 5-day-old success is out
        assert lst.total == 31
        rows = lst.pager.rows(0, lst.total)
        assert [r.created_at for r in rows[:-1]] == sorted(
            (r.created_at for r in rows[:-1]), reverse=True
        )
        assert rows[-1].name == "Queue drain"
        assert "run-0040" not in {r.id for r in rows}


async def test_cursor_keys_move_and_scroll(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=(80, 12)) as pilot:
        lst = run_list(app)
        await pilot.press("j", "down", "j")
        assert lst.cursor == 3
        await pilot.press("k", "up")
        assert lst.cursor == 1
        await pilot.press("G")
        assert lst.cursor == lst.total - 1
        assert lst.scroll_offset.y > 0  # the last row was scrolled into view
        await pilot.press("g")
        assert lst.cursor == 0 and lst.scroll_offset.y == 0
        await pilot.press("end")
        assert lst.cursor == lst.total - 1
        await pilot.press("home", "pagedown")
        assert lst.cursor == lst._rows_visible
        await pilot.press("pageup")
        assert lst.cursor == 0


async def test_y_copies_the_current_or_marked_run_ids(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("y")
        assert app.clipboard == "run-0001"
        await pilot.press("space", "space", "y")
        assert app.clipboard == "run-0001\nrun-0002"
        assert "Copied 2 run ids to the clipboard." in [n.message for n in app._notifications]


async def test_marks_and_mark_all(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = run_list(app)
        await pilot.press("space", "space")
        assert lst.marks == {"run-0001", "run-0002"} and lst.cursor == 2
        await pilot.press("k", "space")  # unmark the second
        assert lst.marks == {"run-0001"}
        await pilot.press("x")  # marks already: clears them
        assert lst.marks == set()
        await pilot.press("x")
        assert len(lst.marks) == lst.total
        assert "31 marked" in str(app.screen.query_one("#filter-summary").render())
        await pilot.press("escape")
        assert lst.marks == set()


@pytest.mark.parametrize(
    ("key", "group", "expected"),
    [
        ("1", StatusGroup.ALL, 31),
        ("2", StatusGroup.ACTIVE, 7),
        ("3", StatusGroup.WAITING, 2),
        ("4", StatusGroup.COMPLETED, 24),
        ("5", StatusGroup.FAILED, 7),
        ("6", StatusGroup.CANCELLED, 3),
    ],
)
async def test_number_keys_switch_groups(
    key: str,
    group: StatusGroup,
    expected: int,
    service: RunsService,
    app_factory: Callable[..., RunsApp],
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause(0.1)
        lst = run_list(app)
        assert lst.run_filter.group is group
        assert lst.total == expected
        bar = app.screen.query_one(GroupBar)
        assert bar.current is group and bar.counts[group] == expected
        assert all(run.status in group.statuses for run in lst.pager.rows(0, lst.total))


async def test_search_as_you_type_and_clear(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"kafka")
        await pilot.pause(0.2)
        lst = run_list(app)
        assert lst.run_filter.name == "kafka"
        assert lst.total == 4 and all("Kafka" in r.name for r in lst.pager.rows(0, 10))
        await pilot.press("enter")
        assert app.focused is lst
        await pilot.press("escape")
        assert lst.run_filter.name == "" and lst.total == 31


async def test_sort_cycles_columns_and_reverses(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = run_list(app)
        await pilot.press("s")
        assert lst.run_filter.sort is SortColumn.NAME and not lst.run_filter.descending
        names = [r.name.casefold() for r in lst.pager.rows(0, lst.total)]
        assert names == sorted(names)
        await pilot.press("o")
        assert lst.run_filter.descending
        assert [r.name.casefold() for r in lst.pager.rows(0, lst.total)] == sorted(
            names, reverse=True
        )
        for expected in (
            SortColumn.STATUS,
            SortColumn.KIND,
            SortColumn.DURATION,
            SortColumn.TRIGGER,
            SortColumn.STARTED,
        ):
            await pilot.press("s")
            assert lst.run_filter.sort is expected
        assert "Started ▼" in lst.render_line(0).text


class SpyDetail(Screen[None]):
    """Stands in for the detail screen (another engineer's) to see how the list opens it."""

    BINDINGS = [("escape", "app.pop_screen", "Back")]

    def __init__(self, run_id: str, focus_prompt: bool = False) -> None:
        super().__init__()
        self.run_id = run_id
        self.focus_prompt = focus_prompt


@pytest.fixture
def spy_detail(monkeypatch: pytest.MonkeyPatch) -> None:
    import runs_tui.screens.detail as detail

    monkeypatch.setattr(detail, "RunDetailScreen", SpyDetail)


async def test_enter_opens_the_run(
    service: RunsService, app_factory: Callable[..., RunsApp], spy_detail: None
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SpyDetail)
        assert app.screen.run_id == "run-0002" and app.screen.focus_prompt is False
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


async def test_answer_opens_waiting_run_with_prompt_focus(
    service: RunsService, app_factory: Callable[..., RunsApp], spy_detail: None
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")  # the first run executes: refused with a reason
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert any("not waiting for input" in m for m in notifications(app))
        await pilot.press("j", "a")
        await pilot.pause()
        assert getattr(app.screen, "run_id", None) == "run-0002"
        assert getattr(app.screen, "focus_prompt", None) is True


async def test_filter_key_opens_filter_and_applies(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FilterScreen)
        app.screen.query_one("#time-7d").value = True
        app.screen.query_one("#kind-guides").value = True
        await pilot.click("#filter-apply")
        await pilot.pause()
        lst = run_list(app)
        assert lst.run_filter.time.preset is TimePreset.LAST_7D
        assert lst.total == 8 and all(r.kind.value == "guide" for r in lst.pager.rows(0, 10))
        summary = str(app.screen.query_one("#filter-summary").render())
        assert "guides" in summary and "last 7 days" in summary


async def test_delete_refuses_active_runs(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert any("Only finished runs can be deleted" in m for m in notifications(app))


async def test_delete_confirmation_states_count_and_irreversibility(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = run_list(app)
        await pilot.press("5", "x")  # every failed run marked
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        message = app.screen.message.plain
        assert "Delete 7 runs?" in message and "cannot be undone" in message
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen) and len(lst.marks) == 7
        await pilot.press("d", "y")  # confirmed: no backend here → a clear toast, no crash
        await pilot.pause(0.2)
        assert any("unreachable" in m.lower() for m in notifications(app))
        assert isinstance(app.screen, RunsScreen)


async def test_cancel_asks_then_reports_refusal(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Database health check" in app.screen.message.plain
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("c", "y")
        await pilot.pause(0.2)
        assert any("unreachable" in m.lower() for m in notifications(app))
        await pilot.press("5", "c")  # a finished run: nothing to cancel
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert any("already finished" in m for m in notifications(app))


async def test_sync_key_reports_unreachable(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause(0.2)
        assert any("unreachable" in m.lower() for m in notifications(app))


async def test_export_dialog_writes_the_filtered_list(
    service: RunsService, app_factory: Callable[..., RunsApp], tmp_path: Path
) -> None:
    app = app_factory(service, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5", "e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#fmt-csv").value = True
        await pilot.pause()
        path_input = app.screen.query_one("#export-path")
        assert path_input.value.endswith(".csv")
        await pilot.press("enter")
        assert "Exporting…" in notifications(app)
        await app.workers.wait_for_complete()  # the export runs in a thread worker
        await pilot.pause()
        written = sorted(tmp_path.glob("runs-*.csv"))
        assert len(written) == 1
        assert written[0].read_text().count("\n") >= 8  # header + 7 failed runs
        assert any(str(written[0]) in m and "7 runs" in m for m in notifications(app))


async def test_export_dialog_explains_a_path_it_cannot_use(
    service: RunsService, app_factory: Callable[..., RunsApp], tmp_path: Path
) -> None:
    app = app_factory(service, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#export-path").value = str(tmp_path / ("x" * 300))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)  # still open, nothing crashed
        error = str(app.screen.query_one("#export-error").render())
        assert "Cannot use that path" in error
        app.screen.query_one("#export-path").value = str(tmp_path / "[bold]missing" / "x.json")
        await pilot.press("enter")
        await pilot.pause()
        assert "No such folder" in str(app.screen.query_one("#export-error").render())
        assert "[bold]missing" in str(app.screen.query_one("#export-error").render())


async def test_list_export_runs_on_a_thread_through_its_own_connection(
    service: RunsService,
    app_factory: Callable[..., RunsApp],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A million-run export must not hold the UI thread, nor share its one-thread cache."""
    seen: list[tuple[threading.Thread, Any]] = []
    real_export = exports.export_list

    def recording_export(cache: Any, *args: Any, **kwargs: Any) -> Path:
        seen.append((threading.current_thread(), cache))
        return real_export(cache, *args, **kwargs)

    monkeypatch.setattr(exports, "export_list", recording_export)
    app = app_factory(service, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        [(thread, cache)] = seen
        assert thread is not threading.main_thread()
        assert cache is not service.cache and cache.path == service.cache.path
        with pytest.raises(sqlite3.ProgrammingError):  # closed once the export was written
            cache.waiting_count()
        assert any(m.startswith("Exported 31 runs (JSON) to ") for m in notifications(app))
        assert len(list(tmp_path.glob("runs-*.json"))) == 1


async def test_a_failed_list_export_is_reported(
    service: RunsService, app_factory: Callable[..., RunsApp], tmp_path: Path
) -> None:
    app = app_factory(service, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        # a folder given as the path gets the default name inside (by the dialog, then by the
        # export); there a non-empty folder takes the name: no file can go there, even as root
        folder = tmp_path / "exports" / f"{app.screen.default_stem}.json"
        taken = folder / "runs.json"
        (taken / "occupied").mkdir(parents=True)
        folder = folder.parent
        app.screen.query_one("#export-path").value = str(folder)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        assert "Exporting…" in notifications(app)
        assert any(m.startswith("Export failed: ") and str(taken) in m for m in notifications(app))
        assert not any(m.startswith("Exported") for m in notifications(app))
        assert [path.name for path in taken.parent.iterdir()] == [taken.name]  # no temp file left


async def test_help_lists_every_binding_of_the_screen(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        described = {entry.description for entry in app.screen.entries}
        for binding_list in (RunsScreen.BINDINGS, RunList.BINDINGS, RunsApp.BINDINGS):
            for binding in binding_list:
                assert binding.description in described, binding.description
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


async def test_quit_key(service: RunsService, app_factory: Callable[..., RunsApp]) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


async def test_status_of_waiting_runs_stays_in_the_header(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")  # even on the cancelled group
        header = str(app.screen.query_one("#header").render())
        assert "2 waiting for input" in header
        assert "local cache only" in header


async def test_no_color_keeps_status_readable(
    service: RunsService, app_factory: Callable[..., RunsApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under NO_COLOR the app strips colour (a line filter); glyph and words must still say it."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory(service)
    assert app.no_color and app._filters
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = run_list(app)
        background = app.screen.styles.background
        lines = []
        for y in range(1, 12):
            strip = lst.render_line(y)
            for line_filter in app._filters:
                strip = strip.apply_filter(line_filter, background)
            lines.append(strip.text)
            for seg in strip:
                if seg.style and seg.style.color:
                    red, green, blue = seg.style.color.get_truecolor()
                    assert red == green == blue, seg  # grey levels only: colour says nothing
        assert "▶ Executing Triage" in lines[0]
        assert "◆ Waiting for User Input (Remediation)" in lines[1]  # the seed's label, in full
        assert any("✗ Completed Failure" in line for line in lines)
        assert any("✓ Completed Success" in line for line in lines)


async def test_run_not_in_status_enum_order_is_stable_after_reload(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    """New runs arriving at the top keep the cursor on the run it was on."""
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = run_list(app)
        await pilot.press("j", "j", "j")
        before = lst.current_run
        fill(
            service.cache,
            [
                make_run(
                    90, "Fresh run", RunStatus.PENDING, age=timedelta(seconds=1), ran=None, now=NOW
                )
            ],
        )
        app.screen.reload()
        assert lst.current_run is not None and before is not None
        assert lst.current_run.id == before.id and lst.cursor == 4


class RefusingService(RunsService):
    """The backend's answers for runs that finished meanwhile (409), without a network."""

    async def cancel(self, run_id: str, idempotency_key: str | None = None) -> RunSummary:
        raise StateConflict("run already finished", current={"status": "completed_success"})

    async def delete(self, ids):  # type: ignore[no-untyped-def]
        raise Unauthorized("401")


async def test_conflict_and_unauthorized_become_toasts(
    filled_cache, app_factory: Callable[..., RunsApp]
) -> None:  # type: ignore[no-untyped-def]
    service = RefusingService(filled_cache, client=None, now=lambda: NOW)
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "y")
        await pilot.pause(0.2)
        assert any(
            "run already finished — the run is now Completed Success" in m
            for m in notifications(app)
        )
        await pilot.press("5", "d", "y")
        await pilot.pause(0.2)
        assert any("refused the token" in m for m in notifications(app))
        assert isinstance(app.screen, RunsScreen) and run_list(app).total == 7


async def test_the_footer_keeps_help_and_shows_only_whole_keys_at_80x24(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    from textual.widgets._footer import FooterKey

    from runs_tui.widgets.key_footer import KeyFooter

    app = app_factory(service)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        pinned = footer.query_one("#pinned-keys")
        shown = [key for key in footer.query(FooterKey) if key.display]
        assert "help" in {key.action for key in shown}
        for key in shown:
            if key.parent is footer:
                assert key.region.right <= pinned.region.x, key.key
        assert len(shown) < len(list(footer.query(FooterKey)))  # some were left out whole
