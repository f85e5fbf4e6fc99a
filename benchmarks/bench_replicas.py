"""Replicas benchmark: two backend replicas on one PostgreSQL database against one replica alone.

Run: `.venv/bin/python benchmarks/bench_replicas.py [--pg URL] [--runs 1000] [--clients 200]`
(the URL defaults to RUNS_TUI_BENCH_PG_URL, then RUNS_TUI_TEST_PG_URL; without one it says so
and exits 0). Each setup gets a fresh schema, dropped at the end.

For each setup (2 replicas, then 1 as the baseline), with `--runs` concurrently active runs (a
guide of sim-tool steps that prints a line a second) and `--clients` `/stream` clients split
over the replicas, it prints (each run's step waits 10 s on its tool, then prints a line every
5 s: an active incident run mostly waits, and writes every few seconds):
- propagation: from a write through replica A (a run started; its seq is in the answer) to the
  change event at each client of the *other* replica (baseline: of the same one), p50/p95;
- answer latency: POST of an answer through the replica that does not own the run, p50/p95;
- takeover: kill -9 of a replica, until every run it drove has a new owner (baseline: the
  replica restarted, until it drives its runs again: it must wait for its own leases to expire).
Then the ceiling of one replica: active runs are added in steps until the lag from "step due"
(the previous step finished) to "step started" passes 1 s at p95.
It also prints steps finished per second (all replicas) over 20 s of that load. `--sqlite`
adds one backend on a SQLite file with the same load (no takeover: the file is one backend's);
`--no-ceiling` skips the ceiling.
Bounded: each phase has a deadline; the whole script takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy
from work_guide import write_work_guide

LEASE_TIMEOUT = 6.0
SERVING = re.compile(r"serving (http://127\.0\.0\.1:\d+)/api/v1")
STEPS = 40


def _definitions(folder: Path) -> Path:
    write_work_guide(
        folder, "bench-long", "Benchmark: long work", steps=STEPS, latency=10.0, line_delay=5.0
    )
    (folder / "bench-ask.toml").write_text("""kind = "guide"
id = "bench-ask"
title = "Benchmark: a question"

[[steps]]
title = "Pick"
automation = "manual"
prompt = { kind = "answer", question = "Which?", choices = ["red", "blue"] }

[[steps]]
title = "Read"
automation = "information_only"
""")
    return folder


@dataclass
class Replica:
    name: str
    url: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Setup:
    db_url: str
    definitions: Path
    token: str
    logs: Path
    replicas: list[Replica] = field(default_factory=list)

    def spawn(self, name: str) -> Replica:
        log = self.logs / f"{name}-{uuid.uuid4().hex[:6]}.log"
        argv = [
            sys.executable,
            "-m",
            "runs_tui",
            "backend",
            "--port",
            "0",
            "--db",
            self.db_url,
            "--definitions",
            str(self.definitions),
            "--replica-id",
            name,
            "--lease-timeout",
            str(LEASE_TIMEOUT),
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.DEVNULL,
                stderr=sink,
                env=os.environ | {"RUNS_TUI_BACKEND_TOKEN": self.token},
            )
        deadline = time.monotonic() + 60
        while not (found := SERVING.search(log.read_text(errors="replace"))):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"replica {name} did not start:\n{log.read_text()}")
            time.sleep(0.05)
        replica = Replica(name, found.group(1), process)
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get(replica.url + "/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
        self.replicas.append(replica)
        return replica

    def stop_all(self) -> None:
        for replica in self.replicas:
            if replica.process.poll() not in (None, -signal.SIGKILL):
                print(f"  replica {replica.name} had exited ({replica.process.returncode})")
            replica.kill()
        for log in self.logs.glob("*.log"):
            text = log.read_text(errors="replace")
            if "Traceback" in text:
                print(f"  {log.name} holds a traceback; its end:\n{text[-1500:]}")


# --- stream clients ----------------------------------------------------------------------------


class StreamClients:
    """`count` SSE clients per replica, recording when each first saw a change seq ≥ a probe's."""

    def __init__(self, http: httpx.AsyncClient, replicas: Sequence[Replica], count: int) -> None:
        self._http = http
        self._replicas = replicas
        self._count = count
        self.max_seen: dict[int, int] = {}  # client → highest change seq seen
        self.waiters: list[tuple[int, asyncio.Future[float], int]] = []  # (seq, future, client)
        self.tasks: list[asyncio.Task[None]] = []
        self.connected = 0

    def start(self) -> None:
        for index in range(self._count):
            replica = self._replicas[index % len(self._replicas)]
            self.tasks.append(asyncio.create_task(self._listen(index, replica)))

    def of(self, replica: Replica) -> list[int]:
        return [i for i in range(self._count) if self._replicas[i % len(self._replicas)] is replica]

    def expect(self, seq: int, clients: list[int]) -> list[asyncio.Future[float]]:
        loop = asyncio.get_running_loop()
        futures = []
        for client in clients:
            future: asyncio.Future[float] = loop.create_future()
            if self.max_seen.get(client, 0) >= seq:
                future.set_result(time.perf_counter())
            else:
                self.waiters.append((seq, future, client))
            futures.append(future)
        return futures

    async def _listen(self, index: int, replica: Replica) -> None:
        try:
            async with self._http.stream(
                "GET", replica.url + "/api/v1/stream", timeout=None
            ) as response:
                self.connected += 1
                kind = ""
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:") and kind == "change":
                        self._seen(index, int(json.loads(line[5:])["seq"]))
        except (httpx.HTTPError, asyncio.CancelledError):
            return

    def _seen(self, client: int, seq: int) -> None:
        if seq <= self.max_seen.get(client, 0):
            return
        self.max_seen[client] = seq
        now = time.perf_counter()
        keep = []
        for waiting_seq, future, waiting_client in self.waiters:
            if waiting_client == client and seq >= waiting_seq:
                if not future.done():
                    future.set_result(now)
            else:
                keep.append((waiting_seq, future, waiting_client))
        self.waiters = keep

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


# --- phases --------------------------------------------------------------------------------------


async def start_runs(
    http: httpx.AsyncClient,
    replicas: Sequence[Replica],
    count: int,
    definition: str,
    concurrency: int = 16,
    budget: float = 180.0,
) -> list[dict[str, Any]]:
    """Start `count` runs spread over the replicas, for at most `budget` seconds (a machine too
    busy to start them all in time reports how many it started)."""
    started: list[dict[str, Any]] = []
    queue = list(range(count))
    deadline = time.monotonic() + budget

    async def worker() -> None:
        while queue and time.monotonic() < deadline:
            n = queue.pop()
            replica = replicas[n % len(replicas)]
            try:
                answer = await http.post(
                    f"{replica.url}/api/v1/guides/{definition}/runs", json={"inputs": {}}
                )
            except httpx.TimeoutException:
                return  # saturated: the caller reports how many started
            except httpx.TransportError as error:  # a dropped connection: say so, go on
                print(f"  (starting a run on {replica.name}: {type(error).__name__}; retried)")
                queue.append(n)
                await asyncio.sleep(0.5)
                continue
            answer.raise_for_status()
            started.append(answer.json())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return started


async def propagation(
    http: httpx.AsyncClient,
    clients: StreamClients,
    writer: Replica,
    readers: Sequence[Replica],
    probes: int = 30,
) -> list[float]:
    samples: list[float] = []
    watching = [client for reader in readers for client in clients.of(reader)]
    for _ in range(probes):
        t0 = time.perf_counter()
        try:
            answer = await http.post(
                f"{writer.url}/api/v1/guides/bench-ask/runs", json={"inputs": {}}
            )
        except httpx.TimeoutException:
            print(
                f"  (a write through {writer.name} got no answer "
                "within the client timeout: saturated)"
            )
            return samples
        except httpx.TransportError as error:
            print(f"  (a write through {writer.name}: {type(error).__name__}; probe skipped)")
            await asyncio.sleep(0.5)
            continue
        seq = int(answer.json()["seq"])
        futures = clients.expect(seq, watching)
        done, pending = await asyncio.wait(futures, timeout=10)
        samples += [future.result() - t0 for future in done]
        samples += [10.0] * len(pending)  # not seen within 10 s: counted as 10 s
        for future in pending:
            future.cancel()
        await asyncio.sleep(0.1)
    return samples


async def answer_latency(
    http: httpx.AsyncClient, owner: Replica, other: Replica, probes: int = 30
) -> list[float]:
    try:
        return await _answer_latency(http, owner, other, probes)
    except httpx.TimeoutException:
        print("  (a request got no answer within the client timeout: saturated)")
        return []
    except httpx.TransportError as error:
        print(f"  (a request failed: {type(error).__name__}; the answer probe stopped)")
        return []


async def _answer_latency(
    http: httpx.AsyncClient, owner: Replica, other: Replica, probes: int
) -> list[float]:
    runs = [
        await http.post(f"{owner.url}/api/v1/guides/bench-ask/runs", json={"inputs": {}})
        for _ in range(probes)
    ]
    ids = [r.json()["id"] for r in runs]
    samples: list[float] = []
    for run_id in ids:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            run = (await http.get(f"{other.url}/api/v1/runs/{run_id}")).json()
            if run["status"].startswith("waiting"):
                break
            await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        answer = await http.post(
            f"{other.url}/api/v1/runs/{run_id}/steps/procedure-1/response", json={"value": "red"}
        )
        samples.append(time.perf_counter() - t0)
        if answer.status_code != 200:
            print(f"  (answer {answer.status_code}: {answer.text[:120]})")
    return samples


def owned(db_url: str, owner: str) -> int:
    engine = sqlalchemy.create_engine(db_url)
    with engine.connect() as conn:
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM runs WHERE owner = %s "
            "AND status NOT LIKE 'completed%%' AND status NOT LIKE 'waiting%%' "
            "AND status NOT IN ('cancelled', 'no_steps')",
            (owner,),
        ).scalar_one()
    engine.dispose()
    return int(count)


def takeover(setup: Setup, victim: Replica, restart: bool) -> tuple[float, int]:
    """Seconds from kill -9 until no run is held by the victim (restart: by the old process)."""
    before = owned(setup.db_url, victim.name)
    victim.kill()
    killed = time.monotonic()
    name = victim.name
    if restart:
        setup.spawn(name + "-restarted")
    deadline = killed + LEASE_TIMEOUT * 4 + 30
    while owned(setup.db_url, name) and time.monotonic() < deadline:
        time.sleep(0.05)
    return time.monotonic() - killed, before


async def step_lag(
    http: httpx.AsyncClient,
    replica: Replica,
    run_ids: Sequence[str],
    sample: int = 30,
    budget: float = 60.0,
) -> list[float]:
    """Seconds from one step's finish to the next step's start, over the steps of a sample of
    runs; reads for at most `budget` seconds (a saturated replica answers slowly)."""
    lags: list[float] = []
    deadline = time.monotonic() + budget
    for run_id in list(run_ids)[:: max(1, len(run_ids) // sample)][:sample]:
        if time.monotonic() > deadline:
            print(f"  (reading runs took over {budget:.0f}s: the replica is saturated)")
            break
        try:
            run = (await http.get(f"{replica.url}/api/v1/runs/{run_id}")).json()
        except httpx.TimeoutException:
            print("  (a read got no answer within the client timeout: the replica is saturated)")
            break
        finished = {e["step_id"]: e["at"] for e in run["events"] if e["type"] == "step_finished"}
        for event in run["events"]:
            if event["type"] == "step_started" and event["step_id"] != "procedure-1":
                index = int(event["step_id"].rsplit("-", 1)[1])
                previous = finished.get(f"procedure-{index - 1}")
                if previous:
                    lags.append(_time(event["at"]) - _time(previous))
    return lags


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def pct(samples: Sequence[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(label: str, samples: Sequence[float], unit: str = "ms") -> str:
    scale = 1000 if unit == "ms" else 1
    return (
        f"  {label:<34} p50 {pct(samples, 0.5) * scale:8.1f} {unit}   "
        f"p95 {pct(samples, 0.95) * scale:8.1f} {unit}"
        f"   (n={len(samples)})"
    )


# --- setups --------------------------------------------------------------------------------------


def schema_url(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}", schema


def drop_schema(base: str, schema: str) -> None:
    engine = sqlalchemy.create_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


def finished_steps(db_url: str) -> int:
    engine = sqlalchemy.create_engine(db_url)
    with engine.connect() as conn:
        count = conn.execute(
            sqlalchemy.text("SELECT count(*) FROM run_events WHERE event_json LIKE :pattern"),
            {"pattern": '%"step_finished"%'},
        ).scalar_one()
    engine.dispose()
    return int(count)


async def steps_per_second(db_url: str, window: float = 20.0) -> float:
    """Steps finished per second over `window` seconds, all replicas together."""
    before = await asyncio.to_thread(finished_steps, db_url)
    t0 = time.perf_counter()
    await asyncio.sleep(window)
    after = await asyncio.to_thread(finished_steps, db_url)
    return (after - before) / (time.perf_counter() - t0)


async def measure(base: str, folder: Path, replicas: int, runs: int, clients: int) -> None:
    """`base`: a PostgreSQL URL (a fresh schema is made in it), or `sqlite` (one process on
    a file of its own: no takeover, the file belongs to one backend)."""
    sqlite = base == "sqlite"
    db_url, schema = (f"sqlite:///{folder / 'bench.db'}", "") if sqlite else schema_url(base)
    setup = Setup(db_url, _definitions(folder), "bench-" + secrets.token_urlsafe(24), folder)
    try:
        nodes = [setup.spawn(name) for name in ("a", "b")[:replicas]]
        headers = {"Authorization": f"Bearer {setup.token}"}
        limits = httpx.Limits(max_connections=clients + 64, max_keepalive_connections=clients + 64)
        async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as http:
            streams = StreamClients(http, nodes, clients)
            streams.start()
            t0 = time.perf_counter()
            await start_runs(http, nodes, runs, "bench-long")
            print(
                f"  started {runs} active runs in {time.perf_counter() - t0:.1f}s; "
                f"{streams.connected} stream clients connected"
            )
            await asyncio.sleep(5)
            rate = await steps_per_second(db_url)
            print(f"  {'steps finished per second':<34} {rate:8.1f}")
            writer, readers = nodes[0], nodes[1:] or nodes
            print(
                line(
                    f"propagation {writer.name} → clients of {'/'.join(r.name for r in readers)}",
                    await propagation(http, streams, writer, readers),
                )
            )
            print(
                line(
                    "answer latency (not the owner)" if replicas > 1 else "answer latency",
                    await answer_latency(http, nodes[0], nodes[-1]),
                )
            )
            await streams.stop()
        if sqlite:
            return
        seconds, held = takeover(setup, nodes[0], restart=replicas == 1)
        what = (
            "kill -9 → every run taken over"
            if replicas > 1
            else "kill -9 + restart → runs driven again"
        )
        print(
            f"  {what:<34} {seconds:8.1f} s   ({held} runs held; lease timeout {LEASE_TIMEOUT:g} s)"
        )
    finally:
        setup.stop_all()
        if not sqlite:
            drop_schema(base, schema)


async def ceiling(base: str, folder: Path, levels: Sequence[int], budget: float) -> None:
    db_url, schema = schema_url(base)
    setup = Setup(db_url, _definitions(folder), "bench-" + secrets.token_urlsafe(24), folder)
    started_at = time.monotonic()
    try:
        node = setup.spawn("solo")
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {setup.token}"}, timeout=120
        ) as http:
            ids: list[str] = []
            for level in levels:
                if time.monotonic() - started_at > budget:
                    print(f"  (time budget of {budget:.0f}s spent)")
                    break
                more = await start_runs(http, [node], level - len(ids), "bench-long")
                ids += [run["id"] for run in more]
                if len(ids) < level:
                    print(
                        f"  only {len(ids)} of {level} runs started within the budget: "
                        "the replica is saturated"
                    )
                await asyncio.sleep(25)  # a step takes ~20 s: every run crosses a step boundary
                lags = await step_lag(http, node, ids[-level // 2 :])
                print(line(f"{level:>6} active runs: step due → started", lags))
                if pct(lags, 0.95) > 1.0:
                    print(
                        f"  ceiling of one replica: fewer than {level} concurrently active runs "
                        "(p95 lag > 1 s)"
                    )
                    return
            print(
                f"  ceiling of one replica: above {len(ids)} concurrently active runs "
                "(p95 lag ≤ 1 s)"
            )
    finally:
        setup.stop_all()
        drop_schema(base, schema)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("RUNS_TUI_BENCH_PG_URL") or os.environ.get("RUNS_TUI_TEST_PG_URL"),
    )
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--levels", default="500,1000,2000,3000")
    parser.add_argument("--ceiling-budget", type=float, default=240.0)
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument(
        "--sqlite", action="store_true", help="also one backend on SQLite (no takeover)"
    )
    args = parser.parse_args()
    if not args.pg:
        print(
            "bench_replicas: set RUNS_TUI_BENCH_PG_URL (or RUNS_TUI_TEST_PG_URL) "
            "to a PostgreSQL URL; skipped"
        )
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp:
        if args.sqlite:
            print(f"1 backend on SQLite, {args.runs} active runs, {args.clients} stream clients:")
            folder = Path(tmp) / "sqlite"
            folder.mkdir()
            asyncio.run(measure("sqlite", folder, 1, args.runs, args.clients))
        for count in (2, 1):
            print(
                f"{count} replica(s) on PostgreSQL, {args.runs} active runs, "
                f"{args.clients} stream clients:"
            )
            folder = Path(tmp) / f"r{count}"
            folder.mkdir()
            asyncio.run(measure(args.pg, folder, count, args.runs, args.clients))
        if args.no_ceiling:
            return 0
        print("ceiling of one replica (the same runs: sim steps of ~20 s, a line every 5 s):")
        folder = Path(tmp) / "ceiling"
        folder.mkdir()
        asyncio.run(
            ceiling(args.pg, folder, [int(n) for n in args.levels.split(",")], args.ceiling_budget)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
