"""Replace a file so that readers see the old content or the new, never half of either.

Config files and exports are both written this way: a crash or a full disk in the middle of a
write must not leave a truncated config (which would lose every profile) or a half export that a
compliance archive would then keep.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def atomic_text_file(
    path: Path, mode: int = 0o600, *, newline: str | None = None
) -> Iterator[TextIO]:
    """Yield a UTF-8 text stream on a temporary file next to `path`, then move it into place.

    The temporary file lives in the same directory so that `os.replace` is a rename on one
    file system; it is created 0600 by `mkstemp`, so a secret never exists with looser
    permissions even for a moment. Nothing replaces `path` if the body raises.
    """
    directory = path.parent
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8", errors="replace", newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_directory(directory)


def write_text_atomically(path: Path, text: str, mode: int = 0o600) -> None:
    """Whole-string form of `atomic_text_file`, for small files such as the config."""
    with atomic_text_file(path, mode, newline="") as stream:
        stream.write(text)


def write_stream_atomically(path: Path, write: Callable[[TextIO], None], mode: int = 0o644) -> Path:
    """Streaming form, for exports that may be far larger than memory should hold."""
    with atomic_text_file(path, mode, newline="") as stream:
        write(stream)
    return path


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; some file systems refuse fsync on a directory."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
