"""The embedded default: with no profile configured, the app brings its own backend.

A first-time user (or a demo on a laptop) should see a living dashboard with one command and no
setup. So when no profile is chosen and RUNS_TUI_URL is unset, the reference backend is started
in-process on a loopback port with demo traffic, a random token that lives only in memory, its
own database file under the user data directory (history survives restarts, so the cache's
cursor stays meaningful) and its own cache file (`Profile.cache_name` is "embedded").
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from runs_tui.user_dirs import data_dir

if TYPE_CHECKING:
    from runs_tui.backend.server import EmbeddedBackend

DATABASE_FILE_NAME = "embedded-backend.sqlite3"
DEMO_HISTORY_RUNS = 500


def embedded_database_path(env: Mapping[str, str] = os.environ) -> Path:
    return data_dir(env) / DATABASE_FILE_NAME


@contextmanager
def embedded_backend(
    env: Mapping[str, str] = os.environ, *, demo: bool = True, identity: str | None = None
) -> Iterator[EmbeddedBackend]:
    """Run the reference backend for the duration of the block.

    History is seeded only into a new database: a restart must not add another batch of past
    runs. The token is fresh each time and only this process knows it; it is `identity` (the
    local user, who alone has it), so answers and cancels are recorded under their name.
    """
    from runs_tui.backend.server import EmbeddedBackend  # the backend is heavy: import on use

    database = embedded_database_path(env)
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    history = 0 if database.exists() else DEMO_HISTORY_RUNS
    backend = EmbeddedBackend(
        db_url=f"sqlite:///{database}",
        token=secrets.token_urlsafe(32),
        demo=demo,
        history=history,
        identity=identity,
    )
    with backend:
        yield backend
