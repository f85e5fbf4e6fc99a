"""Fixtures shared by the whole suite.

- Every test runs with the user's config, cache and data folders pointed into its own tmp dir,
  so nothing ever reads or writes the real ~/.config or ~/.cache (platformdirs follows XDG_*).
- `backend_db`: a database URL for the backend, a fresh SQLite file; for tests marked
  `postgres` also a fresh PostgreSQL schema (skipped when RUNS_TUI_TEST_PG_URL is unset).
- `pg_url`: a PostgreSQL URL whose search_path is a schema of its own, dropped afterwards, so
  parallel tests never see each other's rows.
- `live_backend`: an `EmbeddedBackend` (uvicorn + the real engine) on 127.0.0.1 and a free port.
- `team`: a backend config file of `[[tokens]]` (`Team.write`), one token per person, so tests
  act as several authenticated people (`team.token("ann")`).
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import settings

PG_ENV = "RUNS_TUI_TEST_PG_URL"

# Examples are not stored between runs: the suite must not write into the checkout.
settings.register_profile("runs-tui", database=None)
settings.load_profile("runs-tui")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    for variable, folder in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
    ):
        (home / folder).mkdir()
        monkeypatch.setenv(variable, str(home / folder))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("RUNS_TUI_BACKEND_TOKEN", raising=False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests using `backend_db` run on SQLite, and on PostgreSQL too when marked `postgres`."""
    if "backend_db" in metafunc.fixturenames:
        kinds = ["sqlite"]
        if metafunc.definition.get_closest_marker("postgres"):
            kinds.append("postgres")
        metafunc.parametrize("backend_db", kinds, indirect=True)


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sqlalchemy.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture
def backend_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if getattr(request, "param", "sqlite") == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'backend.db'}"


@pytest.fixture
def backend_token() -> str:
    return "test-" + secrets.token_urlsafe(16)


class Team:
    """People with a token each, written as a backend config (`backend/identities.py`)."""

    MEMBERS: dict[str, tuple[str, ...]] = {
        "ann": ("oncall",),
        "bob": ("oncall", "dba"),
        "carol": ("leads",),
        "dana-sre": ("oncall",),
        "cli-oncall": ("oncall",),
        "e2e-operator": ("oncall",),
        "e2e-lead": ("leads",),
        "tester": (),
    }

    def __init__(self, folder: Path) -> None:
        self.tokens = {name: f"{name}-{secrets.token_urlsafe(16)}" for name in self.MEMBERS}
        self.path = folder / "backend-config.toml"
        self.write()

    def token(self, name: str) -> str:
        return self.tokens[name]

    def write(self, extra: str = "") -> Path:
        from runs_tui.backend.identities import token_hash

        entries = [
            f'[[tokens]]\nhash = "{token_hash(self.tokens[name])}"\nname = "{name}"\n'
            f"groups = {list(groups)!r}\n"
            for name, groups in self.MEMBERS.items()
        ]
        self.path.write_text("\n".join(entries).replace("'", '"') + extra, encoding="utf-8")
        return self.path


@pytest.fixture
def team(tmp_path: Path) -> Team:
    return Team(tmp_path)


@pytest.fixture
def live_backend(backend_db: str, backend_token: str, team: Team) -> Iterator[Any]:
    """The reference backend over real HTTP on a loopback port, real engine, wall-clock time.
    The shared token is `operator`; `backend.team` holds everyone else's (`team`)."""
    from runs_tui.backend.server import EmbeddedBackend

    with EmbeddedBackend(db_url=backend_db, token=backend_token, config=team.path) as backend:
        backend.team = team  # type: ignore[attr-defined]
        yield backend


@pytest.fixture
def make_run() -> Callable[..., Any]:
    """Build a `RunDetail` for storage tests; keyword arguments override any field."""
    from runs_tui.models.domain import RunDetail, Trigger
    from runs_tui.models.lifecycle import RunKind
    from runs_tui.models.status import RunStatus

    base_time = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def build(**overrides: Any) -> RunDetail:
        index = overrides.pop("index", 0)
        status = overrides.pop("status", RunStatus.COMPLETED_SUCCESS)
        created = overrides.pop("created_at", base_time - timedelta(minutes=index))
        fields: dict[str, Any] = {
            "id": f"run-{uuid.uuid4().hex[:12]}",
            "kind": RunKind.FLOW,
            "definition_id": "db-health",
            "name": "Database health check",
            "status": status,
            "trigger": Trigger(actor="tester"),
            "created_at": created,
            "updated_at": created,
            "finished_at": created + timedelta(minutes=1) if status.is_terminal else None,
            "version": 1,
            "seq": 0,
        }
        fields.update(overrides)
        return RunDetail(**fields)

    return build
