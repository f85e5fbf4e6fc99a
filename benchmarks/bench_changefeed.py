"""Full change-feed sync throughput of the reference backend over loopback HTTP.

Seeds N finished runs (default 100,000) into a fresh SQLite database, starts `runs-tui backend`
in a subprocess (so its peak memory can be read from /proc/<pid>/status VmHWM), then syncs the
whole feed with httpx three times per page size and prints the median runs/s: reading the
bytes only (what the server and the transport sustain: the server-side figure, target
≥ 100k runs/s), and fetching and parsing every page (what a client sees). The baseline, measured
in the same run, is the store paging the same feed in-process (`RunStore.changes_json` +
`json.loads`): the ratio says what HTTP and the server add on top of the storage itself.

    .venv/bin/python benchmarks/bench_changefeed.py [--runs 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from runs_tui.backend.store import RunStore
from runs_tui.models.domain import (
    AutomationType,
    ChangesPage,
    RunDetail,
    Step,
    StepPhase,
    StepStatus,
    Trigger,
    TriggerKind,
)
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus

REPEATS = 3
FINISHED = [s for s in RunStatus if s.is_terminal]
URL_LINE = re.compile(r"serving (http://\S+?)/api/v1")
TAIL = re.compile(rb'"next_cursor":(\d+),"has_more":(true|false)\}$')


def synthetic_runs(count: int) -> Iterator[RunDetail]:
    """Finished runs shaped like the demo's: a few steps, inputs, a summary."""
    now = datetime.now(UTC)
    for index in range(count):
        created = now - timedelta(seconds=index * 25)
        status = FINISHED[index % len(FINISHED)]
        steps = [
            Step(
                id=f"step-{n}",
                phase=StepPhase.TRIAGE,
                position=n,
                title=f"Check {n}",
                automation=AutomationType.AUTOMATED,
                status=StepStatus.SUCCEEDED,
            )
            for n in range(1, 4)
        ]
        yield RunDetail(
            id=f"bench-{index:08d}",
            kind=RunKind.FLOW if index % 3 else RunKind.GUIDE,
            definition_id="db-health",
            name=f"Database health check {index % 50}",
            status=status,
            trigger=Trigger(
                kind=TriggerKind.SCHEDULE if index % 4 == 0 else TriggerKind.MANUAL, actor="ops"
            ),
            created_at=created,
            started_at=created,
            finished_at=created + timedelta(minutes=3),
            updated_at=created + timedelta(minutes=3),
            current_step=None,
            root_cause="Connection pool exhausted",
            outcome="Pool saturated",
            summary="Restarted the pool; latency back to normal.",
            inputs={"host": f"db-{index % 7}"},
            version=7,
            seq=0,
            steps=steps,
        )


def seed(db_url: str, count: int) -> float:
    store = RunStore(db_url)
    store.create_schema()
    started = time.perf_counter()
    store.seed_history(synthetic_runs(count))
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


Parsed = tuple[int, int, bool]  # (runs in the page, next cursor, has more)


def sync_over_http(
    origin: str, token: str, limit: int, parse: Callable[[bytes], Parsed]
) -> tuple[int, float]:
    with httpx.Client(
        base_url=f"{origin}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        started = time.perf_counter()
        total, cursor, more = 0, None, True
        while more:
            params = {"limit": limit} | ({"cursor": cursor} if cursor is not None else {})
            answer = http.get("/runs/changes", params=params)
            answer.raise_for_status()
            count, cursor, more = parse(answer.content)
            total += count
        return total, time.perf_counter() - started


def parse_tail(body: bytes) -> Parsed:
    """No JSON parsing: runs counted by their last key (a `"` inside text is escaped, so only
    summaries match), the cursor read off the end of the body. The server's figure."""
    match = TAIL.search(body[-100:])
    assert match is not None, body[-100:]
    return body.count(b',"seq":'), int(match.group(1)), match.group(2) == b"true"


def parse_json(body: bytes) -> Parsed:
    page = json.loads(body)
    return len(page["changes"]), page["next_cursor"], page["has_more"]


def parse_model(body: bytes) -> Parsed:
    page = ChangesPage.model_validate_json(body)
    return len(page.changes), page.next_cursor, page.has_more


def sync_in_process(db_url: str, limit: int) -> tuple[int, float]:
    store = RunStore(db_url)
    started = time.perf_counter()
    total, cursor, more = 0, None, True
    while more:
        page = json.loads(store.changes_json(cursor, limit))
        total += len(page["changes"])
        cursor, more = page["next_cursor"], page["has_more"]
    elapsed = time.perf_counter() - started
    store.close()
    return total, elapsed


def median_rate(measure: Callable[[], tuple[int, float]], expected: int) -> float:
    rates = []
    for _ in range(REPEATS):
        total, elapsed = measure()
        assert total >= expected, (
            f"synced {total} runs, expected {expected}"
        )  # + live scheduled runs
        rates.append(total / elapsed)
    return statistics.median(rates)


def start_server(db_url: str, token: str) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-c",
        "import sys; from runs_tui.backend.server import serve; serve(port=0, db_url=sys.argv[1])",
        db_url,
    ]
    env = os.environ | {"RUNS_TUI_BACKEND_TOKEN": token}
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    assert server.stderr is not None
    for line in server.stderr:
        if match := URL_LINE.search(line):
            origin = match.group(1)
            break
    else:
        raise RuntimeError(f"the backend did not start (exit {server.wait()})")
    threading.Thread(target=server.stderr.read, daemon=True).start()  # keep its log pipe drained
    for _ in range(500):
        try:
            if httpx.get(f"{origin}/api/v1/health").status_code == 200:
                return server, origin
        except httpx.TransportError:
            time.sleep(0.02)
    raise RuntimeError("the backend never answered /health")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-changefeed-") as folder:
        db_url = f"sqlite:///{Path(folder) / 'backend.sqlite3'}"
        seed_seconds = seed(db_url, args.runs)
        print(
            f"seed_history: {args.runs} runs in {seed_seconds:.2f} s "
            f"({args.runs / seed_seconds:,.0f} runs/s)"
        )
        baseline = median_rate(lambda: sync_in_process(db_url, 1000), args.runs)
        print(
            "baseline  in-process store.changes_json+json.loads, limit 1000: "
            f"{baseline:>10,.0f} runs/s (median of {REPEATS})"
        )
        token = secrets.token_urlsafe(16)
        server, origin = start_server(db_url, token)
        try:
            for limit in (1000, 5000):
                rate = median_rate(
                    lambda: sync_over_http(origin, token, limit, parse_tail), args.runs
                )
                print(
                    "HTTP full sync, httpx, bytes only (server),  "
                    f"limit {limit:>5}: {rate:>10,.0f} runs/s "
                    f"(median of {REPEATS}; {rate / baseline:.2f}x baseline)"
                )
            for limit in (1000, 5000, 10_000):
                rate = median_rate(
                    lambda: sync_over_http(origin, token, limit, parse_json), args.runs
                )
                print(
                    "HTTP full sync, httpx + json.loads,        "
                    f"limit {limit:>5}: {rate:>10,.0f} runs/s "
                    f"(median of {REPEATS}; {rate / baseline:.2f}x baseline)"
                )
            rate = median_rate(lambda: sync_over_http(origin, token, 1000, parse_model), args.runs)
            print(
                f"HTTP full sync, httpx + ChangesPage model,  limit  1000: {rate:>10,.0f} runs/s "
                f"(median of {REPEATS}; {rate / baseline:.2f}x baseline)"
            )
            print(f"server peak RSS (VmHWM): {peak_rss_mib(server.pid):.1f} MiB")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
