"""Name search: case-insensitive substrings of names that may contain anything at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from runs_tui.cache import Cache
from runs_tui.models import RunFilter, TimePreset, TimeRange
from tests.cache.factories import NOW, hostile_strings, make_runs, page

HOSTILE = hostile_strings()
EXTRA = [
    "NEAR",
    "a NEAR b",
    "x*",
    "-y",
    "(z)",
    "it's",
    "[x]",
    "100%",
    "a_b",
    "AND OR NOT",
    "^start",
    "col:val",
    '""',
    "ΣΊΣΥΦΟΣ",
    "Straße",
    "nul\x00inside the name",
    "tab\tand\nnewline",
]
NAMES = HOSTILE + EXTRA + ["Database health check", "disk full"]
ALL_TIME = TimeRange(TimePreset.ALL)


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    path: Path = tmp_path_factory.mktemp("search") / "runs.sqlite3"
    base = make_runs(len(NAMES))
    runs = [
        run.model_copy(update={"name": name, "created_at": NOW - timedelta(hours=i)})
        for i, (run, name) in enumerate(zip(base, NAMES, strict=True))
    ]
    with Cache.open(path) as cache:
        cache.apply_changes(page(runs, 1))
        yield cache


def _expected(query: str) -> set[str]:
    return {name for name in NAMES if query.casefold() in name.casefold()}


def _found(cache: Cache, query: str) -> set[str]:
    return {run.name for run in cache.iter_runs(RunFilter(time=ALL_TIME, name=query), NOW)}


def _queries(name: str) -> list[str]:
    """The whole name and substrings of 1, 2, 3 and 5 characters, upper-cased once."""
    picks = [name, name.upper()[:4]]
    for size in (1, 2, 3, 5):
        middle = max(0, len(name) // 2 - size // 2)
        picks.append(name[middle : middle + size])
    return [q for q in picks if q]


@pytest.mark.parametrize("name", NAMES, ids=range(len(NAMES)))
def test_every_hostile_name_is_found_by_itself_and_its_substrings(named: Cache, name: str) -> None:
    for query in _queries(name[:2000]):
        assert _found(named, query) == _expected(query), repr(query)


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        "*",
        "%",
        "_",
        "-",
        "NEAR",
        "(",
        "'",
        "\\",
        "\x00",
        "\x00inside",
        "l\x00in",
        "\x1b[",
        "σίσυφος",
        "STRASSE",
        "zz-none",
    ],
)
def test_query_syntax_characters_are_plain_text(named: Cache, query: str) -> None:
    assert _found(named, query) == _expected(query)
    assert named.count(RunFilter(time=ALL_TIME, name=query), NOW) == len(
        [n for n in NAMES if query.casefold() in n.casefold()]
    )


def test_case_is_ignored_in_both_directions(named: Cache) -> None:
    assert _found(named, "DATABASE") == {"Database health check"}
    assert _found(named, "dIsK f") == {"disk full"}
    assert _found(named, "HE") == _expected("he")
