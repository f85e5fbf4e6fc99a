"""Sync across processes: killed with SIGKILL mid-way, then converging; two at once on one cache."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from client.backend_fixtures import Backend

from runs_tui.cache import Cache
from runs_tui.client import RunsClient
from runs_tui.models.domain import RunDetail
from runs_tui.sync import Syncer
from sync.helpers import cached_versions

TESTS = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "sync_worker.py"


def _worker(
    backend: Backend, cache_path: Path, *, page_size: int, delay: float
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "RUNS_TUI_TEST_TOKEN": backend.token,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            str(cache_path),
            backend.url,
            "--page-size",
            str(page_size),
            "--delay",
            str(delay),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _cursor(path: Path) -> int | None:
    with Cache.open(path) as cache:
        return cache.sync_state().cursor


def _staged(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM run_staging").fetchone()[0])


@pytest.mark.parametrize("first_sync", [True, False], ids=["bulk-load", "incremental"])
async def test_a_sync_killed_mid_way_leaves_a_consistent_cache_that_converges(
    syncers: Callable[..., Syncer],
    backend: Backend,
    client: RunsClient,
    cache_path: Path,
    make_run: Callable[..., RunDetail],
    first_sync: bool,
) -> None:
    """A first sync stages whole pages (queries still show the cache as before it); a later
    one applies whole pages. Either way the next sync converges."""
    with Cache.open(cache_path) as cache:
        if not first_sync:
            backend.seed(make_run, 10)
            await syncers(cache, client).sync_once()
    runs = backend.seed(make_run, 1000)
    worker = _worker(backend, cache_path, page_size=50, delay=0.1)
    deadline = time.monotonic() + 60
    while (_cursor(cache_path) or 0) < 260:
        assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL

    assert _integrity(cache_path) == "ok"
    with Cache.open(cache_path) as cache:
        state = cache.sync_state()
        assert state.cursor is not None and 260 <= state.cursor < 1010
        assert state.bulk_loading is first_sync
        if first_sync:  # whole pages staged; nothing published yet
            assert _staged(cache_path) == state.cursor
            assert cached_versions(cache) == {}
        else:  # whole pages only: seq i is the i-th run
            assert len(cached_versions(cache)) == state.cursor
        await syncers(cache, client, page_size=300).sync_once()
        assert cached_versions(cache) == backend.versions()
        assert len(cached_versions(cache)) == len(backend.versions()) >= len(runs)
        assert not cache.sync_state().bulk_loading and _staged(cache_path) == 0
    assert _integrity(cache_path) == "ok"


async def test_two_processes_sync_one_cache_at_once(
    backend: Backend, cache_path: Path, make_run: Callable[..., RunDetail]
) -> None:
    backend.seed(make_run, 600)
    Cache.open(cache_path).close()
    workers = [_worker(backend, cache_path, page_size=50, delay=0.01) for _ in range(2)]
    for worker in workers:
        out, err = worker.communicate(timeout=90)
        assert worker.returncode == 0, err
        assert out.startswith("synced ")
    assert _integrity(cache_path) == "ok"
    with Cache.open(cache_path) as cache:
        assert cached_versions(cache) == backend.versions()
        assert cache.sync_state().cursor == 600
