"""Command line entry point (placeholder until the CLI lands)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    print("runs-tui: the dashboard is not built yet")
    return 0
