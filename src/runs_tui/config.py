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
import stat
import tomllib
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import TypeAdapter, ValidationError

from runs_tui.atomic_write import write_text_atomically
from runs_tui.config_schema import (
    DEFAULT_REFRESH_INTERVAL,
    EMBEDDED_PROFILE,
    KEYMAP,
    ConfigDocument,
    Notifications,
    ProfileTable,
    SharedTable,
    TlsOptions,
    check_url,
    describe,
    leaf_keys,
    toml_type,
)
from runs_tui.models.filters import RunFilter
from runs_tui.user_dirs import config_dir

CONFIG_FILE_NAME = "config.toml"

PROFILE_ENV = "RUNS_TUI_PROFILE"
URL_ENV = "RUNS_TUI_URL"
TOKEN_ENV = "RUNS_TUI_TOKEN"

TOKEN_MASK = "********"


class ConfigError(Exception):
    """A configuration the app refuses to guess about; the message names file and key."""


class MissingToken(ConfigError):
    """The profile names an environment variable for its token and it is not set."""


# --- locations -------------------------------------------------------------------------------


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / CONFIG_FILE_NAME


# --- values ----------------------------------------------------------------------------------


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
    compare_masks: tuple[str, ...] = ()
    """Extra patterns masked before two runs are compared (`run_compare`)."""
    compare_default_masks: bool = True

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
    """Validate a whole document against the schema; the first problem raises, naming `path`
    and the key."""
    try:
        checked = ConfigDocument.model_validate(document)
    except ValidationError as error:
        raise ConfigError(f"{path}: {describe(error)}") from None
    return Config(
        path,
        checked.theme,
        checked.default_profile,
        {name: _profile(name, table) for name, table in checked.profiles.items()},
        _profile(EMBEDDED_PROFILE, checked.embedded),
        dict(document),
        keymap=checked.keymap,
    )


def _profile(name: str, table: SharedTable) -> Profile:
    remote = table if isinstance(table, ProfileTable) else None
    return Profile(
        name=name,
        url=remote.url if remote else None,
        token=remote.token if remote else None,
        token_env=remote.token_env if remote else None,
        refresh_interval=table.refresh_interval,
        tls=remote.tls if remote else TlsOptions(),
        notifications=table.notifications,
        default_filter=table.default_filter.to_filter() if table.default_filter else None,
        last_filter=table.last_filter.to_filter() if table.last_filter else None,
        compare_masks=tuple(table.compare_masks),
        compare_default_masks=table.compare_default_masks,
    )


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
        try:
            check_url(url_override)
        except ValueError as error:
            raise ConfigError(f"${URL_ENV}: {URL_ENV}: {error}") from None
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


def settable_keys() -> list[str]:
    """For help texts: every key `config set` accepts (NAME stands for a profile name)."""
    return sorted(key for key in leaf_keys() if not key.endswith(".token"))


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
    return toml_type(parts)


_WORDS_FOR = {bool: "true or false", float: "a number"}


def _typed(text: str, leaf_type: type, key: str, path: Path) -> Any:
    """The TOML value for command-line `text`, by the schema's type (lax: `yes`, `2.5`)."""
    if leaf_type is list:
        return [item.strip() for item in text.split(",") if item.strip()]
    try:
        return TypeAdapter(leaf_type).validate_python(text, strict=False)
    except ValidationError:
        expected = _WORDS_FOR.get(leaf_type, leaf_type.__name__)
        raise ConfigError(f"{path}: {key}: expected {expected}, not {text!r}") from None


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
