"""The two long-running modes: the dashboard (the bare `runs-tui`) and `runs-tui backend`."""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any

from runs_tui.cli.exit_codes import CliError, ExitCode
from runs_tui.cli.session import (
    DASHBOARD_CLIENT,
    Context,
    actor_name,
    backend_origin,
    build_service,
)

NEEDS_TERMINAL = (
    "the dashboard needs a terminal (use `ssh -t`, or `runs-tui runs list` for scripts)"
)


def cmd_dashboard(ctx: Context) -> int:
    """The dashboard owns the service's client from here (it closes it when it quits).

    It refuses to start without a terminal before anything is started, and it ends (stopping
    the embedded backend on the way out) when the terminal goes away."""
    if needs_terminal(sys.stdin, sys.stdout):
        raise CliError(NEEDS_TERMINAL, ExitCode.USAGE)
    from runs_tui.app import make_app
    from runs_tui.terminal_loss import run_app
    from runs_tui.ui_state import StateFile

    profile = ctx.profile()
    with backend_origin(profile, ctx.env) as reachable:
        service = build_service(
            reachable,
            ctx.env,
            actor_name(ctx.env),
            defer_client=True,
            client_name=DASHBOARD_CLIENT,
        )
        try:
            state = StateFile.default(ctx.env)
            return run_app(make_app(service, config=ctx.config, profile=reachable, state=state))
        finally:
            service.cache.close()


def needs_terminal(stdin: IO[Any] | None, stdout: IO[Any] | None) -> bool:
    """True when the dashboard cannot run here: a full-screen app on a pipe writes escape
    sequences into it and waits for keys that never come (`ssh host runs-tui` without -t)."""
    return not (_is_tty(stdin) and _is_tty(stdout))


def _is_tty(stream: IO[Any] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):  # a closed stream
        return False


def cmd_backend(ctx: Context) -> int:
    """The reference backend, with its own options (passed through by `parse_args`)."""
    from runs_tui.backend.server import TOKEN_ENV, add_backend_arguments, run_backend_command

    parser = argparse.ArgumentParser(
        prog="runs-tui backend",
        description="Run the reference runs backend.",
        epilog=(
            "The API token comes from the environment, never the command line: "
            f"set {TOKEN_ENV}. Without it, a loopback backend generates one and prints it on "
            "stderr; any other address refuses to start."
        ),
    )
    add_backend_arguments(parser)
    return int(run_backend_command(parser.parse_args(ctx.args.backend_args)) or 0)
