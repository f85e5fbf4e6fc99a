"""Sync throughput: a full sync over loopback HTTP into a fresh cache, and an incremental sync
of 10 changes into a cache of a million runs.

Printed, in one run (medians):
- the whole process: `runs-tui sync` of a fresh cache (start, imports, sync, exit), as an
  operator runs it — goal ≥ 50k runs/s — against the raw fetch of the same pages measured in
  the same run (bytes only, the server's and the transport's share), with the ratio.
- full sync of N runs (default 100,000) by `Syncer.sync_once` into a fresh cache — goal ≥ 30k
  runs/s — against baselines measured in the same run: fetching and parsing every page without
  applying it (`RunsClient.changes_parsed` + `feed.parse_page`, and the pydantic
  `RunsClient.changes` for reference), and applying the same pages to a fresh cache without
  HTTP (`Cache.apply_rows`, bulk-loaded as a first sync does, and page by page into the
  indexed table). The sync overlaps fetching and applying, so it can beat their sum.
- an incremental sync of 10 changes into a 1,000,000-run cache — goal < 20 ms — built through
  the cache's bulk path (`apply_changes` of synthetic pages) with its cursor set to the server's.

The backend runs in a subprocess (`runs_tui.backend.server.serve`) on a seeded SQLite file.

    .venv/bin/python benchmarks/bench_sync.py [--runs 100000] [--cache-runs 1000000]
        [--whole-process-only] [--process-repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bench_changefeed import seed, start_server  # the shared seeding and server start

from runs_tui.backend.store import RunStore
from runs_tui.cache import Cache
from runs_tui.cache.feed import RowPage, parse_page, read_fetched
from runs_tui.client import RunsClient
from runs_tui.models.domain import ChangesPage, RunSummary, Trigger, TriggerKind
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus
from runs_tui.sync import BULK_PAGE_SIZE, PAGE_SIZE, Syncer

REPEATS = 3
INCREMENTAL_REPEATS = 15
CHANGES = 10
FINISHED = [s for s in RunStatus if s.is_terminal]


async def full_sync(
    origin: str, token: str, folder: Path, page_size: int | None, own_connection: bool = True
) -> tuple[int, float]:
    path = folder / f"full-{secrets.token_hex(4)}.sqlite3"
    with Cache.open(path) as cache:
        async with RunsClient(origin, token) as client:
            started = time.perf_counter()
            syncer = Syncer(cache, client, page_size=page_size, own_connection=own_connection)
            result = await syncer.sync_once(definitions=False)
            elapsed = time.perf_counter() - started
            syncer.close()
    for leftover in folder.glob(path.name + "*"):
        leftover.unlink()
    return len(result.changed), elapsed


async def fetch_pages(
    origin: str, token: str, page_size: int, *, models: bool = False
) -> tuple[list[RowPage], float]:
    """Every page fetched and parsed to rows (or, `models=True`, to pydantic models)."""
    pages: list = []
    async with RunsClient(origin, token) as client:
        started = time.perf_counter()
        cursor = None
        while True:
            if models:
                page = await client.changes(cursor, page_size)
            else:
                page = await client.changes_parsed(cursor, page_size, parse_page)
            pages.append(page)
            cursor = page.next_cursor
            if not page.has_more:
                return pages, time.perf_counter() - started


def apply_pages(pages: list[RowPage], folder: Path, *, bulk: bool) -> float:
    """Apply parsed pages to a fresh cache: bulk-loaded like a first sync, or page by page
    into the indexed table (every later sync's path)."""
    path = folder / f"apply-{secrets.token_hex(4)}.sqlite3"
    with Cache.open(path) as cache:
        started = time.perf_counter()
        if bulk:
            cache.begin_bulk_load()
        for page in pages:
            cache.apply_rows(page)
        cache.finish_bulk_load()
        elapsed = time.perf_counter() - started
    for leftover in folder.glob(path.name + "*"):
        leftover.unlink()
    return elapsed


def median(values: list[float]) -> float:
    return statistics.median(values)


async def measure_full(
    origin: str, token: str, folder: Path, runs: int, page_size: int | None
) -> None:
    size = page_size or BULK_PAGE_SIZE
    rates: dict[str, list[float]] = {}

    def note(key: str, count: int, seconds: float) -> None:
        rates.setdefault(key, []).append(count / seconds)

    for _ in range(REPEATS):
        pages, seconds = await fetch_pages(origin, token, size)
        count = sum(len(p.rows) for p in pages)
        note("fetch", count, seconds)
        note("fetch_models", count, (await fetch_pages(origin, token, size, models=True))[1])
        note("bulk", count, apply_pages(pages, folder, bulk=True))
        note("indexed", count, apply_pages(pages, folder, bulk=False))
        del pages
        synced, seconds = await full_sync(origin, token, folder, page_size)
        assert synced >= runs, f"synced {synced} runs, expected {runs}"
        note("sync", synced, seconds)
        note("inline", *await full_sync(origin, token, folder, page_size, own_connection=False))
    m = {key: median(values) for key, values in rates.items()}
    fetch, sync, inline = m["fetch"], m["sync"], m["inline"]
    serial = 1 / (1 / fetch + 1 / m["bulk"])
    print(f"full sync of {runs:,} runs, page size {size} (median of {REPEATS}):")
    print(f"  baseline fetch+parse to rows (changes_parsed):    {fetch:>10,.0f} runs/s")
    print(f"  baseline fetch+parse to models (changes):         {m['fetch_models']:>10,.0f} runs/s")
    print(f"  baseline apply only, bulk load (apply_rows):      {m['bulk']:>10,.0f} runs/s")
    print(f"  baseline apply only, page by page, indexed:       {m['indexed']:>10,.0f} runs/s")
    print(f"  fetch then bulk apply, one after the other:       {serial:>10,.0f} runs/s")
    print(
        f"  Syncer.sync_once, writes on the loop's thread:    {inline:>10,.0f} runs/s "
        f"({inline / fetch:.2f}x fetch-only, {inline / serial:.2f}x serial)"
    )
    print(
        f"  Syncer.sync_once, own connection + thread:        {sync:>10,.0f} runs/s "
        f"({sync / fetch:.2f}x fetch-only, {sync / serial:.2f}x serial; goal >= 30,000)"
    )


SYNCED_LINE = re.compile(r"synced \S+: (\d+) changed")


def whole_process_sync(origin: str, token: str, folder: Path) -> tuple[int, float]:
    """`runs-tui sync` in a subprocess with a fresh cache: (runs synced, seconds)."""
    home = folder / f"process-{secrets.token_hex(4)}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("RUNS_TUI_")}
    env.update(
        RUNS_TUI_URL=origin,
        RUNS_TUI_TOKEN=token,
        RUNS_TUI_CACHE_DIR=str(home / "cache"),
        RUNS_TUI_CONFIG_DIR=str(home / "config"),
        RUNS_TUI_DATA_DIR=str(home / "data"),
    )
    # Bytecode as an installed runs-tui has it (not recompiled on every start when the
    # environment says PYTHONDONTWRITEBYTECODE), kept out of the source tree:
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    command = Path(sys.executable).with_name("runs-tui")
    started = time.perf_counter()
    done = subprocess.run(
        [str(command), "sync"], env=env, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    for leftover in sorted(home.rglob("*"), reverse=True):
        leftover.unlink() if leftover.is_file() else leftover.rmdir()
    match = SYNCED_LINE.search(done.stdout)
    assert match, f"unexpected output: {done.stdout!r} {done.stderr!r}"
    return int(match[1]), elapsed


def raw_fetch(origin: str, token: str, page_size: int) -> tuple[int, float]:
    """Every page of the feed as bytes, nothing parsed but the cursor off its end."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{origin}/api/v1", headers=headers, timeout=60) as http:
        started = time.perf_counter()
        cursor, more, runs = None, True, 0
        while more:
            params = {"limit": page_size} | ({"cursor": cursor} if cursor is not None else {})
            answer = http.get("/runs/changes", params=params)
            answer.raise_for_status()
            fetched = read_fetched(answer.content)
            runs += answer.content.count(b'"seq":')
            cursor, more = fetched.next_cursor, fetched.has_more
        return runs, time.perf_counter() - started


def measure_whole_process(origin: str, token: str, folder: Path, runs: int, repeats: int) -> None:
    fetch_rates, sync_rates = [], []
    whole_process_sync(origin, token, folder)  # warm-up, not counted: bytecode written
    for _ in range(repeats):
        fetched, seconds = raw_fetch(origin, token, BULK_PAGE_SIZE)
        fetch_rates.append(fetched / seconds)
        synced, seconds = whole_process_sync(origin, token, folder)
        assert synced >= runs, f"synced {synced} runs, expected {runs}"
        sync_rates.append(synced / seconds)
    fetch, sync = median(fetch_rates), median(sync_rates)
    print(f"whole process: `runs-tui sync` of a fresh cache, {runs:,} runs (median of {repeats}):")
    print(f"  baseline raw fetch of the same pages (bytes):     {fetch:>10,.0f} runs/s")
    print(
        f"  runs-tui sync, start to exit:                     {sync:>10,.0f} runs/s "
        f"({sync / fetch:.2f}x the raw fetch; goal >= 50,000)"
    )
    print("  each run (runs/s): " + ", ".join(f"{rate:,.0f}" for rate in sync_rates))


def synthetic_summaries(start: int, count: int, now: datetime) -> Iterator[RunSummary]:
    """Finished list rows, built without validation: the cache's bulk path is what is timed."""
    for index in range(start, start + count):
        created = now - timedelta(seconds=index * 3)
        yield RunSummary.model_construct(
            id=f"cached-{index:08d}",
            kind=RunKind.FLOW if index % 3 else RunKind.GUIDE,
            definition_id="db-health",
            name=f"Database health check {index % 97}",
            status=FINISHED[index % len(FINISHED)],
            trigger=Trigger.model_construct(kind=TriggerKind.MANUAL, actor="ops"),
            created_at=created,
            scheduled_for=None,
            started_at=created,
            finished_at=created + timedelta(minutes=2),
            updated_at=created + timedelta(minutes=2),
            current_step_id=None,
            current_step=None,
            root_cause=None,
            outcome=None,
            summary=None,
            error=None,
            inputs={},
            version=3,
            seq=index + 1,
        )


def build_big_cache(path: Path, count: int, server_cursor: int) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC)
    chunk = 20_000
    with Cache.open(path) as cache:
        cache.begin_bulk_load()
        for start in range(0, count, chunk):
            rows = list(synthetic_summaries(start, min(chunk, count - start), now))
            cache.apply_changes(ChangesPage(changes=rows, deleted=[], next_cursor=0, has_more=True))
        cache.apply_changes(
            ChangesPage(changes=[], deleted=[], next_cursor=server_cursor, has_more=False)
        )
        cache.finish_bulk_load()
    return time.perf_counter() - started


def change_runs_on_server(store: RunStore, ids: list[str]) -> None:
    for run_id in ids:
        run = store.get_run(run_id)
        run.summary = f"edited at {time.time()}"
        store.save_run(run, [])


async def measure_incremental(
    origin: str, token: str, db_url: str, folder: Path, cache_runs: int
) -> None:
    store = RunStore(db_url)
    path = folder / "big.sqlite3"
    build_seconds = build_big_cache(path, cache_runs, store.max_seq())
    print(
        f"incremental sync of {CHANGES} changes into a {cache_runs:,}-run cache "
        f"(bulk-built in {build_seconds:.1f} s through Cache.apply_changes):"
    )
    server_ids = [run.id for run in store.changes(None, 200).changes]
    timings, baseline = [], []
    with Cache.open(path) as cache:
        async with RunsClient(origin, token) as client:
            syncer = Syncer(cache, client)
            await syncer.sync_once(definitions=True)  # anything the server did meanwhile
            for repeat in range(INCREMENTAL_REPEATS):
                started = time.perf_counter()
                await client.changes(cache.sync_state().cursor, PAGE_SIZE)
                baseline.append(time.perf_counter() - started)
                batch = server_ids[(repeat * CHANGES) % 190 :][:CHANGES]
                change_runs_on_server(store, batch)
                started = time.perf_counter()
                result = await syncer.sync_once()
                timings.append(time.perf_counter() - started)
                assert set(batch) <= result.changed, "the sync missed a change"
    store.close()
    ms = sorted(t * 1000 for t in timings)
    print(
        "  baseline: an empty GET /runs/changes round trip:  "
        f"{median(baseline) * 1000:>7.2f} ms (median)"
    )
    print(
        f"  Syncer.sync_once, {CHANGES} changed runs:               {median(ms):>7.2f} ms median, "
        f"{ms[int(len(ms) * 0.95) - 1]:.2f} ms p95 of {INCREMENTAL_REPEATS} (goal < 20 ms)"
    )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as name:
        folder = Path(name)
        db_url = f"sqlite:///{folder / 'backend.sqlite3'}"
        seed_seconds = seed(db_url, args.runs)
        print(f"seeded {args.runs:,} runs into the backend in {seed_seconds:.1f} s")
        token = secrets.token_urlsafe(16)
        server, origin = start_server(db_url, token)
        try:
            measure_whole_process(origin, token, folder, args.runs, args.process_repeats)
            if args.whole_process_only:
                return
            await measure_full(origin, token, folder, args.runs, args.page_size)
            await measure_incremental(origin, token, db_url, folder, args.cache_runs)
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--cache-runs", type=int, default=1_000_000)
    parser.add_argument(
        "--page-size",
        type=int,
        default=None,
        help=f"fixed page size (default: the syncer's, {BULK_PAGE_SIZE} for a first sync)",
    )
    parser.add_argument(
        "--process-repeats", type=int, default=5, help="whole-process syncs to take the median of"
    )
    parser.add_argument(
        "--whole-process-only", action="store_true", help="print the whole-process figure and stop"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
