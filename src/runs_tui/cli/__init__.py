"""The `runs-tui` command line: the dashboard, and `gh run`-style commands for scripts.

stdout carries data only (tables, JSON, CSV, ids); every diagnostic goes to stderr, so
`runs-tui runs list --format json | jq` never sees a warning. Exit codes are part of the
interface (see `ExitCode` and the README's exit codes): scripts branch on "not found" vs
"unreachable". Backend text printed in tables passes through `sanitize.inert`, so a run name
cannot drive the operator's terminal. The token is never accepted as an argument and never
printed.

`main` is the console-script entry (`runs_tui.cli:main`); the commands live in the modules of
this package, their options in `parser`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence

from runs_tui import config, exports, run_ids
from runs_tui.cli.exit_codes import CliError, ExitCode, exit_code_for
from runs_tui.cli.parser import parse_args
from runs_tui.cli.session import Context
from runs_tui.config import ConfigError, MissingToken
from runs_tui.errors import ClientError
from runs_tui.sanitize import inert

__all__ = ["CliError", "ExitCode", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every known failure becomes a one-line message and its exit code."""
    try:
        args = parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    env = dict(os.environ)
    try:
        loaded = config.load_config(config.config_path(env), env)
        for warning in loaded.warnings:
            print(warning, file=sys.stderr)
        return int(args.handler(Context(args, loaded, env)))
    except MissingToken as error:
        return _fail(str(error), ExitCode.UNAUTHORIZED)
    except ConfigError as error:
        return _fail(str(error), ExitCode.USAGE)
    except CliError as error:
        return _fail(str(error), error.code)
    except ClientError as error:
        return _fail(error.explain(), exit_code_for(error))
    except run_ids.AmbiguousRunId as error:
        return _fail(str(error), ExitCode.AMBIGUOUS)
    except run_ids.RunIdNotFound as error:
        return _fail(str(error), ExitCode.NOT_FOUND)
    except exports.DetailNotCached as error:
        return _fail(f"run {error} has no cached detail", ExitCode.NOT_FOUND)
    except KeyboardInterrupt:
        return _fail("interrupted", ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """`runs-tui runs list | head`: the reader has all it wanted. Quiet, like git and gh: no
    traceback, and no "Exception ignored" when Python flushes stdout at exit (stdout is pointed
    at /dev/null for that final flush). The exit code is git's: 128 + SIGPIPE."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return int(ExitCode.BROKEN_PIPE)


def _fail(message: str, code: ExitCode) -> int:
    print(f"runs-tui: {inert(message)}", file=sys.stderr)
    return int(code)
