"""The session's action log: what the operator did from the dashboard, how it went, and the
`runs-tui` command line that does the same from a script.

Why: during an incident an operator answers, cancels and reruns by key; afterwards they need to
say what they did ("did I approve that one, or only look at it?"), and the next time they want
to script it. The backend's audit records who did what for everyone; this is the operator's own
record of the session, with the outcome they saw (refused and failed attempts included, which
the audit never sees) and the command that repeats it.

A plain class, no Textual: the screens call `record` once per action site, the action log
screen reads `entries()`.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from runs_tui.models.filters import RunFilter, TimePreset
from runs_tui.models.lifecycle import RunKind
from runs_tui.models.prompt_fields import FieldValue

PROGRAM = "runs-tui"
MAX_ENTRIES = 1000
"""Kept for the session; beyond this the oldest go (a day of clicking, not a memory leak)."""


class Action(StrEnum):
    ANSWER = "answer"
    CANCEL = "cancel"
    RERUN = "rerun"
    DELETE = "delete"
    BULK_DELETE = "bulk delete"
    EXPORT = "export"
    EXPORT_LIST = "export list"


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"  # the backend (or a rule) said no: 403, 409, 422, not deleted
    FAILED = "failed"  # it could not be done: unreachable, a file not written


@dataclass(frozen=True)
class ActionEntry:
    at: datetime
    action: Action
    run_id: str | None
    run_name: str
    outcome: Outcome
    reason: str
    command: str
    """The equivalent command line, shell-quoted: paste it into a shell to do it again."""

    @property
    def outcome_words(self) -> str:
        return self.outcome.value + (f": {self.reason}" if self.reason else "")


class ActionLog:
    """The actions of one dashboard session, oldest first inside; `entries()` newest first."""

    def __init__(self, now: Callable[[], datetime], limit: int = MAX_ENTRIES) -> None:
        self._now = now
        self._limit = limit
        self._entries: list[ActionEntry] = []
        self._listeners: list[Callable[[ActionEntry], None]] = []

    def record(
        self,
        action: Action,
        command: Sequence[str],
        outcome: Outcome = Outcome.OK,
        *,
        run_id: str | None = None,
        run_name: str = "",
        reason: str = "",
    ) -> ActionEntry:
        """Note one action; `command` is its argv (see the `*_command` helpers)."""
        entry = ActionEntry(
            self._now(), action, run_id, run_name, outcome, reason, shell_line(command)
        )
        self._entries.append(entry)
        del self._entries[: max(0, len(self._entries) - self._limit)]
        for listener in list(self._listeners):
            listener(entry)
        return entry

    def entries(self) -> list[ActionEntry]:
        return list(reversed(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def subscribe(self, listener: Callable[[ActionEntry], None]) -> Callable[[], None]:
        """Call `listener` with each new entry (the open log screen); returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)


# --- the equivalent command lines ------------------------------------------------------------


def shell_line(argv: Sequence[str]) -> str:
    """The argv as one line a POSIX shell reads back as exactly these words."""
    return " ".join(shlex.quote(word) for word in argv)


def _profile(profile: str | None) -> list[str]:
    return ["--profile", profile] if profile else []


def respond_command(
    run_id: str,
    step_id: str,
    value: str,
    note: str = "",
    *,
    values: Mapping[str, FieldValue] | None = None,
    profile: str | None = None,
) -> list[str]:
    """`runs respond`: `--value` for a one-field prompt, `--field name=value` for a typed one."""
    argv = [PROGRAM, "runs", "respond", run_id, "--step", step_id, *_profile(profile)]
    if values:
        for name, field_value in values.items():
            argv += ["--field", f"{name}={field_text(field_value)}"]
    else:
        argv += ["--value", value]
    return argv + (["--note", note] if note else [])


def field_text(value: FieldValue) -> str:
    """A field's value as `--field` takes it: booleans as true/false, choices comma-joined."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def cancel_command(run_id: str, *, profile: str | None = None) -> list[str]:
    return [PROGRAM, "runs", "cancel", run_id, "--yes", *_profile(profile)]


def rerun_command(run_id: str, *, profile: str | None = None) -> list[str]:
    return [PROGRAM, "runs", "rerun", run_id, *_profile(profile)]


def delete_command(run_ids: Iterable[str], *, profile: str | None = None) -> list[str]:
    return [PROGRAM, "runs", "delete", *run_ids, "--yes", *_profile(profile)]


def export_command(
    run_id: str, fmt: str, path: Path | str, *, profile: str | None = None
) -> list[str]:
    return [PROGRAM, "runs", "export", run_id, "--format", fmt, "-o", str(path), *_profile(profile)]


def export_list_command(
    run_filter: RunFilter, fmt: str, path: Path | str, *, profile: str | None = None
) -> list[str]:
    """`runs export-list` with the options that select the same runs as `run_filter`."""
    return [
        PROGRAM,
        "runs",
        "export-list",
        *filter_arguments(run_filter),
        "--format",
        fmt,
        "-o",
        str(path),
        *_profile(profile),
    ]


def filter_arguments(run_filter: RunFilter) -> list[str]:
    """The `--status/--type/--since/--from/--to/--name` options meaning `run_filter`."""
    argv: list[str] = []
    group = run_filter.group
    if group is not None:
        argv += ["--status", group.value]
    else:
        for status in sorted(run_filter.statuses, key=lambda s: s.value):
            argv += ["--status", status.value]
    argv += ["--type", run_filter.kind.value if isinstance(run_filter.kind, RunKind) else "all"]
    time = run_filter.time
    if time.preset is TimePreset.CUSTOM:
        if time.start is not None:
            argv += ["--from", time.start.isoformat()]
        if time.end is not None:
            argv += ["--to", time.end.isoformat()]
    else:
        argv += ["--since", time.preset.value]
    if run_filter.name:
        argv += ["--name", run_filter.name]
    return argv


__all__ = [
    "Action",
    "ActionEntry",
    "ActionLog",
    "Outcome",
    "cancel_command",
    "delete_command",
    "export_command",
    "export_list_command",
    "filter_arguments",
    "respond_command",
    "rerun_command",
    "shell_line",
]
