"""The backend's token → identity book (`backend/identities.py`): the `[[tokens]]` config, its
groups, the shared token's default identity, and every bad file named with its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from runs_tui.backend.identities import (
    IdentityConfigError,
    identity_book_from,
    load_identity_book,
    token_hash,
)
from runs_tui.backend.server import BackendRefused, EmbeddedBackend
from runs_tui.models.responders import Identity

SHARED = "shared-token-0123456789"
ALICE = "alice-token-0123456789"


def test_tokens_map_to_names_and_groups_and_the_shared_token_to_the_default() -> None:
    book = identity_book_from(
        {
            "default": {"name": "team-bot", "groups": ["bots"]},
            "tokens": [{"hash": token_hash(ALICE), "name": "alice", "groups": ["oncall"]}],
            "groups": {"dba": ["alice", "bob"]},
        },
        SHARED,
    )
    assert book.identify(ALICE) == Identity("alice", frozenset({"oncall", "dba"}))
    assert book.identify(SHARED) == Identity("team-bot", frozenset({"bots"}))
    assert book.identify("nobody-0123456789") is None
    assert book.identify(ALICE + "x") is None
    assert load_identity_book(SHARED, None).identify(SHARED) == Identity("operator")


def test_a_hash_is_accepted_in_upper_case() -> None:
    book = identity_book_from(
        {
            "tokens": [
                {"hash": token_hash(ALICE).upper().replace("SHA256:", "sha256:"), "name": "a"}
            ]
        },
        None,
    )
    assert book.identify(ALICE) == Identity("a")
    assert book.identify(SHARED) is None  # no shared token: none accepted


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"tokens": [{"hash": "md5:abc", "name": "a"}]}, "tokens[0].hash"),
        ({"tokens": [{"hash": token_hash(ALICE)}]}, "tokens[0].name"),
        ({"tokens": [{"hash": token_hash(ALICE), "name": "has space"}]}, "tokens[0].name"),
        ({"tokens": [{"hash": token_hash(ALICE), "name": "system"}]}, "tokens[0].name"),
        ({"tokens": [{"hash": token_hash(ALICE), "name": "group:x"}]}, "tokens[0].name"),
        ({"tokens": [{"hash": token_hash(ALICE), "name": "a", "role": "x"}]}, "tokens[0]"),
        ({"tokens": [{"hash": token_hash(ALICE), "name": "a", "groups": "x"}]}, "tokens[0].groups"),
        (
            {
                "tokens": [
                    {"hash": token_hash(ALICE), "name": "a"},
                    {"hash": token_hash(ALICE), "name": "b"},
                ]
            },
            "tokens[1].hash",
        ),
        ({"tokens": {"hash": "x"}}, "tokens"),
        ({"groups": {"dba": "alice"}}, "groups.dba"),
        ({"default": {"name": "x", "extra": 1}}, "default"),
        ({"users": []}, "unknown key"),
    ],
)
def test_a_bad_config_names_the_key(document: dict, where: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(IdentityConfigError) as error:
        identity_book_from(document, SHARED, source="backend.toml")
    assert str(error.value).startswith(f"backend.toml: {where}"), str(error.value)


def test_a_bad_file_stops_the_backend_before_it_serves(tmp_path: Path) -> None:
    path = tmp_path / "backend.toml"
    path.write_text("[[tokens]]\nhash = 'sha256:nothex'\nname = 'a'\n")
    with pytest.raises(BackendRefused, match="tokens\\[0\\].hash"):
        EmbeddedBackend(token=SHARED, config=path)
    path.write_text("[[tokens]\n")
    with pytest.raises(BackendRefused, match="not valid TOML"):
        EmbeddedBackend(token=SHARED, config=path)
    with pytest.raises(BackendRefused, match="cannot read"):
        EmbeddedBackend(token=SHARED, config=tmp_path / "missing.toml")
