"""`/health` over real HTTP while one backend drives N active runs, against the idle backend.

Run: `.venv/bin/python benchmarks/bench_health_http.py [--runs 1000] [--steps 5] [--latency 2]
[--probes-per-second 20]`.

A real `runs-tui backend` (subprocess, loopback, its own SQLite file) serves the benchmarks' work
guide (`--steps` sim steps of `--latency` s, two output lines each). The parent probes
`GET /health` on a connection of its own, as a load balancer does, and prints p50/p95/max:
- idle (the baseline): no run at all, measured first in the same run;
- starting: while `--runs` runs are started over HTTP (8 requests in flight);
- driving: from the last start until every run has finished.
It also prints how long starting the runs took and the wall time until the last one finished.
Issue 12's goal: `/health` p95 ≤ 50 ms throughout, starting 1,000 runs in ≤ 5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from bench_ui_executing import Backend as DashboardBenchBackend
from work_guide import write_work_guide

FINISHED = ("completed", "cancelled", "no_steps")


class Backend(DashboardBenchBackend):
    """`runs-tui backend` in a subprocess with the work guide as its only definition."""

    def __init__(self, folder: Path, steps: int, latency: float) -> None:
        definitions = folder / "definitions"
        definitions.mkdir()
        write_work_guide(definitions, "work", "Work guide", steps=steps, latency=latency)
        self._launch(folder, definitions)
        self.api = self.url + "/api/v1"
        self.headers = {"Authorization": f"Bearer {self.token}"}


class Prober:
    """`GET /health` at a steady rate on its own connection, in a thread; latencies in ms."""

    def __init__(self, api: str, per_second: float) -> None:
        self._client = httpx.Client(base_url=api, timeout=60)
        self._gap = 1.0 / per_second
        self._samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def take(self) -> list[float]:
        """The samples so far, and start a new series."""
        samples, self._samples = self._samples, []
        return samples

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            answer = self._client.get("/health")
            answer.raise_for_status()
            self._samples.append((time.perf_counter() - began) * 1000)
            self._stop.wait(max(0.0, self._gap - (time.perf_counter() - began)))


def start_runs(backend: Backend, count: int) -> list[str]:
    def start(_: int) -> str:
        with httpx.Client(base_url=backend.api, headers=backend.headers, timeout=120) as http:
            answer = http.post("/guides/work/runs", json={"inputs": {}})
            answer.raise_for_status()
            return str(answer.json()["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(start, range(count)))


def active_count(backend: Backend) -> int:
    answer = httpx.get(
        f"{backend.api}/runs",
        params={"limit": 1},
        headers=backend.headers,
        timeout=60,
    )
    answer.raise_for_status()
    page = answer.json()
    statuses = httpx.get(
        f"{backend.api}/runs",
        params={"limit": max(1, page.get("total") or 1)},
        headers=backend.headers,
        timeout=60,
    ).json()["runs"]
    return sum(1 for run in statuses if not run["status"].startswith(FINISHED))


def figures(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  "
        f"max {ordered[-1]:7.1f} ms  ({len(ordered)} probes)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--probes-per-second", type=float, default=20.0)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--deadline", type=float, default=600.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        backend = Backend(Path(tmp), args.steps, args.latency)
        try:
            with Prober(backend.api, args.probes_per_second) as prober:
                time.sleep(args.idle_seconds)
                idle = prober.take()
                began = time.monotonic()
                start_runs(backend, args.runs)
                started_in = time.monotonic() - began
                starting = prober.take()
                deadline = time.monotonic() + args.deadline
                while active_count(backend) and time.monotonic() < deadline:
                    time.sleep(1.0)
                finished_in = time.monotonic() - began
                driving = prober.take()
        finally:
            backend.stop()
    alone = args.steps * args.latency
    load = os.getloadavg()[0]
    print(f"/health over HTTP, one backend (SQLite), {args.runs} runs of {args.steps} steps")
    print(f"  (load {load:.1f}; a run alone takes ~{alone:.0f} s)")
    print(f"  idle (baseline)   {figures(idle)}")
    print(f"  starting          {figures(starting)}")
    print(f"  driving           {figures(driving)}")
    all_load = starting + driving
    if idle and all_load:
        ratio = (
            sorted(all_load)[int(0.95 * (len(all_load) - 1))]
            / sorted(idle)[int(0.95 * (len(idle) - 1))]
        )
        print(f"  p95 under load / idle p95: {ratio:.1f}x")
    print(
        f"  started {args.runs} runs in {started_in:.1f} s; all finished after {finished_in:.1f} s"
    )
    print("  goals (issue 12): /health p95 <= 50 ms throughout; 1,000 starts <= 5 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
