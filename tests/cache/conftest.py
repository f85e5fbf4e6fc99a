from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runs_tui.cache import Cache


@pytest.fixture
def cache_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "runs.sqlite3"


@pytest.fixture
def cache(cache_file: Path) -> Iterator[Cache]:
    with Cache.open(cache_file) as opened:
        yield opened
