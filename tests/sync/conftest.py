from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from client.backend_fixtures import backend, client  # noqa: F401  (fixtures)

from runs_tui.cache import Cache
from runs_tui.sync import Syncer


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache.sqlite3"


@pytest.fixture
def cache(cache_path: Path) -> Iterator[Cache]:
    with Cache.open(cache_path) as opened:
        yield opened


@pytest.fixture
def syncers() -> Iterator[Callable[..., Syncer]]:
    """Build syncers (same arguments as `Syncer`) that are closed after the test."""
    made: list[Syncer] = []

    def make(*args: Any, **kwargs: Any) -> Syncer:
        made.append(Syncer(*args, **kwargs))
        return made[-1]

    yield make
    for syncer in made:
        syncer.close()
