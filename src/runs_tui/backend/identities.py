"""Who a bearer token is: the backend's `[[tokens]]` table, its `[groups]`, and the default.

Why: `answered_by`, a cancel's actor and every audit entry must name the person the backend
authenticated, not a name the client typed, and `responders = ["group:dba"]` needs groups. The
backend's config file (`runs-tui backend --config FILE`, or `RUNS_TUI_BACKEND_CONFIG`) maps
token hashes to names and groups; only hashes are stored, so the file can be read by others
without handing out access. The single shared token (`RUNS_TUI_BACKEND_TOKEN`, or the embedded
backend's) keeps working and is the *default identity* (`operator` unless the file's
`[default]` table names another): one token shared by a team is one identity.

    [default]                    # optional: who the shared token is
    name = "operator"
    groups = []

    [[tokens]]                   # one per person or script
    hash = "sha256:<hex of sha256(token)>"
    name = "alice"
    groups = ["oncall"]

    [groups]                     # optional: members by name, added to the tokens' own groups
    dba = ["alice", "bob"]
"""

from __future__ import annotations

import hashlib
import hmac
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runs_tui.models.responders import GROUP_PREFIX, SYSTEM, Identity

CONFIG_ENV = "RUNS_TUI_BACKEND_CONFIG"
DEFAULT_NAME = "operator"
HASH_PREFIX = "sha256:"
_HEX = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[^\s:\x00-\x1f\x7f]{1,128}$")
"""A name or group: no whitespace, no colon (`group:` is a prefix), no control characters."""


class IdentityConfigError(ValueError):
    """The config file is not usable; the message names the file and the key."""


def token_hash(token: str) -> str:
    """The form the config stores: `sha256:<hex>` (`printf %s "$TOKEN" | sha256sum`)."""
    return HASH_PREFIX + hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IdentityBook:
    """Token → identity. `shared_token` is the single default token (None: none accepted)."""

    shared_token: str | None
    default: Identity = field(default_factory=lambda: Identity(DEFAULT_NAME))
    by_hash: Mapping[str, Identity] = field(default_factory=dict)

    def identify(self, presented: str) -> Identity | None:
        """The identity of `presented`, or None. Every configured hash is compared (in constant
        time), so how long a refusal takes does not say which entry came close."""
        found: Identity | None = None
        if self.shared_token is not None and hmac.compare_digest(
            presented.encode(), self.shared_token.encode()
        ):
            found = self.default
        digest = token_hash(presented)
        for stored, identity in self.by_hash.items():
            if hmac.compare_digest(digest.encode(), stored.encode()):
                found = identity
        return found

    def names(self) -> set[str]:
        return {self.default.name, *(identity.name for identity in self.by_hash.values())}


def load_identity_book(shared_token: str | None, path: str | Path | None) -> IdentityBook:
    """The book for a backend: the shared token as the default identity, plus the file's
    `[[tokens]]`. Raises `IdentityConfigError` naming the file and key at fault."""
    if path is None:
        return IdentityBook(shared_token)
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise IdentityConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise IdentityConfigError(f"{path}: not valid TOML: {error}") from None
    return identity_book_from(document, shared_token, source=str(path))


def identity_book_from(
    document: Mapping[str, Any], shared_token: str | None, *, source: str = "config"
) -> IdentityBook:
    unknown = set(document) - {"default", "tokens", "groups"}
    if unknown:
        raise IdentityConfigError(f"{source}: unknown key(s): {', '.join(sorted(unknown))}")
    members = _groups_table(document.get("groups", {}), source)
    default = _default_identity(document.get("default", {}), members, source)
    by_hash: dict[str, Identity] = {}
    tokens = document.get("tokens", [])
    if not isinstance(tokens, list):
        raise IdentityConfigError(f"{source}: tokens: must be an array of tables ([[tokens]])")
    for index, entry in enumerate(tokens):
        where = f"{source}: tokens[{index}]"
        digest, identity = _token_entry(entry, members, where)
        if digest in by_hash:
            raise IdentityConfigError(f"{where}.hash: the same token is listed twice")
        by_hash[digest] = identity
    return IdentityBook(shared_token, default, by_hash)


def _groups_table(table: Any, source: str) -> dict[str, set[str]]:
    """`[groups]` inverted: name → the groups that list it."""
    if not isinstance(table, dict):
        raise IdentityConfigError(f"{source}: groups: must be a table of name lists")
    members: dict[str, set[str]] = {}
    for group, names in table.items():
        _check_name(group, f"{source}: groups.{group}")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise IdentityConfigError(f"{source}: groups.{group}: must be a list of names")
        for name in names:
            _check_name(name, f"{source}: groups.{group}")
            members.setdefault(name, set()).add(group)
    return members


def _default_identity(table: Any, members: dict[str, set[str]], source: str) -> Identity:
    if not isinstance(table, dict):
        raise IdentityConfigError(f"{source}: default: must be a table")
    extra = set(table) - {"name", "groups"}
    if extra:
        raise IdentityConfigError(f"{source}: default: unknown key(s): {', '.join(sorted(extra))}")
    name = table.get("name", DEFAULT_NAME)
    return _identity(name, table.get("groups", []), members, f"{source}: default")


def _token_entry(entry: Any, members: dict[str, set[str]], where: str) -> tuple[str, Identity]:
    if not isinstance(entry, dict):
        raise IdentityConfigError(f"{where}: must be a table")
    extra = set(entry) - {"hash", "name", "groups"}
    if extra:
        raise IdentityConfigError(f"{where}: unknown key(s): {', '.join(sorted(extra))}")
    digest = entry.get("hash")
    if (
        not isinstance(digest, str)
        or not digest.startswith(HASH_PREFIX)
        or not _HEX.match(digest[len(HASH_PREFIX) :].lower())
    ):
        raise IdentityConfigError(
            f"{where}.hash: must be {HASH_PREFIX}<64 hex digits> (the token's SHA-256)"
        )
    if "name" not in entry:
        raise IdentityConfigError(f"{where}.name: missing")
    identity = _identity(entry["name"], entry.get("groups", []), members, where)
    return digest.lower(), identity


def _identity(name: Any, groups: Any, members: dict[str, set[str]], where: str) -> Identity:
    _check_name(name, f"{where}.name")
    if name == SYSTEM:
        raise IdentityConfigError(f"{where}.name: {SYSTEM!r} is the backend's own name")
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise IdentityConfigError(f"{where}.groups: must be a list of group names")
    for group in groups:
        _check_name(group, f"{where}.groups")
    return Identity(name, frozenset(groups) | members.get(name, set()))


def _check_name(value: Any, where: str) -> None:
    if not isinstance(value, str) or not _NAME.match(value) or value.startswith(GROUP_PREFIX):
        raise IdentityConfigError(
            f"{where}: {value!r} is not a name (1-128 characters, no spaces, colons or controls)"
        )
