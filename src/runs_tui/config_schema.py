"""The config file's schema, written once: strict pydantic models that validate a loaded file
and tell `config set` what type a key holds.

Strict where TOML has the type (a `"yes"` is not a boolean, a `5` is not a string), because a
typo that silently became a default would point an operator at the wrong backend in the middle
of an incident; `extra="forbid"` so a misspelt key is an error, not a no-op. Every problem is
reported as `dotted.key: what is wrong` (`describe`), the words the file's author needs.

`defer_build`: the validators are built when a file is first validated, so a start without a
config file, or a command that never reads one, does not pay for building them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    model_validator,
)

from runs_tui.models.filters import RunFilter, SortColumn, TimePreset, TimeRange
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.status import RunStatus, parse_status_filter

EMBEDDED_PROFILE = "embedded"
KEYMAP = "keymap"
DEFAULT_REFRESH_INTERVAL = 5.0
MAX_REFRESH_INTERVAL = 3600.0

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEYS = re.compile(r"[^\s,]+(\s*,\s*[^\s,]+)*")


class KeyProblem(ValueError):
    """A rule about a key below the value being validated (a cross-field rule, a keymap id):
    `describe` appends `key` to the location pydantic reports."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


# --- values --------------------------------------------------------------------------------


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def check_url(url: str) -> str:
    """http(s) with a host, and no credentials in it (the token has a place of its own)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials; use `runs-tui login` for the token")
    return url


def _env_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise ValueError(f"{name!r} is not an environment variable name")
    return name


def _profile_name(name: str) -> str:
    if not _PROFILE_NAME.match(name) or name == EMBEDDED_PROFILE:
        raise ValueError(
            "profile names use letters, digits, '-', '_', '.' and 'embedded' is reserved"
        )
    return name


def _interval(seconds: float) -> float:
    if not 0 < seconds <= MAX_REFRESH_INTERVAL:
        raise ValueError(f"must be between 0 and {MAX_REFRESH_INTERVAL:g} seconds")
    return seconds


def _path(value: Any) -> Any:
    return Path(_non_empty(value)).expanduser() if isinstance(value, str) else value


def _choice(choices: dict[str, Any]) -> PlainValidator:
    """One of a few words, named in the error; the value is what the word stands for."""

    def pick(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(sorted(choices))}, not {value!r}")
        return choices[value]

    return PlainValidator(pick, json_schema_input_type=str)


def _statuses(value: Any) -> frozenset[RunStatus]:
    """Groups ("failed") or statuses ("Completed Partial"), as the list's filter takes them."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be a list of status or group names")
    statuses: set[RunStatus] = set()
    for item in value:
        try:
            statuses |= parse_status_filter(item)
        except ValueError:
            raise ValueError(f"unknown status or group {item!r}") from None
    return frozenset(statuses)


def _time(value: Any) -> datetime:
    """A TOML date-time or an ISO 8601 string; without a zone it is UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date or time") from None
    if not isinstance(value, datetime):
        raise ValueError("must be an ISO 8601 date or time")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _keymap(table: dict[str, Any]) -> dict[str, str]:
    """`[keymap]` as binding id → keys. Ids hold dots, so both spellings TOML allows are
    read: quoted (`"runs.filter" = "f5"`) and nested (`[keymap.runs]` with `filter = "f5"`).
    Whether an id exists is the app's to say: it knows its bindings, this module knows no UI."""
    keymap: dict[str, str] = {}
    for binding_id, value in _flatten(table):
        if not isinstance(value, str) or not _KEYS.fullmatch(value.strip()):
            raise KeyProblem(binding_id, 'must be keys, like "f5" or "j,down"')
        keymap[binding_id] = value.strip()
    return keymap


def _flatten(table: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"not a regular expression ({error})") from None
    return value


Text = Annotated[str, AfterValidator(_non_empty)]
Regex = Annotated[str, AfterValidator(_non_empty), AfterValidator(_regex)]
Url = Annotated[str, AfterValidator(_non_empty), AfterValidator(check_url)]
EnvName = Annotated[str, AfterValidator(_non_empty), AfterValidator(_env_name)]
ProfileName = Annotated[str, AfterValidator(_profile_name)]
Interval = Annotated[float, AfterValidator(_interval)]
Time = Annotated[datetime | None, PlainValidator(_time, json_schema_input_type=str)]


# --- tables --------------------------------------------------------------------------------


class TlsOptions(BaseModel):
    model_config = _STRICT
    verify: bool = True
    ca_bundle: Annotated[Path | None, BeforeValidator(_path)] = None
    allow_insecure_http: bool = False


class Notifications(BaseModel):
    model_config = _STRICT
    toast: bool = True
    bell: bool = False
    desktop: Literal["off", "osc9", "osc777"] = "off"
    """A desktop notification through the terminal (`runs_tui.notifications`): OSC 9 (iTerm2,
    kitty, WezTerm, foot, Windows Terminal) or OSC 777 (urxvt, foot, WezTerm); off by default."""


class FilterTable(BaseModel):
    """Strict, unlike `RunFilter.from_dict`: a filter typed by hand deserves an error, not a
    silent reset to the defaults."""

    model_config = _STRICT
    statuses: Annotated[frozenset[RunStatus], PlainValidator(_statuses)] = frozenset()
    kind: Annotated[RunKind | None, _choice({"all": None, **{k.value: k for k in RunKind}})] = None
    time: Annotated[TimePreset, _choice({p.value: p for p in TimePreset})] = TimePreset.LAST_24H
    start: Time = Field(None, alias="from")
    end: Time = Field(None, alias="to")
    name: str = ""
    sort: Annotated[SortColumn, _choice({s.value: s for s in SortColumn})] = SortColumn.STARTED
    descending: bool = True

    def to_filter(self) -> RunFilter:
        return RunFilter(
            statuses=self.statuses,
            kind=self.kind,
            time=TimeRange(self.time, self.start, self.end),
            name=self.name,
            sort=self.sort,
            descending=self.descending,
        )


class SharedTable(BaseModel):
    """What every profile takes, the embedded backend's `[embedded]` included."""

    model_config = _STRICT
    refresh_interval: Interval = DEFAULT_REFRESH_INTERVAL
    notifications: Notifications = Field(default_factory=Notifications)
    default_filter: FilterTable | None = None
    compare_masks: list[Regex] = Field(default_factory=list)
    """Regular expressions masked (as `<masked>`) before two runs are compared, after the
    built-in ones (`run_compare.DEFAULT_MASKS`) unless `compare_default_masks = false`."""
    compare_default_masks: bool = True
    last_filter: FilterTable | None = None
    """Read only: dashboards before the state file (ui_state.py) remembered the list here."""


class ProfileTable(SharedTable):
    """`[profiles.NAME]`: a remote backend."""

    url: Url
    token: Text | None = None
    token_env: EnvName | None = None
    tls: TlsOptions = Field(default_factory=TlsOptions)

    @model_validator(mode="after")
    def _one_token_source(self) -> ProfileTable:
        if self.token is not None and self.token_env is not None:
            raise KeyProblem("token_env", "set either token or token_env, not both")
        return self


class ConfigDocument(BaseModel):
    """The whole file (every key optional)."""

    model_config = _STRICT
    theme: Text | None = None
    default_profile: Text | None = None
    profiles: dict[ProfileName, ProfileTable] = Field(default_factory=dict)
    embedded: SharedTable = Field(default_factory=SharedTable)
    keymap: Annotated[dict[str, Any], AfterValidator(_keymap)] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _default_profile_exists(self) -> ConfigDocument:
        if self.default_profile is not None and self.default_profile not in self.profiles:
            raise KeyProblem(
                "default_profile", f"no profile named {self.default_profile!r} in [profiles]"
            )
        return self


# --- problems in words ---------------------------------------------------------------------

_WORDS = {
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "float_type": "must be a number",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "missing": "is required",
}


def describe(error: ValidationError) -> str:
    """The first problem as `dotted.key: what is wrong`, from where pydantic found it."""
    first = error.errors()[0]
    where = [str(part) for part in first["loc"] if part != "[key]"]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, KeyProblem):
        where.append(cause.key)
    if first["type"] == "extra_forbidden":
        allowed = ", ".join(sorted(_keys_of(_node_at(where[:-1]))))
        problem = f"unknown key (expected one of {allowed})"
    elif isinstance(cause, ValueError):
        problem = str(cause)
    else:
        problem = _WORDS.get(first["type"], first["msg"])
    return f"{'.'.join(where)}: {problem}"


# --- walking the schema (for messages, `config set` and its help) ---------------------------

_KEY_NAMES = {"profiles": "NAME", KEYMAP: "BINDING_ID"}
"""What a key of a table of tables stands for, in `config set --help`."""


def _bare(annotation: Any) -> Any:
    """The type under `Annotated[...]` and `X | None`."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, UnionType):
            rest = [arg for arg in get_args(annotation) if arg is not NoneType]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def _is_model(node: Any) -> bool:
    return isinstance(node, type) and issubclass(node, BaseModel)


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """Key as written in the file (the alias: `from`) → its annotation."""
    return {field.alias or name: field.annotation for name, field in model.model_fields.items()}


def _keys_of(node: Any) -> list[str]:
    return list(_fields(node)) if _is_model(node) else []


def _child(node: Any, key: str) -> Any:
    if _is_model(node):
        return _bare(_fields(node).get(key))
    if get_origin(node) is dict:
        return _bare(get_args(node)[1])
    return None


def _node_at(where: list[str]) -> Any:
    node: Any = ConfigDocument
    for key in where:
        node = _child(node, key)
    return node


def toml_type(where: list[str]) -> type | None:
    """What a leaf key holds in TOML terms (bool, float, list or str); None for a table or a
    key the schema does not have."""
    if where[0] == KEYMAP:
        return str if len(where) >= 3 else None  # binding ids hold dots: `keymap.runs.filter`
    node = _node_at(where)
    if node is None or node is Any or _is_model(node) or get_origin(node) is dict:
        return None
    if node in (bool, float):
        return node
    return list if get_origin(node) in (frozenset, list, set) else str


def leaf_keys(node: Any = ConfigDocument, prefix: str = "") -> Iterator[str]:
    """Every leaf key in dotted form; a table of tables shows its key as NAME or BINDING_ID."""
    for key, annotation in _fields(node).items():
        child = _bare(annotation)
        if get_origin(child) is dict:
            value = _bare(get_args(child)[1])
            item = f"{prefix}{key}.{_KEY_NAMES.get(key, 'KEY')}"
            yield from leaf_keys(value, f"{item}.") if _is_model(value) else [item]
        elif _is_model(child):
            yield from leaf_keys(child, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"
