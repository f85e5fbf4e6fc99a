"""Generic fixtures for the dashboard tests: a filled cache, a frozen service, snapshot storage.

- Snapshots are stored under `<repo>/snapshots/<test module>/`, not `tests/__snapshots__/`:
  pytest-textual-snapshot's `snap_compare` always uses its `SVGImageExtension`, whose syrupy
  `dirname` decides the folder, so that classmethod is pointed at our folder here.
- `NOW` is the frozen clock of every UI test; runs are placed relative to it and times are shown
  in UTC (`tz=UTC`), so snapshots are the same on every machine.
- The Input cursor does not blink in tests (a blink makes snapshots depend on timing).

Fixtures for the detail screens live in `tests/ui/detail_fixtures.py` (owned by that screen's
author); keep this file generic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_textual_snapshot
from textual.widgets import Input

from runs_tui.app import RunsApp, make_app
from runs_tui.cache import Cache
from runs_tui.service import RunsService

from .ui_data import NOW, REPO, fill, sample_definitions, sample_runs

SNAPSHOT_DIR = REPO / "snapshots"


def _snapshot_dirname(cls: type, *, test_location: Any) -> str:
    return str(SNAPSHOT_DIR / test_location.basename)


pytest_textual_snapshot.SVGImageExtension.dirname = classmethod(_snapshot_dirname)  # type: ignore[method-assign]


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


def frozen_service(cache: Cache, now: datetime = NOW) -> RunsService:
    return RunsService(
        cache,
        client=None,
        now=lambda: now,
        profile_label="demo",
        backend_label="http://127.0.0.1:8765",
    )


@pytest.fixture
def service(filled_cache: Cache) -> RunsService:
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
