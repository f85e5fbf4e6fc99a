"""App shell: service events → messages, the waiting toast and bell, palette commands, and the
config's keymap (the preferences the dashboard remembers: test_ui_state.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from textual.command import CommandPalette

from runs_tui.app import RunsApp
from runs_tui.config import Notifications, load_config
from runs_tui.models import StatusGroup
from runs_tui.screens.help import collect_bindings
from runs_tui.screens.runs import RunsScreen
from runs_tui.service import (
    CacheChanged,
    RunsService,
    SyncMode,
    SyncStateChanged,
    SyncStatus,
    WaitingStarted,
)
from runs_tui.widgets.run_list import RunList

from .ui_data import NOW, fill, sample_runs

SIZE = (120, 40)


def messages(app: RunsApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_waiting_started_toasts_and_rings_when_asked(
    service: RunsService, tmp_path: Path, app_factory: Callable[..., RunsApp]
) -> None:
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
        await until(pilot, lambda: any("waiting for input" in m for m in messages(app)))
        toast = [m for m in messages(app) if "waiting for input" in m]
        assert toast and "[bold]x[/]" in toast[0] and "\x1b" not in toast[0]
        assert "is waiting for input in remediation" in toast[0]  # where it waits, in words
        assert "(Remediation))" not in toast[0]  # not "(Waiting for User Input (Remediation))"
        assert rings == [1]


async def test_no_bell_unless_configured(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        app._on_service_event(WaitingStarted(service.cache.get_run("run-0003")))  # type: ignore[arg-type]
        await until(pilot, lambda: any("Certificate rotation" in m for m in messages(app)))
        assert rings == [] and any("Certificate rotation" in m for m in messages(app))


async def test_offline_state_in_words(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        status = SyncStatus(
            SyncMode.OFFLINE,
            offline_since=NOW.replace(hour=14, minute=2),
            last_synced=NOW.replace(hour=14, minute=27),
        )
        app._on_service_event(SyncStateChanged(status))
        await pilot.pause()
        header = app.screen.query_one("#header")
        assert "offline since 14:02 — data from 14:27" in str(header.render())
        assert header.has_class("-offline")


async def test_cache_changed_reloads_the_list(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        lst = app.screen.query_one(RunList)
        assert lst.total == 31
        extra = sample_runs()[0].model_copy(update={"id": "run-new", "seq": 999})
        fill(service.cache, [extra])
        app._on_service_event(CacheChanged(frozenset({"run-new"})))
        await pilot.pause()
        assert lst.total == 32


async def test_palette_filter_command(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
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


async def test_palette_go_to_run(
    service: RunsService, app_factory: Callable[..., RunsApp], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
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


async def test_help_names_the_apps_own_actions_not_widget_internals(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    from runs_tui.screens.help import HelpScreen

    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_run("run-0001")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.help_title == "Run detail"
        entries = app.screen.entries
        descriptions = {entry.description for entry in entries}
        assert {"Next step", "Previous step", "Back", "Rerun"} <= descriptions
        assert not descriptions & {
            "Scroll Left",
            "Scroll Right",
            "Page Left",
            "Page Right",
            "Select",
        }
        assert not {entry.where for entry in entries} & {"StepList", "OptionList"}


async def test_the_palette_lists_each_command_once(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    from textual.command import CommandPalette

    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await pilot.pause(0.3)
        names = [
            str(option.prompt).split("\n")[0] for option in palette.query_one("CommandList").options
        ]
        assert names, "the palette listed nothing"
        quits = [name for name in names if name.strip().lower() == "quit"]
        themes = [name for name in names if name.strip().lower().startswith("theme")]
        assert len(quits) == 1 and len(themes) == 1, names


async def until(pilot, condition: Callable[[], bool], timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def needs_you(app: RunsApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Needs you"]


async def test_waiting_notices_collapse_into_one_and_spare_the_run_on_screen_and_dialogs(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first, second = service.cache.get_run("run-0002"), service.cache.get_run("run-0003")
        assert first is not None and second is not None
        app._on_service_event(WaitingStarted(first))
        await until(pilot, lambda: len(needs_you(app)) == 1)
        app._on_service_event(WaitingStarted(second))
        await until(pilot, lambda: second.name in " ".join(needs_you(app)))
        assert len(needs_you(app)) == 1 and "w opens the oldest" in needs_you(app)[0]
        app.clear_notifications()
        app.open_run(second.id)
        await pilot.pause()
        app._on_service_event(WaitingStarted(second))  # the run being viewed
        assert app._waiting_timer is None  # no notice is even scheduled
        await pilot.pause()
        assert needs_you(app) == []
        await pilot.press("escape", "f")  # back to the list, then the filter dialog
        await pilot.pause()
        app._on_service_event(WaitingStarted(first))
        assert app._waiting_timer is None
        await pilot.pause()
        assert needs_you(app) == []


async def test_w_opens_the_oldest_waiting_run(
    service: RunsService, app_factory: Callable[..., RunsApp]
) -> None:
    from runs_tui.models import RunFilter, SortColumn, TimePreset, TimeRange
    from runs_tui.screens.detail import RunDetailScreen

    waiting = RunFilter(
        statuses=StatusGroup.WAITING.statuses,
        time=TimeRange(TimePreset.ALL),
        sort=SortColumn.STARTED,
        descending=False,
    )
    oldest = service.cache.window(waiting, service.now(), limit=1)[0]
    app = app_factory(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, RunDetailScreen) and app.screen.run_id == oldest.id
