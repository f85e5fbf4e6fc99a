"""Demo history seeding throughput (runs/s) into a fresh SQLite database.

Measures `demo.seed_history` — templates spliced into raw rows, bulk-inserted by
`RunStore.seed_rows` — at 100k runs (with per-run events) and 1M runs (without), against a
baseline measured in the same run: the per-run pydantic path (a `RunDetail` built for every
run from the same templates, stored through `RunStore.seed_history`), which is how seeding
worked before the raw-row path. Figures are medians; on a shared machine read the ratio.

    .venv/bin/python benchmarks/bench_seed.py [--repeats 3] [--big 1000000] [--big-repeats 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from runs_tui.backend import demo
from runs_tui.backend.clock import FakeClock
from runs_tui.backend.definitions import DefinitionSet, load_definitions
from runs_tui.backend.store import RunStore
from runs_tui.models.domain import RunDetail, Step

SMALL = 100_000


def fresh_store(folder: str) -> RunStore:
    store = RunStore(f"sqlite:///{Path(folder) / 'backend.sqlite3'}")
    store.create_schema()
    return store


def pydantic_runs(definitions: DefinitionSet, now: datetime, count: int) -> Iterator[RunDetail]:
    """The baseline's runs: a `RunDetail` per run, copied from a weighted template, with its
    own id, and its times moved to a creation within the last 30 days (in creation order)."""
    rng = random.Random(20260101)
    templates = [t for d in definitions.all() for t in demo._templates(d, definitions.tools)]
    picks = rng.choices([t.run for t in templates], weights=[t.weight for t in templates], k=count)
    span = timedelta(days=demo.HISTORY_DAYS) - timedelta(hours=1)
    with_events = count <= demo.EVENTS_UP_TO
    for index, (base, fraction) in enumerate(
        zip(picks, sorted(rng.random() for _ in range(count)))
    ):
        delta = now - span * (1 - fraction) - timedelta(hours=1) - base.created_at
        yield base.model_copy(
            update={
                "id": f"h{index:07d}{rng.getrandbits(40):010x}",
                "created_at": base.created_at + delta,
                "updated_at": base.updated_at + delta,
                "started_at": _moved(base.started_at, delta),
                "finished_at": _moved(base.finished_at, delta),
                "steps": [_moved_step(s, delta) for s in base.steps],
                "events": [e.model_copy(update={"at": e.at + delta}) for e in base.events]
                if with_events
                else [],
            }
        )


def _moved(moment: datetime | None, delta: timedelta) -> datetime | None:
    return None if moment is None else moment + delta


def _moved_step(step: Step, delta: timedelta) -> Step:
    return step.model_copy(
        update={
            "started_at": _moved(step.started_at, delta),
            "finished_at": _moved(step.finished_at, delta),
        }
    )


def timed(seed: Callable[[RunStore], int], count: int) -> float:
    """Runs/s of one seed into a fresh database."""
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as folder:
        store = fresh_store(folder)
        started = time.perf_counter()
        assert seed(store) == count
        elapsed = time.perf_counter() - started
        assert store.count_runs() == count and store.max_seq() == count
        store.close()
    return count / elapsed


def median(seed: Callable[[RunStore], int], count: int, repeats: int) -> tuple[float, list[float]]:
    rates = [timed(seed, count) for _ in range(repeats)]
    return statistics.median(rates), rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats at 100k (default 3)")
    parser.add_argument(
        "--big", type=int, default=1_000_000, help="the large seed (default 1,000,000; 0 skips)"
    )
    parser.add_argument("--big-repeats", type=int, default=1)
    args = parser.parse_args()
    definitions = load_definitions()
    clock = FakeClock()

    def old_path(count: int) -> Callable[[RunStore], int]:
        return lambda store: store.seed_history(pydantic_runs(definitions, clock.now(), count))

    def new_path(count: int) -> Callable[[RunStore], int]:
        return lambda store: demo.seed_history(store, clock, count, definitions)

    baseline, rates = median(old_path(SMALL), SMALL, args.repeats)
    print(
        f"baseline  per-run pydantic RunDetail + RunStore.seed_history, {SMALL:>9,} runs: "
        f"{baseline:>8,.0f} runs/s "
        f"(median of {args.repeats}: {', '.join(f'{r:,.0f}' for r in rates)})"
    )
    rate, rates = median(new_path(SMALL), SMALL, args.repeats)
    print(
        f"raw rows  demo.seed_history (spliced templates, executemany), {SMALL:>9,} runs: "
        f"{rate:>8,.0f} runs/s (median of {args.repeats}: {', '.join(f'{r:,.0f}' for r in rates)}; "
        f"{rate / baseline:.2f}x baseline)"
    )
    if args.big:
        rate, rates = median(new_path(args.big), args.big, args.big_repeats)
        print(
            f"raw rows  demo.seed_history (no per-run events),            {args.big:>9,} runs: "
            f"{rate:>8,.0f} runs/s "
            f"(median of {args.big_repeats}: {', '.join(f'{r:,.0f}' for r in rates)}; "
            f"{rate / baseline:.2f}x baseline; {args.big / rate:.1f} s)"
        )


if __name__ == "__main__":
    main()
