"""The folder the dashboard proposes for exports."""

from __future__ import annotations

from pathlib import Path

import platformdirs


def default_export_dir() -> Path:
    """Where exports go unless the operator picks another folder: the user's downloads folder,
    else documents, else home (platformdirs) — never silently the working directory, which
    under tmux is wherever the pane happened to start."""
    for folder in (platformdirs.user_downloads_path(), platformdirs.user_documents_path()):
        if folder.is_dir():
            return folder
    return Path.home()
