"""The health screen as an operator meets it: the real dashboard in tmux at 80×24 (NO_COLOR)
against a real backend holding a month of history, opened with `H`; the figures read back
from the screen equal a count over the backend's own runs; Enter lists the line's runs; and
while the screen is open another operator (the CLI) cancels a run and deletes another, and
the figures follow."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from runs_tui.backend.clock import SystemClock
from runs_tui.backend.demo import seed_history
from runs_tui.backend.store import RunStore
from runs_tui.models.health import DefinitionHealth, HealthWindow, window_span
from runs_tui.screens.health import KIND_MARK, NARROW_COLUMNS, _fit
from tests.health_oracle import backend_runs, expected_health

from .backend_process import BackendProcess, waiting
from .conftest import TOKEN_ENV, CliRunner, TerminalFactory

LINE = re.compile(
    r"^ ([FG] .{24}) +(\d+) +(\S+) +(\d+) +(\d+) +(\d+) +(\d+) +(▲ \+\d+|▼ -\d+|= 0|—)\s*$"
)


@pytest.fixture
def e2e_backend(tmp_path: Path, team: Any) -> Iterator[BackendProcess]:
    """The suite's backend process, on a database seeded first with 400 finished runs over
    the last 30 days (the demo history), and no live traffic."""
    db = f"sqlite:///{tmp_path / 'backend.sqlite3'}"
    store = RunStore(db)
    store.create_schema()
    seed_history(store, SystemClock(), 400)
    store.close()
    token = "e2e-" + secrets.token_urlsafe(24)
    env = {**os.environ, TOKEN_ENV: token}
    backend = BackendProcess(
        ["--db", db, "--port", "0", "--config", str(team.path)], env, token=token, team=team
    )
    try:
        backend.wait_until_healthy()
        yield backend
    finally:
        backend.stop()


def _shown(screen: str) -> dict[str, tuple[str, ...]]:
    """name cell → (runs, ok%, failed, partial, cancelled, unresolved, trend) of each line."""
    found = {}
    for line in screen.splitlines():
        match = LINE.match(line)
        if match:
            found[match.group(1).rstrip()] = match.groups()[1:]
    return found


def _cells(line: DefinitionHealth) -> tuple[str, tuple[str, ...]]:
    from runs_tui.screens.health import cells

    shown = cells(line, wide=False)
    name = _fit(f"{KIND_MARK[line.key.kind.value]} {line.key.name}", NARROW_COLUMNS[0]).rstrip()
    return name, tuple(shown[1:])


def _expected(backend: BackendProcess, window: HealthWindow) -> list[dict[str, tuple[str, ...]]]:
    """The brute force now (twice around the read: a run may cross the window's edge)."""
    runs = backend_runs(backend)
    now = datetime.now(UTC)
    return [dict(_cells(line) for line in expected_health(runs, window_span(window, now)).values())]


def _matches(screen: str, backend: BackendProcess, window: HealthWindow) -> bool:
    shown = _shown(screen)
    if len(shown) < 5:
        return False
    expected = _expected(backend, window)[0]
    never_run = ("0", "—", "0", "0", "0", "0", "—")  # a listed definition without runs
    return all(expected.get(name, never_run) == cells for name, cells in shown.items())


def test_open_health_read_the_figures_and_list_a_lines_runs(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    term = terminal(no_color=True)
    term.wait_for("runs")
    term.send("H")
    term.wait_for("Health · last 7 days")
    screen = term.wait_until(
        lambda s: _matches(s, e2e_backend, HealthWindow.LAST_7D),
        what="the 7-day figures of the backend's runs",
    )
    assert "NAME" in screen and "UNRES" in screen
    term.send("3")
    term.wait_for("Health · last 30 days")
    screen = term.wait_until(
        lambda s: _matches(s, e2e_backend, HealthWindow.LAST_30D),
        what="the 30-day figures of the backend's runs",
    )
    first_name, first = next(iter(_shown(screen).items()))
    # the cursor stayed on its line when the order changed: to the top line, then Enter
    term.send("Home")
    term.wait_for(f"{first_name[2:].rstrip('…')}")
    term.send("Enter")  # the top line's runs, in the list
    name = first_name[2:].rstrip("…")
    listed = term.wait_for(
        f"{first[0]} runs · guides · last 30 days + active · name contains"
        if first_name.startswith("G")
        else f"{first[0]} runs · flows · last 30 days + active · name contains"
    )
    assert name[:10] in listed


def test_figures_follow_a_cancel_and_a_delete_by_another_operator(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    e2e_backend.wait_for_run(run_id, waiting)
    term = terminal(no_color=True)
    term.wait_for("runs")
    term.send("H")
    term.wait_until(
        lambda s: _matches(s, e2e_backend, HealthWindow.LAST_7D), what="the first figures"
    )
    guide = "G On-call handover"
    before = _shown(term.screen())[guide]

    cancelled = cli("runs", "cancel", run_id, "--yes")
    assert cancelled.returncode == 0, cancelled.stderr
    term.wait_until(
        lambda s: _shown(s).get(guide, before)[4] == str(int(before[4]) + 1),
        what="the cancel counted",
    )
    victims = [r for r in backend_runs(e2e_backend) if r.status.is_terminal and r.id != run_id]
    victims.sort(key=lambda r: r.created_at, reverse=True)  # the newest: inside the 7 days
    victim = victims[0]
    deleted = cli("runs", "delete", victim.id, "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert e2e_backend.request("GET", f"/runs/{victim.id}").status_code == 404
    term.wait_until(
        lambda s: _matches(s, e2e_backend, HealthWindow.LAST_7D),
        what="the figures without the deleted run",
    )
