"""A separate process that syncs a cache, slowly: each page of the change feed is delayed, so a
test can kill it mid-sync or run two at once. Token from RUNS_TUI_TEST_TOKEN (never argv)."""

from __future__ import annotations

import argparse
import asyncio
import os

from client.faults import FaultTransport, delay

from runs_tui.cache import Cache
from runs_tui.client import RunsClient
from runs_tui.sync import Syncer


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cache")
    parser.add_argument("url")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    faults = FaultTransport().add(delay(args.delay), path="/runs/changes", times=None)
    with Cache.open(args.cache) as cache:
        async with RunsClient(
            args.url, os.environ["RUNS_TUI_TEST_TOKEN"], transport=faults
        ) as client:
            result = await Syncer(cache, client, page_size=args.page_size).sync_once()
    print(f"synced {len(result.changed)} runs in {result.pages} pages", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
