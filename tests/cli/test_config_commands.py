"""`runs-tui config path|show|set|keys` and `runs-tui login` through the real `main(argv)`."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from cli.conftest import CliRunner
from runs_tui import config as cfg
from runs_tui.cli import ExitCode


def test_config_path_prints_the_file_under_the_config_dir(
    cli: CliRunner, config_file: Path
) -> None:
    result = cli("config", "path")
    assert (result.code, result.out, result.err) == (0, f"{config_file}\n", "")


def test_config_set_writes_a_private_file_and_show_reads_it_back(
    cli: CliRunner, config_file: Path
) -> None:
    assert cli("config", "set", "profiles.prod.url", "https://prod.example.com").code == 0
    assert cli("config", "set", "theme", "nord").code == 0
    assert cli("config", "set", "profiles.prod.tls.verify", "false").code == 0
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_file.parent.stat().st_mode) == 0o700
    shown = cli("config", "show")
    assert shown.code == 0 and shown.err == ""
    assert 'theme = "nord"' in shown.out and "verify = false" in shown.out
    assert "# active profile: prod (https://prod.example.com)" in shown.out


COMMENTED = """\
# runs-tui, by hand; kept in git

default_profile = "prod"  # the one we page on

# production, EU
[profiles.prod]
url = "https://prod.example.com"   # behind the VPN
token_env = "RUNS_PROD_TOKEN"
tls = { verify = true }  # corp CA

[keymap]
# muscle memory from k9s
"runs.filter" = "f5"
"""


def test_config_set_and_login_change_their_key_and_keep_every_other_byte(
    cli: CliRunner, config_file: Path
) -> None:
    config_file.parent.mkdir(mode=0o700)
    config_file.write_text(COMMENTED)
    config_file.chmod(0o600)
    assert cli("config", "set", "profiles.prod.tls.verify", "false").code == 0
    assert cli("config", "set", "keymap.runs.filter", "f6").code == 0
    assert cli("config", "set", "profiles.prod.refresh_interval", "7").code == 0
    expected = (
        COMMENTED.replace("{ verify = true }", "{ verify = false }")
        .replace('"runs.filter" = "f5"', '"runs.filter" = "f6"')
        .replace("tls = {", "refresh_interval = 7.0\ntls = {")
    )
    lines = config_file.read_text().splitlines()
    assert [line for line in lines if "refresh_interval" not in line] == [
        line for line in expected.splitlines() if "refresh_interval" not in line
    ]
    assert "refresh_interval = 7.0" in lines
    login = cli(
        "login",
        "--profile",
        "stage",
        "--url",
        "https://stage.example.com",
        "--no-verify",
        stdin="stage-token\n",
    )
    assert login.code == 0, login.err
    after_login = config_file.read_text()
    for line in lines:
        assert line in after_login.splitlines()
    assert '[profiles.stage]\nurl = "https://stage.example.com"\ntoken = "stage-token"' in (
        after_login
    )
    assert "[profiles]\n" not in after_login  # no empty header above the new profile
    assert cfg.load_config(config_file).profiles["prod"].tls.verify is False


def test_a_new_file_gets_tables_without_empty_headers(cli: CliRunner, config_file: Path) -> None:
    assert cli("config", "set", "profiles.prod.url", "https://prod.example.com").code == 0
    assert cli("config", "set", "profiles.prod.tls.verify", "false").code == 0
    assert cli("config", "set", "keymap.runs.filter", "f5").code == 0
    assert config_file.read_text() == (
        '[profiles.prod]\nurl = "https://prod.example.com"\n\n'
        "[profiles.prod.tls]\nverify = false\n\n"
        '[keymap]\n"runs.filter" = "f5"\n'
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("config", "set", "profiles.prod.token", "s3cret"), "runs-tui login"),
        (("config", "set", "nonsense", "1"), "not a key"),
        (("config", "set", "profiles.prod.url", "ftp://x"), "profiles.prod.url"),
    ],
)
def test_config_set_refusals_exit_2_and_write_nothing(
    cli: CliRunner, config_file: Path, argv: tuple[str, ...], message: str
) -> None:
    result = cli(*argv)
    assert result.code == ExitCode.USAGE and message in result.err and result.out == ""
    assert not config_file.exists()


def test_a_bad_config_file_is_named_with_its_key_and_exits_2(
    cli: CliRunner, config_file: Path
) -> None:
    config_file.parent.mkdir(mode=0o700)
    config_file.write_text("[profiles.prod]\nurl = 42\n")
    os.chmod(config_file, 0o600)
    result = cli("config", "show")
    assert result.code == ExitCode.USAGE
    assert f"{config_file}: profiles.prod.url:" in result.err


def test_a_readable_config_draws_a_warning_with_the_fix(cli: CliRunner, config_file: Path) -> None:
    cli("config", "set", "theme", "nord")
    os.chmod(config_file, 0o644)
    result = cli("config", "path")
    assert result.code == 0 and result.out == f"{config_file}\n"
    assert f"chmod 600 {config_file}" in result.err


def test_show_masks_the_token_and_mentions_environment_overrides(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        cli(
            "login",
            "--profile",
            "prod",
            "--url",
            "https://prod.example.com",
            "--no-verify",
            stdin="file-secret\n",
        ).code
        == 0
    )
    monkeypatch.setenv(cfg.TOKEN_ENV, "env-secret")
    shown = cli("config", "show")
    assert "file-secret" not in shown.out + shown.err and "env-secret" not in shown.out + shown.err
    assert cfg.TOKEN_MASK in shown.out and cfg.TOKEN_ENV in shown.out


def test_show_names_the_embedded_backend_when_nothing_is_configured(cli: CliRunner) -> None:
    assert "# active profile: embedded (embedded demo backend)" in cli("config", "show").out


def test_an_unknown_profile_exits_2(cli: CliRunner) -> None:
    cli("config", "set", "profiles.prod.url", "https://prod.example.com")
    result = cli("config", "show", "--profile", "qa")
    assert result.code == ExitCode.USAGE and "'qa'" in result.err


def test_a_missing_token_variable_exits_6(cli: CliRunner) -> None:
    cli("config", "set", "profiles.prod.url", "https://prod.example.com")
    cli("config", "set", "profiles.prod.token_env", "PROD_TOKEN_FOR_TEST")
    result = cli("config", "show")
    assert result.code == ExitCode.UNAUTHORIZED and "$PROD_TOKEN_FOR_TEST" in result.err


def test_login_takes_no_token_argument(cli: CliRunner) -> None:
    result = cli("login", "--url", "https://x.example", "--token", "abc")
    assert result.code == ExitCode.USAGE and "unrecognized arguments" in result.err


def test_login_needs_a_url_for_a_new_profile(cli: CliRunner) -> None:
    result = cli("login", "--profile", "fresh", stdin="tok\n")
    assert result.code == ExitCode.USAGE and "--url" in result.err


def test_login_refuses_an_empty_token(cli: CliRunner, config_file: Path) -> None:
    result = cli("login", "--url", "https://x.example", stdin="\n")
    assert result.code == ExitCode.USAGE and not config_file.exists()


def test_config_keys_lists_every_binding_with_the_keymap_applied(
    cli: CliRunner, config_file: Path
) -> None:
    assert cli("config", "set", "keymap.runs.filter", "f5").code == 0
    assert cfg.load_config(config_file).keymap == {"runs.filter": "f5"}
    table = cli("config", "keys")
    assert table.code == 0 and table.err == ""
    lines = table.out.splitlines()
    assert lines[0].split() == ["ID", "KEYS", "ACTION", "WHERE"]
    assert lines[1:] == sorted(lines[1:])
    assert any(line.split()[:3] == ["runs.filter", "f5", "*"] for line in lines)
    assert any(line.split()[:2] == ["list.down", "down,j"] for line in lines)
    listed = json.loads(cli("config", "keys", "--format", "json").out)
    entry = next(e for e in listed if e["id"] == "runs.filter")
    assert entry == {
        "id": "runs.filter",
        "keys": "f5",
        "default_keys": "f",
        "description": "Filter",
        "where": "RunsScreen",
    }


def test_config_set_refuses_a_binding_id_that_does_not_exist(
    cli: CliRunner, config_file: Path
) -> None:
    result = cli("config", "set", "keymap.runs.filtr", "f5")
    assert result.code == ExitCode.USAGE and "config keys" in result.err
    assert not config_file.exists()
