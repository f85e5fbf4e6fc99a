"""Detail states that must not mislead: outcome lines that expire, and where exports go."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import platformdirs
import pytest
from textual.widgets import Input

from runs_tui.app import RunsApp
from runs_tui.export_folder import default_export_dir
from runs_tui.screens.detail import RunDetailScreen
from runs_tui.screens.export_dialog import ExportDialog
from runs_tui.service import RunsService

from .conftest import settle


async def test_an_outcome_line_clears_by_itself_but_an_error_stays(
    service: RunsService, app_factory: Callable[..., RunsApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RunDetailScreen, "NOTICE_SECONDS", 0.2)
    app = app_factory(service)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_run("run-0001")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunDetailScreen)
        screen.notice("Answer sent.")
        assert screen.notice_text == "Answer sent."
        await settle(pilot, lambda: screen.notice_text == "", "the outcome line to clear")
        screen.notice("Cancelled — the run is now Cancelled.")
        screen.notice("Not cancelled: refused", error=True)  # the next change replaces it at once
        assert screen.notice_text == "Not cancelled: refused"
        assert screen._notice_timer is None  # the outcome's clearing was called off
        await settle(pilot)
        assert screen.notice_text == "Not cancelled: refused"


def test_exports_default_to_downloads_then_documents_never_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads, documents = tmp_path / "Downloads", tmp_path / "Documents"
    monkeypatch.setattr(platformdirs, "user_downloads_path", lambda: downloads)
    monkeypatch.setattr(platformdirs, "user_documents_path", lambda: documents)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_export_dir() == tmp_path / "home"
    documents.mkdir()
    assert default_export_dir() == documents
    downloads.mkdir()
    assert default_export_dir() == downloads


async def test_the_detail_export_proposes_the_last_folder_used(
    service: RunsService, app_factory: Callable[..., RunsApp], tmp_path: Path
) -> None:
    chosen = tmp_path / "incident-42"
    chosen.mkdir()
    app = app_factory(service, export_dir=tmp_path / "nowhere")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#export-path", Input).value = str(chosen / "list.json")
        await pilot.press("enter")
        await pilot.pause()
        app.open_run("run-0001")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        assert app.screen.query_one("#export-path", Input).value.startswith(str(chosen) + "/")


async def test_variable_values_show_in_the_80_column_side_pane() -> None:
    from textual.app import App, ComposeResult

    from runs_tui.models.domain import Variable, VariableDirection
    from runs_tui.widgets.variables import VariablesView

    class Pane(App[None]):
        def compose(self) -> ComposeResult:
            yield VariablesView()

    app = Pane()
    async with app.run_test(size=(32, 6)) as pilot:  # the detail's left pane at 80 columns
        view = app.query_one(VariablesView)
        view.variables = (
            Variable(
                name="notification_channel_override",
                value="#db-oncall",
                direction=VariableDirection.INPUT,
            ),
        )
        await pilot.pause()
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "#db-onc" in text and "in" in text
