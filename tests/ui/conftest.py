"""Generic fixtures for the dashboard tests: a filled cache, a frozen service, snapshot storage,
and `settle()`, the one way a test waits for the app.

- Snapshots live where pytest-textual-snapshot (syrupy) puts them by default:
  `tests/ui/__snapshots__/<test module>/<test>.svg` (syrupy 4 has no option to move them); that
  folder is a symlink to the repository's `snapshots/`, where the layout keeps them.
- `FedService` (the `service` fixture): the cache-only service whose live events the test
  feeds (`await service.feed(WaitingStarted(run))`), through the app's real live worker.
- `NOW` is the frozen clock of every UI test; runs are placed relative to it and times are shown
  in UTC (`tz=UTC`), so snapshots are the same on every machine.
- The Input cursor does not blink in tests (a blink makes snapshots depend on timing).
- `settle(pilot, until=...)` waits until the app is idle (workers done, animations run, messages
  handled) and, given `until`, until the condition holds: never a fixed delay, so a loaded
  machine only makes a test slower, not red.

Fixtures for the detail screens live in `tests/ui/detail_fixtures.py` (owned by that screen's
author); keep this file generic.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.dom import DOMNode, NoScreen
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from runs_tui.app import RunsApp, make_app
from runs_tui.cache import Cache
from runs_tui.service import RunsService, ServiceEvent, ServiceSink

from .ui_data import NOW, fill, sample_definitions, sample_runs

COLOUR_MODES = [pytest.param(False, id="colour"), pytest.param(True, id="no_color")]


@pytest.fixture(params=COLOUR_MODES)
def no_color(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Runs a test with and without NO_COLOR. Textual reads (and drops) NO_COLOR when an App is
    constructed, so the variable is set here, before the test builds its app."""
    if request.param:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    return bool(request.param)


@pytest.fixture(autouse=True)
def _steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def empty_cache(tmp_path: Path) -> Iterator[Cache]:
    cache = Cache.open(tmp_path / "cache.sqlite3")
    yield cache
    cache.close()


@pytest.fixture
def filled_cache(empty_cache: Cache) -> Cache:
    fill(empty_cache, sample_runs())
    empty_cache.replace_definitions(sample_definitions())
    return empty_cache


class FedService(RunsService):
    """The cache-only service, whose live events are the test's: `await feed(event)` hands one
    to the app exactly as `run_live` does (the documented seam for acting as the sync)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sink: ServiceSink | None = None
        self._listening = asyncio.Event()

    async def run_live(self, on_event: ServiceSink) -> None:
        await super().run_live(on_event)  # the local-only status, as without a backend
        self._sink = on_event
        self._listening.set()
        await asyncio.Event().wait()  # until the app cancels its live worker

    async def feed(self, event: ServiceEvent) -> None:
        await asyncio.wait_for(self._listening.wait(), SETTLE_TIMEOUT)
        assert self._sink is not None
        outcome = self._sink(event)
        if inspect.isawaitable(outcome):
            await outcome


def frozen_service(cache: Cache, now: datetime = NOW) -> FedService:
    return FedService(
        cache,
        client=None,
        now=lambda: now,
        profile_label="demo",
        backend_label="http://127.0.0.1:8765",
    )


@pytest.fixture
def service(filled_cache: Cache) -> FedService:
    return frozen_service(filled_cache)


@pytest.fixture
def app_factory(tmp_path: Path) -> Callable[..., RunsApp]:
    """`app_factory(service, **options)`: the app as the CLI builds it, frozen for tests."""

    def build(service: RunsService, **options: Any) -> RunsApp:
        options.setdefault("tz", UTC)
        options.setdefault("export_dir", tmp_path)
        return make_app(service, **options)

    return build


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dialogs propose files in the working folder (e.g. the run export): never the repo's."""
    monkeypatch.chdir(tmp_path)


# --- waiting ------------------------------------------------------------------------------------

SETTLE_TIMEOUT = 75.0  # a hang becomes a failure; no test relies on how long anything takes
POLL = 0.02  # between checks of `until`: timers (a debounce, the waiting toast) need time to pass


async def settle(
    pilot: Pilot[Any],
    until: Callable[[], object] | None = None,
    what: str = "the condition",
    *,
    timeout: float = SETTLE_TIMEOUT,
) -> None:
    """Wait until the app has done what the test asked: its workers finished (a worker may start
    another, a fetch after an answer), scheduled animations run and messages handled; and, with
    `until`, until that holds too. Raises AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        await _idle(pilot, deadline)
        if until is None or until():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(POLL)


async def _idle(pilot: Pilot[Any], deadline: float) -> None:
    for _ in range(5):
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        pending = _busy_workers(pilot)
        if not pending:
            return
        remaining = max(0.1, deadline - time.monotonic())
        waits = asyncio.gather(*(worker.wait() for worker in pending), return_exceptions=True)
        try:
            await asyncio.wait_for(waits, remaining)
        except TimeoutError:
            names = ", ".join(worker.name for worker in pending)
            raise AssertionError(f"workers still running: {names}") from None
    await pilot.pause()


def _busy_workers(pilot: Pilot[Any]) -> list[Worker[Any]]:
    """Workers the test can wait for: not the endless live sync, and not those of a screen under
    a dialog (they wait for the operator's answer: `push_screen_wait`)."""
    app = pilot.app
    top = app.screen
    busy = []
    for worker in app.workers:
        if worker.is_finished or worker.group == "live" or worker.state is WorkerState.PENDING:
            continue
        node = worker.node
        if isinstance(top, ModalScreen) and node is not app and _screen_of(node) is not top:
            continue
        busy.append(worker)
    return busy


def _screen_of(node: DOMNode) -> Screen[Any] | None:
    if isinstance(node, Screen):
        return node
    try:
        return node.screen
    except NoScreen:  # a widget already removed: nothing to wait for on its account
        return None
