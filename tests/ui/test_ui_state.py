"""What the dashboard remembers between runs (theme, last filter per profile, last export folder)
goes to its state file; the user's config.toml is read, never written."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from runs_tui import config as cfg
from runs_tui import user_dirs
from runs_tui.app import RunsApp
from runs_tui.cli import main
from runs_tui.config import Profile, load_config, resolve_profile
from runs_tui.models import StatusGroup
from runs_tui.screens.export_dialog import ExportDialog
from runs_tui.service import RunsService
from runs_tui.ui_state import StateFile
from runs_tui.widgets.run_list import RunList

SIZE = (120, 40)

COMMENTED = """\
# my runs-tui settings, kept in git
theme = "nord"   # the old place of the theme

[embedded]  # the demo backend
refresh_interval = 2.0

last_filter = { statuses = ["failed"], sort = "name" }   # written by an older dashboard
"""


async def until(pilot, condition: Callable[[], bool], what: str, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def state_of(state: StateFile) -> dict[str, object]:
    return tomllib.loads(state.path.read_text())


async def test_the_theme_goes_to_the_state_file_and_comes_back_after_a_restart(
    service: RunsService, tmp_path: Path, app_factory: Callable[..., RunsApp]
) -> None:
    path = tmp_path / "config.toml"
    state = StateFile(tmp_path / "state" / "state.toml")
    config = load_config(path)
    app = app_factory(service, config=config, profile=config.embedded, state=state)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "dracula"
        await until(pilot, state.path.exists, "the state file")
    assert state_of(state)["theme"] == "dracula"
    assert not path.exists()  # the dashboard never creates nor writes config.toml
    again = app_factory(service, config=load_config(path), state=state)
    async with again.run_test(size=SIZE):
        assert again.theme == "dracula"


async def test_the_last_filter_and_sort_are_remembered_per_profile(
    service: RunsService, tmp_path: Path, app_factory: Callable[..., RunsApp]
) -> None:
    path = tmp_path / "config.toml"
    state = StateFile(tmp_path / "state.toml")
    config = load_config(path)
    app = app_factory(
        service, config=config, profile=resolve_profile(config, None, {}), state=state
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5", "s")
        await until(pilot, state.path.exists, "the state file")
        await pilot.pause()
    stored = state_of(state)["last_filter"]
    assert isinstance(stored, dict) and stored["embedded"]["sort"] == "name"
    assert not path.exists()
    config = load_config(path)
    app = app_factory(
        service, config=config, profile=resolve_profile(config, None, {}), state=state
    )
    async with app.run_test(size=SIZE):
        flt = app.screen.query_one(RunList).run_filter
        assert flt.group is StatusGroup.FAILED and flt.sort.value == "name"


async def test_the_ui_keys_an_older_dashboard_wrote_into_config_toml_are_read_as_defaults(
    service: RunsService, tmp_path: Path, app_factory: Callable[..., RunsApp]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    path.chmod(0o600)
    state = StateFile(tmp_path / "state.toml")
    config = load_config(path)
    app = app_factory(service, config=config, profile=config.embedded, state=state)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "nord"  # config.toml's theme, the state file has none yet
        flt = app.screen.query_one(RunList).run_filter
        assert flt.group is StatusGroup.FAILED and flt.sort.value == "name"
        app.theme = "dracula"
        await pilot.press("o")  # reverse the sort: the filter is remembered too
        await until(pilot, lambda: "last_filter" in state_of(state), "the remembered filter")
    assert path.read_text() == COMMENTED  # byte for byte
    again = app_factory(service, config=load_config(path), profile=config.embedded, state=state)
    async with again.run_test(size=SIZE):
        assert again.theme == "dracula"  # the state file's choice beats the old key
        flt = again.screen.query_one(RunList).run_filter
        assert flt.sort.value == "name" and not flt.descending


async def test_an_ad_hoc_profile_remembers_nothing_as_before(
    service: RunsService, tmp_path: Path, app_factory: Callable[..., RunsApp]
) -> None:
    state = StateFile(tmp_path / "state.toml")
    ad_hoc = Profile("env", url="https://runs.example.com")
    app = app_factory(
        service, config=load_config(tmp_path / "config.toml"), profile=ad_hoc, state=state
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await pilot.pause()
    assert "last_filter" not in (state_of(state) if state.path.exists() else {})


async def export_to(pilot, app: RunsApp, target: Path) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, ExportDialog), "the export dialog")
    app.screen.query_one("#export-path", Input).value = str(target)
    await pilot.press("enter")
    await until(pilot, target.exists, "the export file")


async def proposed_folder(pilot, app: RunsApp) -> Path:  # type: ignore[no-untyped-def]
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, ExportDialog), "the export dialog")
    return Path(app.screen.query_one("#export-path", Input).value).parent


async def test_the_last_export_folder_is_proposed_again_after_a_restart(
    service: RunsService, tmp_path: Path, app_factory: Callable[..., RunsApp]
) -> None:
    chosen = tmp_path / "incident-42"
    chosen.mkdir()
    state = StateFile(tmp_path / "state.toml")
    app = app_factory(service, export_dir=None, state=state)
    async with app.run_test(size=SIZE) as pilot:
        assert await proposed_folder(pilot, app) != chosen
        await pilot.press("escape")
        await export_to(pilot, app, chosen / "runs.json")
    assert state_of(state)["export_folder"] == str(chosen)
    again = app_factory(service, export_dir=None, state=state)
    async with again.run_test(size=SIZE) as pilot:
        assert await proposed_folder(pilot, again) == chosen
    chosen.joinpath("runs.json").unlink()
    chosen.rmdir()  # a folder that is gone is not proposed: the platform default is
    gone = app_factory(service, export_dir=None, state=state)
    async with gone.run_test(size=SIZE) as pilot:
        assert await proposed_folder(pilot, gone) != chosen


async def test_a_commented_config_survives_the_dashboard_and_config_set_byte_for_byte(
    service: RunsService,
    tmp_path: Path,
    app_factory: Callable[..., RunsApp],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 11: change the sort and the theme in the dashboard, `config set` a key; every
    comment is still there, and the state file has what the dashboard remembered."""
    monkeypatch.setenv(user_dirs.CONFIG_DIR_ENV, str(tmp_path / "conf"))
    monkeypatch.setenv(user_dirs.STATE_DIR_ENV, str(tmp_path / "state"))
    path = cfg.config_path()
    path.parent.mkdir(mode=0o700)
    path.write_text(COMMENTED)
    path.chmod(0o600)
    config = load_config(path)
    state = StateFile.default()
    app = app_factory(service, config=config, profile=config.embedded, state=state)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")  # the next sort column
        await until(pilot, state.path.exists, "the state file")
        await pilot.press("t")  # the theme picker
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the theme picker")
        await pilot.press(*"dracula")
        await until(pilot, lambda: app.screen.query(CommandList).first().option_count > 0, "hits")
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "dracula", "the theme to change")
    assert path.read_text() == COMMENTED
    assert main(["config", "set", "embedded.refresh_interval", "3"]) == 0, capsys.readouterr()
    assert path.read_text() == COMMENTED.replace("refresh_interval = 2.0", "refresh_interval = 3.0")
    comments = [line for line in COMMENTED.splitlines() if "#" in line]
    assert all(line in path.read_text().splitlines() for line in comments)
    remembered = state_of(state)
    assert remembered["theme"] == "dracula"
    assert remembered["last_filter"]["embedded"]["sort"] != "name"  # type: ignore[index]
