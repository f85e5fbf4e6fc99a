"""CLI start: `runs-tui runs list --offline --limit 20` on a 60k-run cache, whole process,
against the import floor `python -c "import httpx, sqlalchemy, pydantic"`.

Scripts call the CLI in loops, so what it pays before its query is paid each time. The floor
is what any Python tool built on the same libraries pays just to import them; the command
should cost at most 1.2× that (it needs no httpx nor SQLAlchemy at all on this path, so it
can be cheaper). The cache is bulk-loaded the way `bench_cache.py` builds its big cache, with
the runs spread over the last 30 days up to now, so the default filter (last 24 hours +
active) has rows to print.

After one warm-up of each (not counted), --repeats runs of each, alternating; medians of the
wall time and of the CPU time the process used (user + system, from the kernel's child
accounting: on a loaded machine the wall time swings with the other processes, the CPU time
much less), and the ratios.

`--before DIR` also times the same command from another tree's `src/` (e.g. `git archive
<commit> src | tar -x -C DIR`, then `--before DIR/src`), in the same alternation, so a change
is measured against what it replaced on the same machine at the same moment.

    .venv/bin/python benchmarks/bench_cli_startup.py [--runs 60000] [--repeats 7] [--before DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cache

from runs_tui import config as cfg
from runs_tui import user_dirs
from runs_tui.cache import Cache, cache_path_for
from runs_tui.config import load_config, resolve_profile

FLOOR = [sys.executable, "-c", "import httpx, sqlalchemy, pydantic"]
COMMAND = [
    str(Path(sys.executable).with_name("runs-tui")),
    "runs",
    "list",
    "--offline",
    "--limit",
    "20",
]
# The console script's own code, for a tree given by PYTHONPATH (the script binds this one).
BEFORE_COMMAND = [
    sys.executable,
    "-c",
    "import sys; from runs_tui.cli import main; sys.exit(main(sys.argv[1:]))",
    *COMMAND[1:],
]
GOAL = 1.2


def environment(folder: Path) -> dict[str, str]:
    """Private config/cache/data dirs and a backend URL nobody answers (the command is offline)."""
    return {
        **os.environ,
        user_dirs.CONFIG_DIR_ENV: str(folder / "config"),
        user_dirs.STATE_DIR_ENV: str(folder / "state"),
        user_dirs.CACHE_DIR_ENV: str(folder / "cache"),
        user_dirs.DATA_DIR_ENV: str(folder / "data"),
        cfg.URL_ENV: "http://127.0.0.1:9",
        cfg.TOKEN_ENV: "bench-token-0123456789",
    }


def build_cache(env: dict[str, str], runs: int) -> Path:
    """The profile's cache file, bulk-loaded with `runs` runs ending now."""
    profile = resolve_profile(load_config(None, env), None, env)
    directory = user_dirs.cache_dir(env)
    directory.mkdir(parents=True, exist_ok=True)
    path = cache_path_for(profile.cache_name, directory)
    bench_cache.NOW = datetime.now(UTC)
    with Cache.open(path) as cache:
        cache.begin_bulk_load()
        for page in bench_cache.pages(runs, 20_000):
            cache.apply_changes(page)
        cache.finish_bulk_load()
    return path


def seconds(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole run of `command`."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}): {done.stderr}")
    return elapsed, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report(label: str, samples: list[tuple[float, float]]) -> tuple[float, float]:
    wall = statistics.median(sample[0] for sample in samples)
    cpu = statistics.median(sample[1] for sample in samples)
    print(f"{label:<44} wall {wall:.3f} s   CPU {cpu:.3f} s   (medians of {len(samples)})")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--before", type=Path, help="a src/ tree to time the command from too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(Path(tmp))
        path = build_cache(env, args.runs)
        print(f"cache: {args.runs:,} runs, {path.stat().st_size / 2**20:,.0f} MiB")
        listed = subprocess.run(COMMAND, env=env, capture_output=True, text=True, check=True)
        print(f"command prints {len(listed.stdout.splitlines())} lines")
        seconds(FLOOR, env)  # warm-up, as the command's first run above was
        before_env = {**env, "PYTHONPATH": str(args.before)} if args.before else None
        floor: list[tuple[float, float]] = []
        command: list[tuple[float, float]] = []
        before: list[tuple[float, float]] = []
        for _ in range(args.repeats):
            floor.append(seconds(FLOOR, env))
            command.append(seconds(COMMAND, env))
            if before_env:
                before.append(seconds(BEFORE_COMMAND, before_env))
    floor_wall, floor_cpu = report("import floor (httpx, sqlalchemy, pydantic)", floor)
    wall, cpu = report("runs-tui runs list --offline --limit 20", command)
    print(f"ratio: wall {wall / floor_wall:.2f}x, CPU {cpu / floor_cpu:.2f}x (goal <= {GOAL}x)")
    if before:
        old_wall, old_cpu = report(f"the same from {args.before}", before)
        print(f"  its ratio: wall {old_wall / floor_wall:.2f}x, CPU {old_cpu / floor_cpu:.2f}x")


if __name__ == "__main__":
    main()
