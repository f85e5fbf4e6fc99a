"""Profiles in a TOML file, environment overrides, and which backend to talk to.

The file is the only place a token may rest on disk, so it is written 0600 in a 0700
directory, atomically, and a looser mode draws a warning with the fix. It is validated strictly
at load, naming the file and the key, because a typo that silently fell back to a default would
point an operator at the wrong backend in the middle of an incident.

Layout (every key optional)::

    theme = "textual-dark"
    default_profile = "prod"

    [profiles.prod]
    url = "https://runs.example.com"
    token_env = "RUNS_PROD_TOKEN"        # or token = "..." (written by `runs-tui login`)
    refresh_interval = 5.0
    tls = { verify = true, ca_bundle = "/etc/ssl/corp.pem", allow_insecure_http = false }
    notifications = { toast = true, bell = false }
    default_filter = { statuses = ["waiting"], kind = "flow", time = "7d" }
    last_filter = { ... }                # read only: older dashboards wrote it (ui_state.py)

    [embedded]                           # settings of the built-in demo backend
    refresh_interval = 2.0

    [keymap]                             # binding id = keys; `runs-tui config keys` lists ids
    "runs.filter" = "f5"                 # or nested: [keymap.runs] filter = "f5"
    "list.down" = "j,down,n"

With no profile at all (and no RUNS_TUI_URL) the app runs against the embedded backend.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import stat
import tomllib
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from runs_tui.atomic_write import write_text_atomically
from runs_tui.models.filters import RunFilter, SortColumn, TimePreset, TimeRange
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus, parse_status_filter
from runs_tui.user_dirs import config_dir

CONFIG_FILE_NAME = "config.toml"
EMBEDDED_PROFILE = "embedded"
KEYMAP = "keymap"

PROFILE_ENV = "RUNS_TUI_PROFILE"
URL_ENV = "RUNS_TUI_URL"
TOKEN_ENV = "RUNS_TUI_TOKEN"

DEFAULT_REFRESH_INTERVAL = 5.0
MAX_REFRESH_INTERVAL = 3600.0
TOKEN_MASK = "********"

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(Exception):
    """A configuration the app refuses to guess about; the message names file and key."""


class MissingToken(ConfigError):
    """The profile names an environment variable for its token and it is not set."""


# --- locations -------------------------------------------------------------------------------


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / CONFIG_FILE_NAME


# --- values ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsOptions:
    verify: bool = True
    ca_bundle: Path | None = None
    allow_insecure_http: bool = False


@dataclass(frozen=True)
class Notifications:
    toast: bool = True
    bell: bool = False


@dataclass(frozen=True)
class Profile:
    """One backend and how to use it. After `resolve_profile`, `url` and `token` are the
    effective values (environment overrides applied, `token_env` read); `url is None` means
    the embedded backend."""

    name: str
    url: str | None = None
    token: str | None = field(default=None, repr=False)
    token_env: str | None = None
    refresh_interval: float = DEFAULT_REFRESH_INTERVAL
    tls: TlsOptions = field(default_factory=TlsOptions)
    notifications: Notifications = field(default_factory=Notifications)
    default_filter: RunFilter | None = None
    last_filter: RunFilter | None = None

    @property
    def is_embedded(self) -> bool:
        """The built-in backend (its URL, once started, is a random loopback port)."""
        return self.name == EMBEDDED_PROFILE

    @property
    def cache_name(self) -> str:
        """The cache file's name: one cache per backend, so pointing a profile (or
        RUNS_TUI_URL) at another URL never mixes two backends' runs in one cache."""
        if self.is_embedded or self.url is None:
            return EMBEDDED_PROFILE
        digest = hashlib.sha256(self.url.rstrip("/").encode()).hexdigest()[:10]
        return f"{self.name}-{digest}"

    @property
    def initial_filter(self) -> RunFilter:
        """What the list shows first: the remembered filter, else the configured default."""
        return self.last_filter or self.default_filter or RunFilter()


@dataclass(frozen=True)
class Config:
    path: Path
    theme: str | None = None
    default_profile: str | None = None
    profiles: Mapping[str, Profile] = field(default_factory=dict)
    embedded: Profile = field(default_factory=lambda: Profile(EMBEDDED_PROFILE))
    document: Mapping[str, Any] = field(default_factory=dict, repr=False)
    warnings: tuple[str, ...] = ()
    keymap: Mapping[str, str] = field(default_factory=dict)
    """Binding id → keys (Textual's keymap), overriding the keys the app declares."""


# --- loading ---------------------------------------------------------------------------------


def load_config(path: Path | None = None, env: Mapping[str, str] = os.environ) -> Config:
    """Read and validate the file; a missing file is an empty configuration."""
    path = path or config_path(env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    config = parse_document(document, path)
    warning = permission_warning(path)
    return replace(config, warnings=(warning,)) if warning else config


def permission_warning(path: Path) -> str | None:
    """The file may hold tokens: anyone but its owner reading it is worth a loud hint."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if mode & 0o077 == 0:
        return None
    return (
        f"warning: {path} is accessible by other users (mode {mode:04o}) and may hold tokens; "
        f"fix it with: chmod 600 {path}"
    )


def parse_document(document: Mapping[str, Any], path: Path) -> Config:
    """Validate a whole document; the first problem raises, naming `path` and the key."""
    check = _Checker(path)
    check.known_keys(
        document, "", {"theme", "default_profile", "profiles", EMBEDDED_PROFILE, KEYMAP}
    )
    theme = check.optional_str(document, "theme")
    profiles_table = check.table(document, "profiles")
    profiles = {
        name: _parse_profile(check, name, check.table(profiles_table, name, f"profiles.{name}"))
        for name in profiles_table
    }
    embedded_table = check.table(document, EMBEDDED_PROFILE)
    embedded = _parse_embedded(check, embedded_table)
    default_profile = check.optional_str(document, "default_profile")
    if default_profile is not None and default_profile not in profiles:
        check.fail("default_profile", f"no profile named {default_profile!r} in [profiles]")
    keymap = _parse_keymap(check, check.table(document, KEYMAP))
    return Config(path, theme, default_profile, profiles, embedded, dict(document), keymap=keymap)


_KEYS = re.compile(r"[^\s,]+(\s*,\s*[^\s,]+)*")


def _parse_keymap(check: _Checker, table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """`[keymap]` as binding id → keys. Ids hold dots, so both spellings TOML allows are
    read: quoted (`"runs.filter" = "f5"`) and nested (`[keymap.runs]` with `filter = "f5"`,
    which is also what `config set keymap.runs.filter f5` writes). Whether an id exists is
    the app's to say: it knows its bindings, this module knows no UI."""
    keymap: dict[str, str] = {}
    for key, value in table.items():
        binding_id = f"{prefix}{key}"
        if isinstance(value, dict):
            keymap.update(_parse_keymap(check, value, f"{binding_id}."))
        elif isinstance(value, str) and _KEYS.fullmatch(value.strip()):
            keymap[binding_id] = value.strip()
        else:
            check.fail(f"{KEYMAP}.{binding_id}", 'must be keys, like "f5" or "j,down"')
    return keymap


_SHARED_PROFILE_KEYS = {"refresh_interval", "notifications", "default_filter", "last_filter"}
_REMOTE_PROFILE_KEYS = {"url", "token", "token_env", "tls"}


def _parse_profile(check: _Checker, name: str, table: Mapping[str, Any]) -> Profile:
    where = f"profiles.{name}"
    if not _PROFILE_NAME.match(name) or name == EMBEDDED_PROFILE:
        check.fail(
            where, "profile names use letters, digits, '-', '_', '.' and 'embedded' is reserved"
        )
    check.known_keys(table, where, _SHARED_PROFILE_KEYS | _REMOTE_PROFILE_KEYS)
    url = check.optional_str(table, "url", f"{where}.url")
    if url is None:
        check.fail(f"{where}.url", "is required")
    _check_url(check, f"{where}.url", url)
    token = check.optional_str(table, "token", f"{where}.token")
    token_env = check.optional_str(table, "token_env", f"{where}.token_env")
    if token is not None and token_env is not None:
        check.fail(f"{where}.token_env", "set either token or token_env, not both")
    if token_env is not None and not _ENV_NAME.match(token_env):
        check.fail(f"{where}.token_env", f"{token_env!r} is not an environment variable name")
    return Profile(
        name=name,
        url=url,
        token=token,
        token_env=token_env,
        tls=_parse_tls(check, check.table(table, "tls", f"{where}.tls"), f"{where}.tls"),
        **_parse_shared(check, table, where),
    )


def _parse_embedded(check: _Checker, table: Mapping[str, Any]) -> Profile:
    check.known_keys(table, EMBEDDED_PROFILE, _SHARED_PROFILE_KEYS)
    return Profile(name=EMBEDDED_PROFILE, **_parse_shared(check, table, EMBEDDED_PROFILE))


def _parse_shared(check: _Checker, table: Mapping[str, Any], where: str) -> dict[str, Any]:
    interval = check.optional_number(table, "refresh_interval", f"{where}.refresh_interval")
    if interval is not None and not 0 < interval <= MAX_REFRESH_INTERVAL:
        check.fail(
            f"{where}.refresh_interval", f"must be between 0 and {MAX_REFRESH_INTERVAL:g} seconds"
        )
    notify = check.table(table, "notifications", f"{where}.notifications")
    check.known_keys(notify, f"{where}.notifications", {"toast", "bell"})
    return {
        "refresh_interval": DEFAULT_REFRESH_INTERVAL if interval is None else float(interval),
        "notifications": Notifications(
            toast=check.optional_bool(notify, "toast", f"{where}.notifications.toast", True),
            bell=check.optional_bool(notify, "bell", f"{where}.notifications.bell", False),
        ),
        "default_filter": _parse_filter(check, table, "default_filter", where),
        "last_filter": _parse_filter(check, table, "last_filter", where),
    }


def _parse_tls(check: _Checker, table: Mapping[str, Any], where: str) -> TlsOptions:
    check.known_keys(table, where, {"verify", "ca_bundle", "allow_insecure_http"})
    bundle = check.optional_str(table, "ca_bundle", f"{where}.ca_bundle")
    return TlsOptions(
        verify=check.optional_bool(table, "verify", f"{where}.verify", True),
        ca_bundle=Path(bundle).expanduser() if bundle else None,
        allow_insecure_http=check.optional_bool(
            table, "allow_insecure_http", f"{where}.allow_insecure_http", False
        ),
    )


_FILTER_KEYS = {"statuses", "kind", "time", "name", "sort", "descending", "from", "to"}


def _parse_filter(
    check: _Checker, table: Mapping[str, Any], key: str, where: str
) -> RunFilter | None:
    """Strict, unlike `RunFilter.from_dict`: a filter typed by hand deserves an error, not a
    silent reset to the defaults. Status entries may be groups ("failed") or statuses."""
    if key not in table:
        return None
    where = f"{where}.{key}"
    data = check.table(table, key, where)
    check.known_keys(data, where, _FILTER_KEYS)
    return RunFilter(
        statuses=_parse_statuses(check, data, where),
        kind=_parse_choice(
            check, data, "kind", where, {"all": None, **{k.value: k for k in RunKind}}
        ),
        time=TimeRange(
            _parse_choice(check, data, "time", where, {p.value: p for p in TimePreset})
            or TimePreset.LAST_24H,
            _parse_time(check, data, "from", where),
            _parse_time(check, data, "to", where),
        ),
        name=check.optional_str(data, "name", f"{where}.name", empty_ok=True) or "",
        sort=_parse_choice(check, data, "sort", where, {s.value: s for s in SortColumn})
        or SortColumn.STARTED,
        descending=check.optional_bool(data, "descending", f"{where}.descending", True),
    )


def _parse_statuses(check: _Checker, data: Mapping[str, Any], where: str) -> frozenset[RunStatus]:
    raw = data.get("statuses", [])
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        check.fail(f"{where}.statuses", "must be a list of status or group names")
    statuses: set[RunStatus] = set()
    for item in raw:
        try:
            statuses |= parse_status_filter(item)
        except ValueError:
            check.fail(f"{where}.statuses", f"unknown status or group {item!r}")
    return frozenset(statuses)


def _parse_choice(
    check: _Checker, data: Mapping[str, Any], key: str, where: str, choices: dict[str, Any]
) -> Any:
    value = check.optional_str(data, key, f"{where}.{key}")
    if value is None:
        return None
    if value not in choices:
        check.fail(f"{where}.{key}", f"must be one of {', '.join(sorted(choices))}, not {value!r}")
    return choices[value]


def _parse_time(check: _Checker, data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            check.fail(f"{where}.{key}", f"{value!r} is not an ISO 8601 date or time")
    if not isinstance(value, datetime):
        check.fail(f"{where}.{key}", "must be an ISO 8601 date or time")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _check_url(check: _Checker, key: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        check.fail(key, f"{url!r} is not an http(s) URL with a host")
    if parts.username or parts.password:
        check.fail(key, "must not carry credentials; use `runs-tui login` for the token")


class _Checker:
    """Type checks that fail with the file and the dotted key in the message."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> Any:
        raise ConfigError(f"{self.path}: {key}: {problem}")

    def known_keys(self, table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                self.fail(
                    f"{where}.{key}" if where else key,
                    f"unknown key (expected one of {', '.join(sorted(allowed))})",
                )

    def table(
        self, parent: Mapping[str, Any], key: str, where: str | None = None
    ) -> Mapping[str, Any]:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            self.fail(where or key, "must be a table")
        return value

    def optional_str(
        self,
        table: Mapping[str, Any],
        key: str,
        where: str | None = None,
        *,
        empty_ok: bool = False,
    ) -> str | None:
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not (empty_ok or value.strip())):
            self.fail(
                where or key, "must be a string" if empty_ok else "must be a non-empty string"
            )
        return value

    def optional_bool(self, table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(where, "must be true or false")
        return value

    def optional_number(self, table: Mapping[str, Any], key: str, where: str) -> float | None:
        value = table.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            self.fail(where, "must be a number")
        return value


# --- choosing the profile --------------------------------------------------------------------


def selected_profile_name(
    config: Config, requested: str | None, env: Mapping[str, str] = os.environ
) -> str | None:
    """`--profile` beats RUNS_TUI_PROFILE beats `default_profile`; a single profile is the
    default by itself. None means nothing was chosen (the embedded backend, unless
    RUNS_TUI_URL names another)."""
    name = requested or env.get(PROFILE_ENV) or config.default_profile
    if name:
        return name
    if len(config.profiles) == 1:
        return next(iter(config.profiles))
    if config.profiles:
        raise ConfigError(
            f"{config.path}: several profiles ({', '.join(sorted(config.profiles))}) and no "
            "default_profile; choose one with --profile "
            "or `runs-tui config set default_profile NAME`"
        )
    return None


def resolve_profile(
    config: Config, requested: str | None = None, env: Mapping[str, str] = os.environ
) -> Profile:
    """The profile to use with its effective URL and token (environment beats the file)."""
    name = selected_profile_name(config, requested, env)
    url_override = env.get(URL_ENV) or None
    if name in (None, EMBEDDED_PROFILE) and not url_override:
        return config.embedded
    if name is None or name == EMBEDDED_PROFILE:
        base = Profile(name="env")
    elif name in config.profiles:
        base = config.profiles[name]
    elif url_override:
        base = Profile(name=name)
    else:
        known = ", ".join(sorted(config.profiles)) or "none configured"
        raise ConfigError(f"{config.path}: no profile named {name!r} (profiles: {known})")
    if url_override:
        _check_url(_Checker(Path(f"${URL_ENV}")), URL_ENV, url_override)
        base = replace(base, url=url_override)
    return replace(base, token=_effective_token(base, env))


def _effective_token(profile: Profile, env: Mapping[str, str]) -> str | None:
    if env.get(TOKEN_ENV):
        return env[TOKEN_ENV]
    if profile.token_env:
        token = env.get(profile.token_env)
        if not token:
            raise MissingToken(
                f"profile {profile.name!r} reads its token from ${profile.token_env}, "
                "which is not set"
            )
        return token
    return profile.token


# --- writing ---------------------------------------------------------------------------------


def read_for_edit(path: Path) -> MutableMapping[str, Any]:
    """The file as tomlkit reads it, for a change that leaves the rest of it as the user wrote
    it (comments, ordering, blank lines); an empty document when there is no file yet."""
    import tomlkit  # only the commands that write the file pay for it

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return tomlkit.document()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def save_document(path: Path, document: Mapping[str, Any]) -> None:
    """Validate, then write 0600 in a 0700 directory, atomically. A document from
    `read_for_edit` is written back as it was read, plus the changes made to it."""
    import tomlkit

    parse_document(plain(document), path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    write_text_atomically(path, tomlkit.dumps(_without_none(document)), mode=0o600)


def plain(document: Mapping[str, Any]) -> dict[str, Any]:
    """Plain Python values, as tomllib would have read them (tomlkit wraps each value)."""
    unwrap = getattr(document, "unwrap", None)
    return unwrap() if unwrap is not None else _deep_copy(document)


def _without_none(value: Any) -> Any:
    if hasattr(value, "unwrap"):  # a tomlkit document holds no None: TOML has no null
        return value
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return value


_LEAF_TYPES: dict[str, type] = {
    "refresh_interval": float,
    "notifications.toast": bool,
    "notifications.bell": bool,
    **{
        f"{table}.{key}": (list if key == "statuses" else bool if key == "descending" else str)
        for table in ("default_filter", "last_filter")
        for key in _FILTER_KEYS
    },
}
_REMOTE_LEAF_TYPES: dict[str, type] = {
    "url": str,
    "token_env": str,
    "tls.verify": bool,
    "tls.ca_bundle": str,
    "tls.allow_insecure_http": bool,
}
_APP_LEAF_TYPES: dict[str, type] = {"theme": str, "default_profile": str}


def settable_keys() -> list[str]:
    """For help texts: every key `config set` accepts (NAME stands for a profile name)."""
    return sorted(
        list(_APP_LEAF_TYPES)
        + [f"profiles.NAME.{key}" for key in {**_REMOTE_LEAF_TYPES, **_LEAF_TYPES}]
        + [f"{EMBEDDED_PROFILE}.{key}" for key in _LEAF_TYPES]
        + [f"{KEYMAP}.BINDING_ID"]
    )


def set_value(
    document: MutableMapping[str, Any], key: str, text: str, path: Path
) -> MutableMapping[str, Any]:
    """A copy of `document` with the dotted `key` set from command-line `text`, typed by the
    schema; a tomlkit document stays one, every other line as it was. Tokens are refused: they
    never travel on a command line."""
    parts = key.split(".")
    leaf_type = _leaf_type(parts, path)
    if leaf_type is None:
        raise ConfigError(
            f"{path}: {key}: not a key that `config set` knows (see `runs-tui config set --help`)"
        )
    if parts[0] == KEYMAP:
        parts = _keymap_spelling(document, parts)
    updated = copy.deepcopy(document)
    _set_in(updated, parts[:-1], {parts[-1]: _typed(text, leaf_type, key, path)}, path)
    parse_document(plain(updated), path)
    return updated


def _set_in(
    document: MutableMapping[str, Any], where: list[str], values: Mapping[str, Any], path: Path
) -> None:
    """`document[a][b]…` updated with `values`, creating the tables on the way."""
    table, inserted_into = document, None
    for depth, part in enumerate(where, start=1):
        if part not in table:
            inserted_into = inserted_into or table
            table[part] = _new_table(table, holds_values=depth == len(where))
        table = table[part]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {'.'.join(where)}: {part} is not a table")
    table.update(values)
    if inserted_into is not None and inserted_into is not document and hasattr(table, "add"):
        import tomlkit

        table.add(tomlkit.nl())  # a new table amid others: a blank line before the next one


def _keymap_spelling(document: Mapping[str, Any], parts: list[str]) -> list[str]:
    """Binding ids hold dots: the nested spelling (`[keymap.runs] filter`) if the file has the
    key so, else one quoted key (`"runs.filter"`), as the README writes them."""
    table: Any = document.get(KEYMAP)
    for part in parts[1:-1]:
        table = table.get(part) if isinstance(table, dict) else None
    if isinstance(table, dict) and parts[-1] in table:
        return parts
    return [KEYMAP, ".".join(parts[1:])]


def _new_table(parent: Mapping[str, Any], *, holds_values: bool) -> dict[str, Any]:
    """A table to create on the way to a key: in a tomlkit document one that writes as
    `[profiles.prod]` rather than an empty `[profiles]` header above it."""
    if not hasattr(parent, "unwrap"):
        return {}
    import tomlkit

    return tomlkit.table(is_super_table=not holds_values)


def _leaf_type(parts: list[str], path: Path) -> type | None:
    if parts[-1] == "token":
        raise ConfigError(
            f"{path}: {'.'.join(parts)}: tokens are not set on the command line; "
            "use `runs-tui login`"
        )
    if parts[0] == "profiles" and len(parts) >= 3:
        rest = ".".join(parts[2:])
        return _REMOTE_LEAF_TYPES.get(rest) or _LEAF_TYPES.get(rest)
    if parts[0] == EMBEDDED_PROFILE and len(parts) >= 2:
        return _LEAF_TYPES.get(".".join(parts[1:]))
    if parts[0] == KEYMAP and len(parts) >= 3:
        return str
    return _APP_LEAF_TYPES.get(".".join(parts))


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _typed(text: str, leaf_type: type, key: str, path: Path) -> Any:
    if leaf_type is bool:
        if text.lower() not in _TRUE | _FALSE:
            raise ConfigError(f"{path}: {key}: expected true or false, not {text!r}")
        return text.lower() in _TRUE
    if leaf_type is float:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{path}: {key}: expected a number, not {text!r}") from None
    if leaf_type is list:
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def store_token(
    document: MutableMapping[str, Any], path: Path, profile: str, token: str, url: str | None
) -> MutableMapping[str, Any]:
    """A copy of `document` after `runs-tui login`: the token (and URL, if given) for
    `profile`, which becomes the default when there was none. A stored token replaces
    `token_env`. Like `set_value`, a tomlkit document keeps every other line."""
    updated = copy.deepcopy(document)
    existing = updated.get("profiles", {}).get(profile, {})
    if not url and "url" not in existing:
        raise ConfigError(f"{path}: profiles.{profile}.url: is required; pass --url")
    existing.pop("token_env", None)
    _set_in(updated, ["profiles", profile], {**({"url": url} if url else {}), "token": token}, path)
    updated.setdefault("default_profile", profile)
    parse_document(plain(updated), path)
    return updated


def masked_document(config: Config) -> dict[str, Any]:
    """The document as `config show` prints it: every token replaced by a mask."""
    shown = _deep_copy(config.document)
    for table in shown.get("profiles", {}).values():
        if isinstance(table, dict) and "token" in table:
            table["token"] = TOKEN_MASK
    return shown


def render_toml(document: Mapping[str, Any]) -> str:
    return tomli_w.dumps(_without_none(document))
