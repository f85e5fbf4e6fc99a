"""App shell: service events → messages, the waiting toast and bell, palette commands, and the
preferences kept in the config (theme, last filter per profile)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from textual.command import CommandPalette

from runs_tui.app import RunsApp
from runs_tui.config import Notifications, load_config, resolve_profile
from runs_tui.models import StatusGroup
from runs_tui.screens.help import collect_bindings
from runs_tui.screens.runs import RunsScreen
from runs_tui.service import CacheChanged, RunsService, SyncMode, SyncStateChanged, SyncStatus, WaitingStarted
from runs_tui.widgets.run_list import RunList

from .ui_data import NOW, fill, sample_runs

SIZE = (120, 40)


def messages(app: RunsApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_waiting_started_toasts_and_rings_when_asked(service: RunsService, tmp_path: Path,
                                                           app_factory: Callable[..., RunsApp]) -> None:
    config = load_config(tmp_path / "config.toml")
    profile = replace(config.embedded, notifications=Notifications(toast=True, bell=True))
    app = app_factory(service, config=config, profile=profile)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        run = service.cache.get_run("run-0002")
        assert run is not None
        hostile = run.model_copy(update={"name": "[bold]x[/] \x1b]0;PWNED\x07"})
        app._on_service_event(WaitingStarted(hostile))
        await pilot.pause()
        toast = [m for m in messages(app) if "waiting for input" in m]
        assert toast and "[bold]x[/]" in toast[0] and "\x1b" not in toast[0]
        assert rings == [1]


async def test_no_bell_unless_configured(service: RunsService, app_factory: Callable[..., RunsApp]) -> None:
    app = app_factory(service)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        app._on_service_event(WaitingStarted(service.cache.get_run("run-0003")))  # type: ignore[arg-type]
        await pilot.pause()
        assert rings == [] and any("Certificate rotation" in m for m in messages(app))


async def test_offline_state_in_words(service: RunsService, app_factory: Callable[..., RunsApp]) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        status = SyncStatus(SyncMode.OFFLINE, offline_since=NOW.replace(hour=14, minute=2),
                            last_synced=NOW.replace(hour=14, minute=27))
        app._on_service_event(SyncStateChanged(status))
        await pilot.pause()
        header = app.screen.query_one("#header")
        assert "offline since 14:02 — data from 14:27" in str(header.render())
        assert header.has_class("-offline")


async def test_cache_changed_reloads_the_list(service: RunsService, app_factory: Callable[..., RunsApp]) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = app.screen.query_one(RunList)
        assert lst.total == 31
        extra = sample_runs()[0].model_copy(update={"id": "run-new", "seq": 999})
        fill(service.cache, [extra])
        app._on_service_event(CacheChanged(frozenset({"run-new"})))
        await pilot.pause()
        assert lst.total == 32


async def test_palette_filter_command(service: RunsService, app_factory: Callable[..., RunsApp]) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"filter: failed")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, RunsScreen)
        assert app.screen.query_one(RunList).run_filter.group is StatusGroup.FAILED


async def test_palette_go_to_run(service: RunsService, app_factory: Callable[..., RunsApp], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(service)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_run", lambda run_id, **_: opened.append(run_id))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")  # the palette has a plain key too
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"go to run", "enter")
        await pilot.pause(0.5)
        await pilot.press(*"queue dr")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert opened == ["run-0007"]


async def test_theme_choice_is_saved_in_config(service: RunsService, tmp_path: Path,
                                               app_factory: Callable[..., RunsApp]) -> None:
    path = tmp_path / "config.toml"
    config = load_config(path)
    app = app_factory(service, config=config, profile=config.embedded)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"
        await pilot.pause()
    assert tomllib.loads(path.read_text())["theme"] == "nord"
    again = app_factory(service, config=load_config(path))
    async with again.run_test(size=SIZE) as pilot:
        assert again.theme == "nord"


async def test_last_filter_is_remembered_per_profile(service: RunsService, tmp_path: Path,
                                                     app_factory: Callable[..., RunsApp]) -> None:
    path = tmp_path / "config.toml"
    config = load_config(path)
    app = app_factory(service, config=config, profile=resolve_profile(config, None, {}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5", "s")
        await pilot.pause()
    stored = tomllib.loads(path.read_text())["embedded"]["last_filter"]
    assert stored["sort"] == "name"
    config = load_config(path)
    app = app_factory(service, config=config, profile=resolve_profile(config, None, {}))
    async with app.run_test(size=SIZE) as pilot:
        flt = app.screen.query_one(RunList).run_filter
        assert flt.group is StatusGroup.FAILED and flt.sort.value == "name"


async def test_the_config_keymap_rebinds_keys_and_reports_unknown_ids(
    service: RunsService, tmp_path: Path, app_factory: Callable[..., RunsApp]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"runs.filter" = "f5"\n"list.down" = "n"\n"runs.filtr" = "x"\n')
    path.chmod(0o600)
    app = app_factory(service, config=load_config(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("runs.filtr" in m and "config keys" in m for m in messages(app))
        assert app.screen.active_bindings["f5"].binding.id == "runs.filter"
        assert "f" not in app.screen.active_bindings  # the old key is free again
        run_list = app.screen.query_one(RunList)
        before = run_list.cursor
        await pilot.press("n")
        assert run_list.cursor == before + 1
        await pilot.press("f5")
        await pilot.pause()
        assert type(app.screen).__name__ == "FilterScreen"
        await pilot.press("escape")
        await pilot.pause()
        shown = {entry.description: entry.keys.lower() for entry in collect_bindings(app.screen)}
        assert shown["Filter"] == "f5" and shown["Down"] == "n"  # help and footer read these
