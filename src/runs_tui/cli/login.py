"""`login`: store a profile's token, checked against the backend first.

The token is never accepted as an argument (it would sit in shell history and `ps`) and never
printed; it is written only after one authenticated call succeeded, unless `--no-verify`.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from dataclasses import replace

from runs_tui import config
from runs_tui.cli.exit_codes import CliError, ExitCode
from runs_tui.cli.session import Context, client_for
from runs_tui.config import Profile


def read_token(prompt: str) -> str:
    """Never from argv (it would sit in shell history and `ps`): a hidden prompt on a terminal,
    else the first line of stdin (`pass show runs | runs-tui login`)."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt).strip()
    return sys.stdin.readline().strip()


def cmd_login(ctx: Context) -> int:
    name = (
        ctx.args.profile
        or ctx.env.get(config.PROFILE_ENV)
        or ctx.config.default_profile
        or "default"
    )
    if name == config.EMBEDDED_PROFILE:
        raise CliError("the embedded backend needs no login", ExitCode.USAGE)
    existing = ctx.config.profiles.get(name)
    url = ctx.args.url or (existing.url if existing else None)
    if not url:
        raise CliError(f"profile {name!r} is new: pass --url", ExitCode.USAGE)
    token = read_token(f"Token for {name} ({url}): ")
    if not token:
        raise CliError("no token given", ExitCode.USAGE)
    path = ctx.config.path
    document = config.store_token(config.read_for_edit(path), path, name, token, ctx.args.url)
    if not ctx.args.no_verify:
        stored = config.parse_document(config.plain(document), path).profiles[name]
        asyncio.run(verify_token(replace(stored, token=token)))
    config.save_document(path, document)
    ctx.say(f"logged in: profile {name!r} ({url}); token stored in {ctx.config.path} (mode 0600)")
    return ExitCode.OK


async def verify_token(profile: Profile) -> None:
    """One authenticated call, so a typo is caught now rather than at 3 a.m."""
    async with client_for(profile) as client:
        await client.changes(None, limit=1)
