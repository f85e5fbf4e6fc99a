"""RunWriter: a run's store calls run off the loop one after another, in the order made, and
a caller that gives up does not let the next call overtake the one it began."""

from __future__ import annotations

import asyncio
import threading

import pytest

from runs_tui.backend.writer import RunWriter


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
