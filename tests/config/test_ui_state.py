"""The state file: where it lives, how it is written, and that reading it never fails."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from runs_tui import user_dirs
from runs_tui.models import RunFilter, SortColumn, StatusGroup
from runs_tui.ui_state import STATE_FILE_NAME, StateFile


def test_it_lives_in_the_state_dir_which_the_environment_moves(tmp_path: Path) -> None:
    env = {user_dirs.STATE_DIR_ENV: str(tmp_path / "st")}
    assert StateFile.default(env).path == tmp_path / "st" / STATE_FILE_NAME


def test_each_write_keeps_the_other_keys_and_is_private(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "new" / "state.toml")
    waiting = RunFilter.for_group(StatusGroup.WAITING)
    state.remember_theme("nord")
    StateFile(state.path).remember_filter("prod", waiting)  # another dashboard
    state.remember_export_folder(tmp_path)
    state.remember_filter("stage.eu", RunFilter(sort=SortColumn.NAME))
    assert state.theme_or(None) == "nord" and state.export_folder() == tmp_path
    assert state.initial_filter("prod", RunFilter()) == waiting
    assert state.initial_filter("stage.eu", RunFilter()).sort is SortColumn.NAME
    assert set(tomllib.loads(state.path.read_text())) == {"theme", "last_filter", "export_folder"}
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in state.path.parent.iterdir()) == ["state.toml"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not = [toml",
        'theme = 3\nexport_folder = ["x"]\nlast_filter = "all"',
        "last_filter = { prod = 5 }",
        "\udcff",
    ],
)
def test_a_missing_or_broken_file_is_an_empty_memory_never_an_error(
    tmp_path: Path, text: str
) -> None:
    state = StateFile(tmp_path / "state.toml")
    if text:
        state.path.write_bytes(text.encode("utf-8", "surrogateescape"))
    legacy = RunFilter.for_group(StatusGroup.FAILED)
    assert state.theme_or("legacy") == "legacy"
    assert state.initial_filter("prod", legacy) == legacy
    assert state.export_folder() is None
    state.remember_theme("nord")  # and a write repairs what it can
    assert state.theme_or(None) == "nord"
