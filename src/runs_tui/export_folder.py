"""The folder the dashboard proposes for exports."""

from __future__ import annotations

from pathlib import Path

import platformdirs


def default_export_dir(last_used: Path | None = None) -> Path:
    """Where exports go unless the operator picks another folder: the folder of the last export
    (`last_used`, which the dashboard keeps in its state file across restarts) while it still
    exists, else the user's downloads folder, else documents, else home (platformdirs) — never
    silently the working directory, which under tmux is wherever the pane happened to start."""
    if last_used is not None and last_used.is_dir():
        return last_used
    for folder in (platformdirs.user_downloads_path(), platformdirs.user_documents_path()):
        if folder.is_dir():
            return folder
    return Path.home()
