"""`runs-tui login` against the real backend: the token is checked before it is stored."""

from __future__ import annotations

import socket
import stat
import tomllib
from pathlib import Path
from typing import Any

from cli.conftest import CliRunner
from runs_tui.cli import ExitCode


def test_login_reads_the_token_from_stdin_checks_it_and_stores_it(
    cli: CliRunner, live_backend: Any, config_file: Path
) -> None:
    result = cli(
        "login", "--profile", "local", "--url", live_backend.url, stdin=live_backend.token + "\n"
    )
    assert result.code == 0, result.err
    assert live_backend.token not in result.out + result.err
    stored = tomllib.loads(config_file.read_text())
    assert stored["profiles"]["local"] == {"url": live_backend.url, "token": live_backend.token}
    assert stored["default_profile"] == "local"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600


def test_login_with_a_wrong_token_exits_6_and_stores_nothing(
    cli: CliRunner, live_backend: Any, config_file: Path
) -> None:
    result = cli("login", "--url", live_backend.url, stdin="wrong-token\n")
    assert result.code == ExitCode.UNAUTHORIZED and "unauthorized" in result.err
    assert not config_file.exists()


def test_login_to_an_unreachable_backend_exits_5(cli: CliRunner, config_file: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli("login", "--url", f"http://127.0.0.1:{port}", stdin="tok\n")
    assert result.code == ExitCode.UNREACHABLE and not config_file.exists()


def test_login_refuses_plain_http_to_a_remote_host(cli: CliRunner, config_file: Path) -> None:
    result = cli("login", "--url", "http://runs.example.com", stdin="tok\n")
    assert result.code == ExitCode.USAGE and "http" in result.err
    assert not config_file.exists()
