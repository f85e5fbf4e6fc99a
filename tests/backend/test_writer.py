"""RunWriter: a run's store calls run off the loop one after another, in the order made, and
a caller that gives up does not let the next call overtake the one it began."""

from __future__ import annotations

import asyncio
import threading
from functools import partial
from pathlib import Path

import pytest

from runs_tui.backend.bus import Bus
from runs_tui.backend.clock import SystemClock
from runs_tui.backend.engine import Engine
from runs_tui.backend.store import RunStore, StaleWrite
from runs_tui.backend.writer import GroupCommitter, RunWriter
from runs_tui.models.domain import StartRunRequest, Trigger
from runs_tui.models.lifecycle import RunKind


class Recorder:
    """A fake store call that records when it ran, and can be held until released."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.began: list[str] = []
        self.threads: set[str] = set()
        self.gate = threading.Event()
        self.gate.set()

    def write(self, name: str) -> str:
        self.began.append(name)
        self.gate.wait(30)
        self.threads.add(threading.current_thread().name)
        self.calls.append(name)
        return name


async def test_one_runs_calls_run_in_order_on_a_thread_of_the_pool() -> None:
    writer, store = RunWriter(threads=4), Recorder()
    store.gate.clear()
    futures = [writer.submit("run-1", store.write, f"w{n}") for n in range(20)]
    store.gate.set()
    assert await asyncio.gather(*futures) == [f"w{n}" for n in range(20)]
    assert store.calls == [f"w{n}" for n in range(20)]
    assert all(name.startswith("engine-store") for name in store.threads)
    await writer.close()


async def test_a_read_queued_after_writes_sees_them_all() -> None:
    writer, store = RunWriter(threads=2), Recorder()
    for n in range(5):
        writer.submit("run-1", store.write, f"output {n}")
    seen = await writer.call("run-1", lambda: list(store.calls))
    assert seen == [f"output {n}" for n in range(5)]
    await writer.close()


async def test_a_cancelled_caller_does_not_let_the_next_call_overtake() -> None:
    writer, store = RunWriter(threads=4), Recorder()
    store.gate.clear()
    first = asyncio.ensure_future(writer.call("run-1", store.write, "driver save"))
    await asyncio.sleep(0.01)
    first.cancel()
    second = asyncio.ensure_future(writer.call("run-1", store.write, "cancel save"))
    await asyncio.sleep(0.05)
    assert store.began == ["driver save"]  # the second waits for the first, still running
    store.gate.set()
    assert await second == "cancel save"
    assert store.calls == ["driver save", "cancel save"]
    await writer.close()


async def test_a_failed_call_raises_to_its_caller_and_the_chain_goes_on() -> None:
    writer, store = RunWriter(threads=2), Recorder()

    def stale() -> None:
        raise LookupError("stale")

    with pytest.raises(LookupError):
        await writer.call("run-1", stale)
    assert await writer.call("run-1", store.write, "next") == "next"
    await writer.close()


async def test_inline_runs_each_call_at_once_on_the_loop() -> None:
    writer, store = RunWriter(threads=0), Recorder()
    future = writer.submit("run-1", store.write, "now")
    assert future.done() and store.calls == ["now"]
    assert store.threads == {threading.current_thread().name}
    await writer.close()


async def test_group_commit_runs_many_runs_calls_in_one_transaction_and_keeps_refusals_apart(
    tmp_path: Path,
) -> None:
    """On SQLite the writer commits what is queued together: the runs' writes all land, a
    refused one (stale version) changes nothing, and fewer commits than writes were made."""
    store = RunStore(f"sqlite:///{tmp_path / 'runs.db'}")
    store.create_schema()
    engine = Engine(store, Bus(), SystemClock(), write_threads=1)
    request = StartRunRequest(inputs={"host": "db-1"}, trigger=Trigger(actor="test"))
    runs = await asyncio.gather(
        *(engine.start_run(RunKind.FLOW, "database-health-check", request) for _ in range(30))
    )
    await engine.stop()  # drivers stop; what they wrote stays
    writer = RunWriter(threads=1, batch=store.batched)
    details = [store.get_run(run.id) for run in runs]
    stale = details[0].model_copy(update={"version": details[0].version - 1})
    saves = [
        writer.call(d.id, partial(store.save_run, d, [], expected_version=d.version))
        for d in details[1:]
    ]
    refused = writer.call(
        stale.id, partial(store.save_run, stale, [], expected_version=stale.version)
    )
    results = await asyncio.gather(*saves, refused, return_exceptions=True)
    assert isinstance(results[-1], StaleWrite)
    assert [store.get_run(d.id).version for d in details[1:]] == [
        d.version + 1 for d in details[1:]
    ]
    assert store.get_run(stale.id).version == details[0].version
    committer = writer._executor()
    assert isinstance(committer, GroupCommitter) and committer.rounds < len(saves)
    await writer.close()
    store.close()
