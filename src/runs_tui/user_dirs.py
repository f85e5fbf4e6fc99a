"""Where runs-tui keeps its files: one home for each folder and the variable that moves it.

The config (the user's, edited by hand), the state (the dashboard's own memory), the cache (a
copy of the backend, safe to delete) and the data (the embedded backend's database) each live
in the platformdirs folder of their kind, unless a `RUNS_TUI_*_DIR` variable points elsewhere:
the test suite and the e2e harness point them all into temporary folders, so no test ever
reads or writes the real home.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import platformdirs

APP_NAME = "runs-tui"

CONFIG_DIR_ENV = "RUNS_TUI_CONFIG_DIR"
STATE_DIR_ENV = "RUNS_TUI_STATE_DIR"
CACHE_DIR_ENV = "RUNS_TUI_CACHE_DIR"
DATA_DIR_ENV = "RUNS_TUI_DATA_DIR"


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    return _folder(env, CONFIG_DIR_ENV, platformdirs.user_config_path)


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    return _folder(env, STATE_DIR_ENV, platformdirs.user_state_path)


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    return _folder(env, CACHE_DIR_ENV, platformdirs.user_cache_path)


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    return _folder(env, DATA_DIR_ENV, platformdirs.user_data_path)


def _folder(env: Mapping[str, str], variable: str, default: Callable[[str], Path]) -> Path:
    override = env.get(variable)
    return Path(override) if override else default(APP_NAME)
