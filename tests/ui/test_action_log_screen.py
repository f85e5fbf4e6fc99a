"""The session's action log: every action site records one entry with its outcome and command
line; `L` lists them newest first; Enter copies the command line. And the desktop notification
hook (OSC 9 / 777) the app writes when a run starts waiting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from runs_tui.action_log import Action, Outcome
from runs_tui.app import RunsApp
from runs_tui.cache import Cache
from runs_tui.config import Notifications, load_config
from runs_tui.models import RunStatus
from runs_tui.screens.action_log import ActionLogScreen
from runs_tui.screens.confirm import ConfirmScreen
from runs_tui.service import WaitingStarted
from ui.conftest import FedService, settle
from ui.detail_fixtures import (
    NOW,
    Scripted,
    open_run,
    progress_detail,
    screen_text,
    scripted,
    success_detail,
)
from ui.fake_backend import refusal, reply, summary_of


@pytest.fixture
def world(empty_cache: Cache) -> Iterator[Scripted]:
    built = scripted(empty_cache)
    yield built
    built.close()


async def _confirm(pilot, key: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(key)
    await settle(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the question")
    await pilot.press("y")
    await settle(pilot)


async def test_cancel_refused_and_delete_are_logged_with_their_command_lines(
    app_factory, world
) -> None:
    world.seed(progress_detail(), success_detail())
    world.backend.script("cancel", refusal(409, "conflict", "run already finished"))
    app = app_factory(world.service, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_run(app, pilot, "run-progress")
        await _confirm(pilot, "c")
        cancelled = progress_detail().model_copy(
            update={"status": RunStatus.CANCELLED, "finished_at": NOW}
        )
        world.backend.script("cancel", reply(200, summary_of(cancelled), then=cancelled))
        await _confirm(pilot, "c")
        await pilot.press("escape")
        await open_run(app, pilot, "run-success")
        await _confirm(pilot, "d")
        entries = app.action_log.entries()
        assert [(e.action, e.outcome) for e in entries] == [
            (Action.DELETE, Outcome.OK),
            (Action.CANCEL, Outcome.OK),
            (Action.CANCEL, Outcome.REFUSED),
        ]
        assert entries[2].reason.startswith("run already finished")
        assert entries[2].run_name == "Disk space remediation"
        assert entries[1].command == "runs-tui runs cancel run-progress --yes"
        assert entries[0].command == "runs-tui runs delete run-success --yes"


async def test_l_lists_the_entries_newest_first_and_enter_copies_the_command(
    app_factory, world
) -> None:
    world.seed(progress_detail())
    app = app_factory(world.service, live=False)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("L")
        await settle(pilot, lambda: isinstance(app.screen, ActionLogScreen), "the log")
        assert "nothing done yet this session" in screen_text(app)
        app.record_action(Action.RERUN, ["runs-tui", "runs", "rerun", "r-1"], run_id="r-1")
        app.record_action(
            Action.CANCEL, ["runs-tui", "runs", "cancel", "r-2", "--yes"], "no; [bold]x[/]"
        )
        await settle(pilot, lambda: "2 actions" in screen_text(app), "the entries listed")
        text = screen_text(app)
        assert text.index("runs cancel r-2") < text.index("runs rerun r-1")
        assert "refused: no; [bold]x[/]" in text  # backend words, literally
        await pilot.press("enter")
        await settle(pilot)
        assert copied == ["runs-tui runs cancel r-2 --yes"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert copied[-1] == "runs-tui runs rerun r-1"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ActionLogScreen)


@pytest.mark.parametrize(
    ("desktop", "tmux", "expected"),
    [
        ("off", None, []),
        ("osc9", None, ["\x1b]9;Needs you: “x ␛]0;PWNED␇” is waiting for input\x07"]),
        (
            "osc777",
            "/tmp/tmux-1/default,1,0",
            [
                "\x1bPtmux;\x1b\x1b]777;notify;Needs you;"
                "“x ␛]0;PWNED␇” is waiting for input\x07\x1b\\"
            ],
        ),
    ],
)
async def test_a_run_starting_to_wait_writes_the_configured_desktop_notification(
    service: FedService,
    tmp_path: Path,
    app_factory: Callable[..., RunsApp],
    desktop: str,
    tmux: str | None,
    expected: list[str],
) -> None:
    config = load_config(tmp_path / "config.toml")
    profile = replace(config.embedded, notifications=Notifications(desktop=desktop))
    app = app_factory(service, config=config, profile=profile)
    app.environ = {"TMUX": tmux} if tmux else {}
    written: list[str] = []
    app.write_to_terminal = written.append  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        run = service.cache.get_run("run-0002")
        assert run is not None
        await service.feed(WaitingStarted(run.model_copy(update={"name": "x \x1b]0;PWNED\x07"})))
        await settle(pilot)
        assert written == expected


def test_desktop_notifications_are_off_unless_configured(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[profiles.prod]\nurl = "https://runs.example.com"\n'
        'notifications = { toast = true, desktop = "osc777" }\n'
    )
    config = load_config(path)
    assert config.embedded.notifications.desktop == "off"
    assert config.profiles["prod"].notifications.desktop == "osc777"
    path.write_text(
        '[profiles.prod]\nurl = "https://x.example.com"\nnotifications = { desktop = "yes" }\n'
    )
    from runs_tui.config import ConfigError

    with pytest.raises(ConfigError, match="desktop"):
        load_config(path)
