"""Where a profile's cache file lives: one file per profile under the user cache directory.

The directory is `user_dirs.cache_dir()` (`RUNS_TUI_CACHE_DIR` moves it). Profile names become
file names only after sanitising, so no name — `..`, a slash, a drive letter, NUL — can place
the file outside that directory; distinct names that sanitise alike are kept apart by a short
hash of the original name.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from runs_tui.user_dirs import cache_dir

_SAFE = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_STEM = 64


def cache_path_for(profile: str, directory: Path | None = None) -> Path:
    """The cache file of `profile`, inside `directory` (default: `cache_dir()`)."""
    base = directory if directory is not None else cache_dir()
    return base / f"{safe_file_stem(profile)}.sqlite3"


def safe_file_stem(profile: str) -> str:
    """A file stem made of [A-Za-z0-9_-] only; a hash suffix unless the name was already so."""
    cleaned = _SAFE.sub("_", profile).strip("_")[:_MAX_STEM] or "profile"
    if cleaned == profile:
        return cleaned
    digest = hashlib.sha256(profile.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{cleaned}-{digest}"
