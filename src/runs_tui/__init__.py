"""runs-tui: a keyboard-driven terminal dashboard for incident-runbook runs."""

__version__ = "0.1.0"
