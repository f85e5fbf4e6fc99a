"""The brute-force health oracle over the backend's own runs (read from its change feed),
shared by the CLI and e2e tests of the health figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from runs_tui.models import RunSummary
from runs_tui.models.health import (
    DefinitionHealth,
    DefinitionKey,
    HealthRun,
    Span,
    definition_health,
)
from runs_tui.models.ordering import micros


def backend_runs(backend: Any) -> list[RunSummary]:
    """Every run the backend holds now, from its change feed (latest copy per id)."""
    headers = {"Authorization": f"Bearer {backend.token}"}
    runs: dict[str, RunSummary] = {}
    cursor = 0
    while True:
        page = httpx.get(
            f"{backend.api_url}/runs/changes",
            params={"cursor": cursor, "limit": 1000},
            headers=headers,
            timeout=10,
        ).json()
        for change in page["changes"]:
            run = RunSummary.model_validate(change)
            runs[run.id] = run
        for gone in page["deleted"]:
            runs.pop(gone, None)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return list(runs.values())


def health_run(run: RunSummary) -> HealthRun:
    def at(moment: datetime | None) -> int | None:
        return None if moment is None else micros(moment)

    return HealthRun(run.status, micros(run.created_at), at(run.started_at), at(run.finished_at))


def expected_health(runs: list[RunSummary], span: Span) -> dict[DefinitionKey, DefinitionHealth]:
    by_key: dict[DefinitionKey, list[HealthRun]] = {}
    for run in runs:
        by_key.setdefault(DefinitionKey(run.kind, run.name), []).append(health_run(run))
    return {key: definition_health(key, found, span) for key, found in by_key.items()}
