"""Configuration: file location, strict validation, permissions, precedence, writes."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runs_tui import config as cfg
from runs_tui import user_dirs
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus, StatusGroup


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {user_dirs.CONFIG_DIR_ENV: str(tmp_path / "conf")}


def write(env: dict[str, str], text: str, mode: int = 0o600) -> Path:
    path = cfg.config_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path


PROD = '[profiles.prod]\nurl = "https://prod.example.com"\ntoken = "prod-secret"\n'
STAGE = '[profiles.stage]\nurl = "https://stage.example.com"\ntoken_env = "STAGE_TOKEN"\n'


def test_the_config_dir_follows_the_environment_variable(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert cfg.config_path(env) == tmp_path / "conf" / "config.toml"
    assert user_dirs.cache_dir({user_dirs.CACHE_DIR_ENV: "/x/c"}) == Path("/x/c")
    assert user_dirs.data_dir({user_dirs.DATA_DIR_ENV: "/x/d"}) == Path("/x/d")
    assert user_dirs.state_dir({user_dirs.STATE_DIR_ENV: "/x/s"}) == Path("/x/s")


def test_without_overrides_each_folder_is_the_platformdirs_one_of_its_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    assert user_dirs.state_dir({}) == tmp_path / "xdg-state" / "runs-tui"
    assert user_dirs.cache_dir({}) == tmp_path / "xdg-cache" / "runs-tui"
    assert user_dirs.config_dir({}).name == user_dirs.data_dir({}).name == "runs-tui"


def test_a_missing_file_is_an_empty_config_and_means_the_embedded_backend(
    env: dict[str, str],
) -> None:
    config = cfg.load_config(env=env)
    assert config.profiles == {} and config.warnings == ()
    assert cfg.resolve_profile(config, None, env).is_embedded


def test_a_full_profile_is_read(env: dict[str, str]) -> None:
    write(
        env,
        """
theme = "nord"
default_profile = "prod"
[profiles.prod]
url = "https://prod.example.com"
token = "t"
refresh_interval = 2
tls = { verify = false, ca_bundle = "/etc/ca.pem", allow_insecure_http = true }
notifications = { toast = false, bell = true }
default_filter = { statuses = ["failed", "Cancelled"], kind = "flow", time = "7d", name = "db" }
""",
    )
    config = cfg.load_config(env=env)
    prod = config.profiles["prod"]
    assert config.theme == "nord" and config.default_profile == "prod"
    assert prod.refresh_interval == 2.0
    assert prod.tls == cfg.TlsOptions(
        verify=False, ca_bundle=Path("/etc/ca.pem"), allow_insecure_http=True
    )
    assert prod.notifications == cfg.Notifications(toast=False, bell=True)
    assert prod.default_filter == RunFilter(
        statuses=StatusGroup.FAILED.statuses | {RunStatus.CANCELLED},
        kind=RunKind.FLOW,
        time=TimeRange(TimePreset.LAST_7D),
        name="db",
    )


def refusal(env: dict[str, str], text: str) -> str:
    """The message `load_config` refuses `text` with (written as the config file first)."""
    write(env, text)
    with pytest.raises(cfg.ConfigError) as caught:
        cfg.load_config(env=env)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("colour = 1", "colour"),
        ("theme = 3", "theme"),
        ('default_profile = "nope"', "default_profile"),
        ('[profiles.p]\nurl = "ftp://x"', "profiles.p.url"),
        ("[profiles.p]\nrefresh_interval = 1", "profiles.p.url"),
        (
            '[profiles.p]\nurl = "https://x"\nrefresh_interval = "fast"',
            "profiles.p.refresh_interval",
        ),
        ('[profiles.p]\nurl = "https://x"\nrefresh_interval = -1', "profiles.p.refresh_interval"),
        ('[profiles.p]\nurl = "https://x"\ntoken = "a"\ntoken_env = "B"', "profiles.p.token_env"),
        ('[profiles.p]\nurl = "https://x"\ntoken_env = "not a name"', "profiles.p.token_env"),
        ('[profiles.p]\nurl = "https://x"\ntls = { verify = "yes" }', "profiles.p.tls.verify"),
        ('[profiles.p]\nurl = "https://x"\ntls = { pin = true }', "profiles.p.tls.pin"),
        (
            '[profiles.p]\nurl = "https://x"\nnotifications = { bell = 1 }',
            "profiles.p.notifications.bell",
        ),
        (
            '[profiles.p]\nurl = "https://x"\ndefault_filter = { statuses = ["bogus"] }',
            "profiles.p.default_filter.statuses",
        ),
        (
            '[profiles.p]\nurl = "https://x"\ndefault_filter = { time = "1y" }',
            "profiles.p.default_filter.time",
        ),
        (
            '[profiles.p]\nurl = "https://x"\nlast_filter = { from = "yesterday" }',
            "profiles.p.last_filter.from",
        ),
        ('[profiles.p]\nurl = "https://user:pw@x"', "profiles.p.url"),
        ('[profiles.embedded]\nurl = "https://x"', "profiles.embedded"),
        ('[embedded]\nurl = "https://x"', "embedded.url"),
        ("profiles = 3", "profiles"),
        ('keymap = "f5"', "keymap"),
        ('[keymap]\n"runs.filter" = 5', "keymap.runs.filter"),
        ('[keymap]\n"runs.filter" = "j,,k"', "keymap.runs.filter"),
        ('[keymap.runs]\nfilter = " "', "keymap.runs.filter"),
    ],
)
def test_a_bad_value_names_the_file_and_the_key(env: dict[str, str], text: str, key: str) -> None:
    assert refusal(env, text).startswith(f"{cfg.config_path(env)}: {key}: ")


URL = '[profiles.p]\nurl = "https://x"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "colour = 1",
            "colour: unknown key (expected one of default_profile, embedded, "
            "keymap, profiles, theme)",
        ),
        (
            URL + "tls = { pin = true }",
            "profiles.p.tls.pin: unknown key (expected one of allow_insecure_http, ca_bundle, "
            "verify)",
        ),
        (
            URL + "default_filter = { colour = 1 }",
            "profiles.p.default_filter.colour: unknown key (expected one of descending, from, "
            "kind, name, sort, statuses, time, to)",
        ),
        (
            '[embedded]\ntoken = "t"',
            "embedded.token: unknown key (expected one of compare_default_masks, "
            "compare_masks, default_filter, last_filter, notifications, refresh_interval)",
        ),
    ],
)
def test_an_unknown_key_is_named_with_the_keys_its_table_takes(
    env: dict[str, str], text: str, message: str
) -> None:
    assert refusal(env, text) == f"{cfg.config_path(env)}: {message}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (URL + "refresh_interval = true", "profiles.p.refresh_interval: must be a number"),
        (URL + 'refresh_interval = "5"', "profiles.p.refresh_interval: must be a number"),
        (URL + "tls = 3", "profiles.p.tls: must be a table"),
        (URL + "tls = { verify = 1 }", "profiles.p.tls.verify: must be true or false"),
        (URL + "default_filter = { name = 3 }", "profiles.p.default_filter.name: must be a string"),
        (
            URL + 'default_filter = { descending = "no" }',
            "profiles.p.default_filter.descending: must be true or false",
        ),
        ("[profiles]\np = 3", "profiles.p: must be a table"),
        ("theme = true", "theme: must be a string"),
        ('[profiles.p]\nurl = ["https://x"]', "profiles.p.url: must be a string"),
    ],
)
def test_a_value_of_the_wrong_toml_type_is_refused_not_converted(
    env: dict[str, str], text: str, message: str
) -> None:
    assert refusal(env, text) == f"{cfg.config_path(env)}: {message}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[profiles."prod eu"]\nurl = "https://x"',
            "profiles.prod eu: profile names use letters, digits, '-', '_', '.' and 'embedded' "
            "is reserved",
        ),
        (
            '[profiles.p]\nurl = "https://x"\n[profiles.q]\ntoken = "t"',
            "profiles.q.url: is required",
        ),
        (
            URL + "last_filter = { from = 2026-01-01 }",
            "profiles.p.last_filter.from: must be an ISO 8601 date or time",
        ),
        (
            URL + 'default_filter = { statuses = ["failed", 3] }',
            "profiles.p.default_filter.statuses: must be a list of status or group names",
        ),
        (
            URL + 'default_filter = { sort = "speed" }',
            "profiles.p.default_filter.sort: must be one of duration, kind, name, started, "
            "status, trigger, not 'speed'",
        ),
        (
            URL + 'token = "a"\ntoken_env = "B"',
            "profiles.p.token_env: set either token or token_env, not both",
        ),
        ("[keymap.runs]\nfilter = 5", 'keymap.runs.filter: must be keys, like "f5" or "j,down"'),
    ],
)
def test_a_problem_deep_in_a_profile_names_the_whole_path(
    env: dict[str, str], text: str, message: str
) -> None:
    assert refusal(env, text) == f"{cfg.config_path(env)}: {message}"


def test_config_set_knows_every_leaf_of_the_schema_and_no_token() -> None:
    keys = cfg.settable_keys()
    for key in (
        "theme",
        "profiles.NAME.url",
        "profiles.NAME.tls.ca_bundle",
        "profiles.NAME.default_filter.from",
        "embedded.last_filter.descending",
        "embedded.notifications.bell",
        "keymap.BINDING_ID",
    ):
        assert key in keys
    assert not any(key.endswith(".token") for key in keys)
    assert not any(key.startswith("embedded.") and key.endswith(("url", "tls")) for key in keys)


def test_config_set_types_a_value_by_the_schema_and_the_schema_validates_it(
    env: dict[str, str],
) -> None:
    path = cfg.config_path(env)
    doc = cfg.set_value({}, "profiles.p.url", "https://p.example", path)
    doc = cfg.set_value(doc, "profiles.p.default_filter.from", "2026-03-01T10:00", path)
    doc = cfg.set_value(doc, "profiles.p.notifications.toast", "OFF", path)
    doc = cfg.set_value(doc, "profiles.p.refresh_interval", "30", path)
    profile = cfg.parse_document(doc, path).profiles["p"]
    assert profile.default_filter is not None
    assert profile.default_filter.time.start == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert profile.notifications.toast is False and profile.refresh_interval == 30.0
    assert doc["profiles"]["p"]["refresh_interval"] == 30.0  # a TOML float, not the text
    with pytest.raises(cfg.ConfigError, match="refresh_interval: must be between 0 and 3600"):
        cfg.set_value(doc, "profiles.p.refresh_interval", "7200", path)
    with pytest.raises(cfg.ConfigError, match="default_filter.sort: must be one of"):
        cfg.set_value(doc, "profiles.p.default_filter.sort", "speed", path)


def test_broken_toml_names_the_file(env: dict[str, str]) -> None:
    path = write(env, "theme = ")
    with pytest.raises(cfg.ConfigError, match=f"^{path}: not valid TOML"):
        cfg.load_config(env=env)


def test_a_group_or_world_readable_file_draws_a_warning_with_the_fix(env: dict[str, str]) -> None:
    path = write(env, PROD, mode=0o644)
    (warning,) = cfg.load_config(env=env).warnings
    assert f"chmod 600 {path}" in warning and "0644" in warning
    os.chmod(path, 0o600)
    assert cfg.load_config(env=env).warnings == ()


def test_saving_writes_0600_in_a_0700_directory_atomically(env: dict[str, str]) -> None:
    path = cfg.config_path(env)
    cfg.save_document(path, {"theme": "nord"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]
    assert cfg.load_config(env=env).theme == "nord"


def test_saving_an_invalid_document_changes_nothing(env: dict[str, str]) -> None:
    path = write(env, PROD)
    with pytest.raises(cfg.ConfigError):
        cfg.save_document(path, {"theme": 1})
    assert path.read_text() == PROD


def test_profile_selection_flag_beats_environment_beats_default(env: dict[str, str]) -> None:
    write(env, 'default_profile = "prod"\n' + PROD + STAGE)
    config = cfg.load_config(env=env)
    env["STAGE_TOKEN"] = "stage-secret"
    assert cfg.resolve_profile(config, None, env).name == "prod"
    assert cfg.resolve_profile(config, None, {**env, cfg.PROFILE_ENV: "stage"}).name == "stage"
    assert cfg.resolve_profile(config, "prod", {**env, cfg.PROFILE_ENV: "stage"}).name == "prod"


def test_a_single_profile_is_the_default_and_several_need_a_choice(env: dict[str, str]) -> None:
    write(env, PROD)
    assert cfg.resolve_profile(cfg.load_config(env=env), None, env).name == "prod"
    write(env, PROD + STAGE)
    with pytest.raises(cfg.ConfigError, match="--profile"):
        cfg.resolve_profile(cfg.load_config(env=env), None, env)


def test_an_unknown_profile_is_an_error_naming_the_known_ones(env: dict[str, str]) -> None:
    write(env, PROD)
    with pytest.raises(cfg.ConfigError, match="'qa'.*prod"):
        cfg.resolve_profile(cfg.load_config(env=env), "qa", env)


def test_environment_url_and_token_beat_the_file(env: dict[str, str]) -> None:
    write(env, PROD)
    config = cfg.load_config(env=env)
    overridden = {**env, cfg.URL_ENV: "http://127.0.0.1:9", cfg.TOKEN_ENV: "env-secret"}
    profile = cfg.resolve_profile(config, None, overridden)
    assert (profile.name, profile.url, profile.token) == (
        "prod",
        "http://127.0.0.1:9",
        "env-secret",
    )
    plain = cfg.resolve_profile(config, None, env)
    assert (plain.url, plain.token) == ("https://prod.example.com", "prod-secret")
    assert profile.cache_name != plain.cache_name


def test_environment_url_without_any_profile_is_not_embedded(env: dict[str, str]) -> None:
    profile = cfg.resolve_profile(
        cfg.load_config(env=env), None, {**env, cfg.URL_ENV: "https://x.example"}
    )
    assert not profile.is_embedded and profile.url == "https://x.example"


def test_token_env_is_read_and_its_absence_is_explained(env: dict[str, str]) -> None:
    write(env, STAGE)
    config = cfg.load_config(env=env)
    assert cfg.resolve_profile(config, None, {**env, "STAGE_TOKEN": "s"}).token == "s"
    with pytest.raises(cfg.MissingToken, match=r"\$STAGE_TOKEN"):
        cfg.resolve_profile(config, None, env)


def test_set_value_types_by_schema_and_validates(env: dict[str, str]) -> None:
    path = cfg.config_path(env)
    doc = cfg.set_value({}, "profiles.prod.url", "https://p.example", path)
    doc = cfg.set_value(doc, "profiles.prod.refresh_interval", "2.5", path)
    doc = cfg.set_value(doc, "profiles.prod.tls.verify", "off", path)
    doc = cfg.set_value(doc, "profiles.prod.default_filter.statuses", "failed, waiting", path)
    doc = cfg.set_value(doc, "theme", "nord", path)
    doc = cfg.set_value(doc, "embedded.notifications.bell", "yes", path)
    config = cfg.parse_document(doc, path)
    prod = config.profiles["prod"]
    assert (
        prod.refresh_interval == 2.5
        and prod.tls.verify is False
        and config.embedded.notifications.bell
    )
    assert prod.default_filter is not None
    assert (
        prod.default_filter.statuses == StatusGroup.FAILED.statuses | StatusGroup.WAITING.statuses
    )


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("profiles.prod.token", "secret", "runs-tui login"),
        ("colour", "red", "not a key"),
        ("profiles.prod.refresh_interval", "soon", "expected a number"),
        ("profiles.prod.tls.verify", "maybe", "expected true or false"),
        ("default_profile", "ghost", "no profile named"),
    ],
)
def test_set_value_refuses(env: dict[str, str], key: str, value: str, problem: str) -> None:
    doc = {"profiles": {"prod": {"url": "https://p.example"}}}
    with pytest.raises(cfg.ConfigError, match=problem):
        cfg.set_value(doc, key, value, cfg.config_path(env))


def test_a_last_filter_written_by_an_older_dashboard_is_still_read(env: dict[str, str]) -> None:
    """The dashboard now keeps it in the state file, which falls back to this one."""
    chosen = RunFilter(
        statuses=frozenset({RunStatus.COMPLETED_PARTIAL}),
        kind=RunKind.GUIDE,
        time=TimeRange(
            TimePreset.CUSTOM, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
        ),
        name="disk",
    )
    waiting = RunFilter.for_group(StatusGroup.WAITING)
    document = {
        "profiles": {"prod": {"url": "https://prod.example.com", "last_filter": chosen.to_dict()}},
        "embedded": {"last_filter": waiting.to_dict()},
    }
    cfg.save_document(cfg.config_path(env), document)
    config = cfg.load_config(env=env)
    assert config.profiles["prod"].initial_filter == chosen
    assert config.embedded.initial_filter == waiting


def test_login_stores_the_token_and_makes_the_profile_the_default(env: dict[str, str]) -> None:
    write(env, STAGE)
    config = cfg.load_config(env=env)
    doc = cfg.store_token(config.document, config.path, "stage", "new-secret", None)
    assert doc["profiles"]["stage"] == {"url": "https://stage.example.com", "token": "new-secret"}
    assert doc["default_profile"] == "stage"
    with pytest.raises(cfg.ConfigError, match="--url"):
        cfg.store_token(config.document, config.path, "fresh", "x", None)


def test_show_masks_tokens(env: dict[str, str]) -> None:
    write(env, PROD)
    shown = cfg.render_toml(cfg.masked_document(cfg.load_config(env=env)))
    assert "prod-secret" not in shown and cfg.TOKEN_MASK in shown


def test_profile_repr_does_not_show_the_token() -> None:
    assert "s3cret" not in repr(cfg.Profile("p", "https://x", token="s3cret"))


def test_a_keymap_is_read_quoted_or_nested(env: dict[str, str]) -> None:
    write(env, '[keymap]\n"runs.filter" = "f5"\n[keymap.list]\ndown = "j, down, n"\n')
    assert cfg.load_config(env=env).keymap == {"runs.filter": "f5", "list.down": "j, down, n"}
