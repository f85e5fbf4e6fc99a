"""The local SQLite cache of runs: what the dashboard and the CLI read, what sync writes."""

from runs_tui.cache.cache import Cache
from runs_tui.cache.database import CacheTooNew
from runs_tui.cache.details import CachedDetail
from runs_tui.cache.paths import cache_path_for
from runs_tui.cache.state import SyncState
from runs_tui.models.ordering import RowKey

__all__ = [
    "Cache",
    "CacheTooNew",
    "CachedDetail",
    "RowKey",
    "SyncState",
    "cache_path_for",
]
