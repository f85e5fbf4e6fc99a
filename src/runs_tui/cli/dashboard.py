"""The two long-running modes: the dashboard (the bare `runs-tui`) and `runs-tui backend`."""

from __future__ import annotations

import argparse

from runs_tui.cli.session import Context, actor_name, backend_origin, build_service


def cmd_dashboard(ctx: Context) -> int:
    """The dashboard owns the service's client from here (it closes it when it quits)."""
    from runs_tui.app import run_dashboard

    profile = ctx.profile()
    with backend_origin(profile, ctx.env) as reachable:
        service = build_service(reachable, ctx.env, actor_name(ctx.env))
        try:
            return int(run_dashboard(service, config=ctx.config, profile=reachable))
        finally:
            service.cache.close()


def cmd_backend(ctx: Context) -> int:
    """The reference backend, with its own options (passed through by `parse_args`)."""
    from runs_tui.backend.server import TOKEN_ENV, add_backend_arguments, run_backend_command

    parser = argparse.ArgumentParser(
        prog="runs-tui backend", description="Run the reference runs backend.",
        epilog=f"The API token comes from the environment, never the command line: set {TOKEN_ENV}. "
        "Without it, a loopback backend generates one and prints it on stderr; any other address "
        "refuses to start.",
    )
    add_backend_arguments(parser)
    return int(run_backend_command(parser.parse_args(ctx.args.backend_args)) or 0)
