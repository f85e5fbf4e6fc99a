"""One cache file per profile, always inside the cache directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from runs_tui.cache import cache_path_for
from runs_tui.user_dirs import CACHE_DIR_ENV, cache_dir


@pytest.mark.parametrize(
    "profile",
    [
        "default",
        "prod-eu_1",
        "../../etc/passwd",
        "a/b",
        "a\\b",
        "C:evil",
        "..",
        ".",
        "",
        "\x00nul",
        "ünï",
        "x" * 500,
        "/abs/path",
        "con",
    ],
)
def test_a_profile_never_escapes_the_directory(tmp_path: Path, profile: str) -> None:
    path = cache_path_for(profile, tmp_path)
    assert path.parent == tmp_path
    assert path.resolve().parent == tmp_path.resolve()
    assert path.suffix == ".sqlite3" and len(path.name) < 100


def test_distinct_profiles_get_distinct_files(tmp_path: Path) -> None:
    names = ["a/b", "a_b", "a b", "a\\b", "A/B", "prod", "prod."]
    assert len({cache_path_for(n, tmp_path) for n in names}) == len(names)


def test_plain_names_keep_their_spelling(tmp_path: Path) -> None:
    assert cache_path_for("staging", tmp_path) == tmp_path / "staging.sqlite3"


def test_the_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere"
    assert cache_path_for("p") == tmp_path / "elsewhere" / "p.sqlite3"
    monkeypatch.delenv(CACHE_DIR_ENV)
    assert cache_dir().name == "runs-tui"
