"""The session a command works in: its parsed arguments and configuration, and one profile's
cache, client, syncer and service, started for the command and torn down after it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from runs_tui import config
from runs_tui.cli.exit_codes import CliError, ExitCode
from runs_tui.config import Profile
from runs_tui.errors import ClientError

if TYPE_CHECKING:
    from runs_tui.client import RunsClient
    from runs_tui.service import RunsService


@dataclass
class Context:
    """What every command handler gets: stdout is for data only, `say` is for diagnostics."""

    args: argparse.Namespace
    config: config.Config
    env: dict[str, str]

    @property
    def stdout(self) -> TextIO:
        return sys.stdout

    @property
    def stderr(self) -> TextIO:
        return sys.stderr

    def say(self, message: str) -> None:
        print(message, file=self.stderr)

    def profile(self) -> Profile:
        return config.resolve_profile(self.config, self.args.profile, self.env)


@contextlib.contextmanager
def backend_origin(profile: Profile, env: dict[str, str]) -> Iterator[Profile]:
    """The profile with a reachable URL: the embedded backend is started for the block."""
    if not profile.is_embedded:
        yield profile
        return
    from runs_tui.backend.server import BackendRefused
    from runs_tui.embedded import embedded_backend

    with contextlib.ExitStack() as stack:
        try:
            backend = stack.enter_context(embedded_backend(env, identity=actor_name(env)))
        except BackendRefused as refusal:  # another runs-tui serves the embedded database
            raise CliError(
                f"{refusal}; close the other runs-tui, "
                "or name a backend (RUNS_TUI_URL or a profile)",
                ExitCode.UNREACHABLE,
            ) from None
        yield replace(profile, url=backend.url, token=backend.token)


CLI_CLIENT = "cli"
DASHBOARD_CLIENT = "dashboard"


def client_for(profile: Profile, client_name: str = CLI_CLIENT) -> RunsClient:
    """A client with the profile's URL, token and TLS settings (the URL must be known).
    `client_name` is what the backend's audit records as the program (`X-Runs-Client`)."""
    from runs_tui.client import RunsClient

    assert profile.url is not None
    return RunsClient(
        profile.url,
        profile.token,
        verify=profile.tls.verify,
        ca_path=str(profile.tls.ca_bundle) if profile.tls.ca_bundle else None,
        allow_insecure_http=profile.tls.allow_insecure_http,
        client_name=client_name,
    )


def build_service(
    profile: Profile,
    env: dict[str, str],
    actor: str,
    *,
    defer_client: bool = False,
    client_name: str = CLI_CLIENT,
) -> RunsService:
    """Cache + client + syncer + service for a profile whose URL is known. Nothing here awaits,
    so the dashboard can build it before its own event loop starts. `defer_client`: the
    service makes the client when it first needs it (the dashboard, after its first frame),
    so httpx is not imported before then (a refused URL is then reported by the dashboard,
    which keeps showing the cache, instead of here: no request is made either way)."""
    from runs_tui.cache import Cache, CacheTooNew
    from runs_tui.service import RunsService

    client = None if defer_client else client_for(profile, client_name)
    try:
        cache = Cache.open(cache_file(profile, env))
    except CacheTooNew as error:
        raise CliError(str(error), ExitCode.USAGE) from error
    return RunsService(
        cache,
        client,
        connect=lambda: client_for(profile, client_name),
        profile_label=profile.name,
        backend_label="embedded demo backend" if profile.is_embedded else profile.url,
        refresh_interval=profile.refresh_interval,
        actor=actor,
    )


@contextlib.asynccontextmanager
async def open_service(
    profile: Profile, env: dict[str, str], actor: str, *, defer_client: bool = False
) -> AsyncIterator[RunsService]:
    """`build_service` for one `async with` block: the client and the cache are closed after."""
    service = build_service(profile, env, actor, defer_client=defer_client)
    try:
        yield service
    finally:
        await service.aclose()
        service.cache.close()


def cache_file(profile: Profile, env: dict[str, str]) -> Path:
    """One cache file per backend under the user cache dir (RUNS_TUI_CACHE_DIR in tests)."""
    from runs_tui import user_dirs
    from runs_tui.cache import cache_path_for

    directory = user_dirs.cache_dir(env)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return cache_path_for(profile.cache_name, directory)


def actor_name(env: dict[str, str]) -> str:
    """Who answers and cancels: recorded by the backend as `answered_by`."""
    with contextlib.suppress(Exception):
        return env.get("RUNS_TUI_ACTOR") or getpass.getuser()
    return "cli"


def run_with_service(
    ctx: Context, work: Callable[[RunsService], Any], *, cache_only: bool = False
) -> int:
    """Start what the profile needs (the embedded backend, a client), run `work`, tear down.

    `cache_only` (a reading command's `--offline`): `work` answers from the cache, so neither
    the embedded backend nor a client is started, and the command does not pay for importing
    them (scripts call `runs list --offline` in loops). The client is still made on demand,
    should `work` need it after all."""
    profile = ctx.profile()

    async def session(reachable: Profile) -> int:
        actor = actor_name(ctx.env)
        async with open_service(reachable, ctx.env, actor, defer_client=cache_only) as service:
            return int(await work(service))

    if cache_only:
        return asyncio.run(session(profile))
    with backend_origin(profile, ctx.env) as reachable:
        return asyncio.run(session(reachable))


async def quick_sync(ctx: Context, service: RunsService) -> None:
    """Bring the cache up to date before answering from it; on failure answer anyway, say so."""
    if ctx.args.offline:
        return
    try:
        await service.sync_now()
    except ClientError as error:
        status = service.sync_status()
        last = status.last_synced.isoformat(timespec="seconds") if status.last_synced else "never"
        ctx.say(
            f"warning: could not sync ({error.explain()}); "
            f"answering from the cache (last synced: {last})"
        )
