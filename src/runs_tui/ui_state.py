"""The dashboard's memory between runs: the theme, the last filter per profile, the last export
folder.

It has a file of its own under the user state folder (`user_dirs.state_dir()`), never
`config.toml`: the config is the user's (they comment it, order it, keep it in git), and a
dashboard that rewrote it on every sort change dropped their comments. This file is ours, so
it is plain tomli-w output, rewritten whole and atomically; nobody is expected to edit it.

Reading is forgiving where the config is strict: a value this version cannot use (a newer
version's, a hand edit) is skipped, because forgetting a remembered sort is harmless while
refusing to start would not be. Each write re-reads the file and changes one key, so two
dashboards (or a dashboard and an older one) do not undo each other's other choices.

Migration: before this file existed the dashboard wrote `theme` and `last_filter` into
config.toml. Those keys are still read, as defaults for what this file lacks (see
`theme_or` and `initial_filter`), and never written again.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runs_tui.atomic_write import write_text_atomically
from runs_tui.models.filters import RunFilter
from runs_tui.user_dirs import state_dir

STATE_FILE_NAME = "state.toml"

THEME = "theme"
EXPORT_FOLDER = "export_folder"
LAST_FILTER = "last_filter"


class StateFile:
    """One state file; every read goes to the disk (it is small, and read rarely)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls, env: Mapping[str, str] = os.environ) -> StateFile:
        return cls(state_dir(env) / STATE_FILE_NAME)

    # --- reading -----------------------------------------------------------------------------

    def theme_or(self, legacy: str | None) -> str | None:
        """The theme picked last, else `legacy` (config.toml's `theme`, from before)."""
        theme = self._read().get(THEME)
        return theme if isinstance(theme, str) and theme else legacy

    def initial_filter(self, profile: str, legacy: RunFilter) -> RunFilter:
        """The list the profile showed last, else `legacy` (the profile's `last_filter` or
        `default_filter` in config.toml)."""
        stored = self._read().get(LAST_FILTER, {})
        data = stored.get(profile) if isinstance(stored, dict) else None
        return RunFilter.from_dict(data) if isinstance(data, dict) else legacy

    def export_folder(self) -> Path | None:
        folder = self._read().get(EXPORT_FOLDER)
        return Path(folder) if isinstance(folder, str) and folder else None

    def _read(self) -> dict[str, Any]:
        """The file's table; a missing, unreadable or broken file is an empty memory."""
        try:
            return tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return {}

    # --- writing (raises OSError) -------------------------------------------------------------

    def remember_theme(self, theme: str) -> None:
        self._update(lambda state: state.update({THEME: theme}))

    def remember_filter(self, profile: str, run_filter: RunFilter) -> None:
        def change(state: dict[str, Any]) -> None:
            filters = state.get(LAST_FILTER)
            if not isinstance(filters, dict):
                filters = state[LAST_FILTER] = {}
            filters[profile] = run_filter.to_dict()

        self._update(change)

    def remember_export_folder(self, folder: Path) -> None:
        self._update(lambda state: state.update({EXPORT_FOLDER: str(folder)}))

    def _update(self, change: Callable[[dict[str, Any]], None]) -> None:
        import tomli_w  # only when the dashboard writes: not on the start path

        state = self._read()
        change(state)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_text_atomically(self.path, tomli_w.dumps(state), mode=0o600)
