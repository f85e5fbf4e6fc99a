"""Stream fan-out benchmark: many `/stream` clients on one backend while runs print output.

Run: `.venv/bin/python benchmarks/bench_stream_fanout.py [--clients 500] [--runs 20]`

One backend process on a fresh SQLite file, `--runs` active runs of a guide whose steps print a
line a second, and for each setup `--clients` SSE clients. Probes start a run through the API
(its seq is in the answer) and time until every client saw a change notice with that seq.
Printed per setup: change-notice propagation p50/p95 over all clients and probes, and the
backend's CPU (user+system, from /proc) as a share of one core over the probe window.

Setups, measured in the same run:
- `baseline`: 1 client;
- `follow none`: the clients ask for no run's output (a dashboard on the list);
- `follow all`: every client asks for the output of every active run, which is what each
  client received before `/stream?output=` (the old fan-out).
Figures are printed, never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_replicas import Replica, Setup, line, pct, start_runs
from work_guide import write_work_guide

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Listeners:
    """`count` SSE clients, each remembering the highest change seq it saw."""

    def __init__(self, http: httpx.AsyncClient, replica: Replica, count: int, outputs: list[str]):
        self.max_seen = [0] * count
        self.seen_at = [0.0] * count  # when max_seen last grew
        self.waiting_for = 0  # the probe's seq: each client notes when it first sees it
        self.arrivals: dict[int, float] = {}
        self.outputs_seen = 0
        self.connected = 0
        params = [("output", run_id) for run_id in outputs]
        self.tasks = [
            asyncio.create_task(self._listen(http, replica, index, params))
            for index in range(count)
        ]

    async def _listen(self, http: httpx.AsyncClient, replica: Replica, index: int, params) -> None:
        url = replica.url + "/api/v1/stream"
        try:
            async with http.stream("GET", url, params=params, timeout=None) as response:
                self.connected += 1
                kind = ""
                async for text in response.aiter_lines():
                    if text.startswith("event:"):
                        kind = text[6:].strip()
                    elif text.startswith("data:") and kind == "change":
                        seq = int(text.split('"seq":', 1)[1].strip(" }"))
                        if seq > self.max_seen[index]:
                            self.max_seen[index], self.seen_at[index] = seq, time.perf_counter()
                        if self.waiting_for and seq >= self.waiting_for:
                            self.arrivals.setdefault(index, time.perf_counter())
                    elif text.startswith("data:") and kind == "output":
                        self.outputs_seen += 1
        except (httpx.HTTPError, asyncio.CancelledError):
            return

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def probe(http: httpx.AsyncClient, replica: Replica, ears: Listeners, probes: int):
    """Propagation samples (s) of `probes` writes to every client; a miss counts as 10 s."""
    samples: list[float] = []
    for _ in range(probes):
        t0 = time.perf_counter()
        answer = await http.post(f"{replica.url}/api/v1/guides/bench-ask/runs", json={})
        seq = int(answer.json()["seq"])
        ears.arrivals = {  # seen before the answer came back: when (an upper bound)
            i: ears.seen_at[i] for i, seen in enumerate(ears.max_seen) if seen >= seq
        }
        ears.waiting_for = seq
        while len(ears.arrivals) < len(ears.max_seen) and time.perf_counter() - t0 < 10:
            await asyncio.sleep(0.05)
        ears.waiting_for = 0
        samples += [arrived - t0 for arrived in ears.arrivals.values()]
        samples += [10.0] * (len(ears.max_seen) - len(ears.arrivals))
        await asyncio.sleep(0.2)
    return samples


async def measure(
    http: httpx.AsyncClient,
    replica: Replica,
    label: str,
    clients: int,
    outputs: list[str],
    probes: int,
) -> None:
    ears = Listeners(http, replica, clients, outputs)
    deadline = time.monotonic() + 60
    while ears.connected < clients and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    cpu0, wall0, out0 = cpu_seconds(replica.process.pid), time.perf_counter(), ears.outputs_seen
    samples = await probe(http, replica, ears, probes)
    cpu = (cpu_seconds(replica.process.pid) - cpu0) / (time.perf_counter() - wall0)
    outputs = ears.outputs_seen - out0
    await ears.stop()
    print(line(f"{label} ({ears.connected} clients)", samples))
    print(f"  {'':<34} backend CPU {cpu * 100:5.1f} % of a core, {outputs} output events sent")
    return pct(samples, 0.95), cpu


def definitions(folder: Path) -> Path:
    write_work_guide(
        folder, "bench-talk", "Benchmark: talks", steps=50, latency=2.0, line_delay=1.0
    )
    (folder / "bench-ask.toml").write_text(
        'kind = "guide"\nid = "bench-ask"\ntitle = "Benchmark: a question"\n\n'
        '[[steps]]\ntitle = "Pick"\nautomation = "manual"\n'
        'prompt = { kind = "answer", question = "Which?", choices = ["red", "blue"] }\n'
    )
    return folder


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "defs").mkdir()
        setup = Setup(
            f"sqlite:///{root / 'bench.sqlite3'}",
            definitions(root / "defs"),
            secrets.token_hex(16),
            root,
        )
        try:
            replica = setup.spawn("solo")
            limits = httpx.Limits(max_connections=args.clients + 50)
            headers = {"Authorization": f"Bearer {setup.token}"}
            async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as http:
                runs = await start_runs(http, [replica], args.runs, "bench-talk")
                ids = [run["id"] for run in runs]
                print(f"{len(ids)} active runs printing a line a second; {args.probes} probes each")
                base_p95, base_cpu = await measure(http, replica, "baseline", 1, [], args.probes)
                for label, outputs in (("follow none", []), ("follow all", ids[:32])):
                    p95, cpu = await measure(
                        http, replica, label, args.clients, outputs, args.probes
                    )
                    ratio = p95 / base_p95 if base_p95 else float("nan")
                    cpu_ratio = cpu / max(base_cpu, 1e-9)
                    print(f"  {'':<34} p95 {ratio:5.1f}x the baseline's; CPU {cpu_ratio:5.1f}x")
        finally:
            setup.stop_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--probes", type=int, default=20)
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
