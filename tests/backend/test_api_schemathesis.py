"""The API against its own OpenAPI document, fuzzed by schemathesis: every operation but the
endless `/stream`, in the examples, coverage and fuzzing phases (one test per operation) and the
stateful phase (chains of calls following the links schemathesis infers), with every check.

A real backend on loopback with the API tests' definitions (a guide whose steps wait for
answers, so respond and cancel meet real runs). Examples are bounded and the seed is fixed, so
a run is repeatable and its length is known.

Where validity depends on server state the document cannot express, schemathesis' "schema-valid
request rejected" check is told the documented refusal is expected: a start whose inputs the
definition does not take (or lacks), an answer the prompt does not allow, an Idempotency-Key
already used for another request, a change-feed cursor the server no longer (or never) had.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from runs_tui.backend.server import EmbeddedBackend

DEFINITIONS = str(Path(__file__).parent / "api_definitions")
SEED = 20261201
MAX_EXAMPLES = 20
ENDLESS = "/stream$"  # an event stream never ends: its own tests cover it
STATEFUL_EXAMPLES = 10
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]  # schemathesis' own default, less 5xx


def _expecting(path_regex: str, *statuses: str) -> dict[str, Any]:
    return {
        "include-path-regex": path_regex,
        "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *statuses]}},
    }


def _config(backend: EmbeddedBackend) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": backend.url,
            "auth": {
                "openapi": {"HTTPBearer": {"bearer": backend.token}}
            },  # as a scheme, so it checks 401s too
            "request-timeout": 30,
            "generation": {"max-examples": MAX_EXAMPLES},
            "phases": {"stateful": {"max-steps": 8}},
            "checks": {"enabled": True},
            "operations": [
                _expecting(r"/(flows|guides)/\{definition_id\}/runs$", "422"),
                _expecting(r"/steps/\{step_id\}/response$", "422"),
                _expecting(r"/cancel$", "422"),
                _expecting(r"/runs/changes$", "410"),
            ],
        }
    )


def _schema(backend: EmbeddedBackend) -> Any:
    """Loaded with the token: the document is behind it, like the API."""
    document = (
        httpx.get(
            f"{backend.api_url}/openapi.json",
            headers={"Authorization": f"Bearer {backend.token}"},
            timeout=30,
        )
        .raise_for_status()
        .json()
    )
    return schemathesis.openapi.from_dict(document, config=_config(backend)).exclude(
        path_regex=ENDLESS
    )


@pytest.fixture(scope="module")
def fuzzed_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    db = tmp_path_factory.mktemp("fuzz") / "backend.db"
    with EmbeddedBackend(db_url=f"sqlite:///{db}", definitions_dir=DEFINITIONS) as backend:
        for _ in range(3):  # runs waiting for answers, for respond and cancel to meet
            httpx.post(
                f"{backend.api_url}/guides/checklist/runs",
                json={"inputs": {"host": "db-1"}},
                headers={"Authorization": f"Bearer {backend.token}"},
                timeout=30,
            ).raise_for_status()
        yield backend


@pytest.fixture(scope="module")
def api_schema(fuzzed_backend: EmbeddedBackend) -> Any:
    return _schema(fuzzed_backend)


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=ENDLESS)


# One test item runs every operation (schemathesis makes them subtests), so it outlasts the
# suite's per-test timeout on a loaded machine; the bound is the examples count, not the clock.
@pytest.mark.timeout(900)
@schema.parametrize()
def test_every_operation_keeps_its_contract(case: Any) -> None:
    case.call_and_validate()


@pytest.mark.timeout(900)
def test_call_sequences_keep_the_contract(api_schema: Any) -> None:
    machine = api_schema.as_state_machine()
    machine.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            stateful_step_count=8,
        )
    )
