"""`runs-tui stats` against the real backend: the figures equal a brute-force count over the
backend's own runs, as JSON, CSV and a table; offline from the cache; bad windows refused."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from cli.conftest import CliRunner, start_guide
from runs_tui.backend.clock import SystemClock
from runs_tui.backend.demo import seed_history
from runs_tui.cli import ExitCode
from runs_tui.models.health import Span
from runs_tui.models.ordering import micros
from tests.health_oracle import backend_runs, expected_health


def _span(document: dict[str, Any]) -> Span:
    return Span(
        micros(datetime.fromisoformat(document["from"])),
        micros(datetime.fromisoformat(document["to"])),
    )


def test_stats_json_equals_a_count_over_the_backends_runs(cli: CliRunner, remote: Any) -> None:
    seed_history(remote.store, SystemClock(), 300)
    start_guide(remote)
    result = cli("stats", "--since", "30d", "--format", "json")
    assert result.code == ExitCode.OK, result.err
    document = json.loads(result.out)
    assert document["window"] == "30d"
    expected = expected_health(backend_runs(remote), _span(document))
    lines = {(d["kind"], d["name"]): d for d in document["definitions"]}
    assert {(key.kind.value, key.name) for key in expected} <= set(lines)
    for key, health in expected.items():
        line = lines[(key.kind.value, key.name)]
        assert line["runs"] == health.counts.runs
        assert line["succeeded"] == health.counts.succeeded
        assert line["failed"] == health.counts.failed
        assert line["partial"] == health.counts.partial
        assert line["cancelled"] == health.counts.cancelled
        assert line["unresolved"] == health.unresolved
        assert line["resolutions"] == health.resolutions
        assert line["last_outcomes"] == health.outcome_marks
        for field, micros_value in (("p50_seconds", health.p50), ("p95_seconds", health.p95)):
            assert line[field] == (None if micros_value is None else round(micros_value / 1e6, 3))
    counted = sum(health.counts.runs for health in expected.values())
    assert counted >= 301  # the seeded history and the guide started now
    assert sum(d["runs"] for d in document["definitions"]) == counted


def test_stats_table_csv_and_offline(cli: CliRunner, remote: Any) -> None:
    seed_history(remote.store, SystemClock(), 120)
    table = cli("stats", "--since", "30d")
    assert table.code == ExitCode.OK, table.err
    header, *rows = table.out.splitlines()
    assert header.split()[:4] == ["NAME", "KIND", "RUNS", "SUCCESS"]
    assert rows

    sheet = cli("stats", "--since", "30d", "--format", "csv", "--offline")
    assert sheet.code == ExitCode.OK, sheet.err
    records = list(csv.DictReader(io.StringIO(sheet.out)))
    assert sum(int(r["runs"]) for r in records) >= 120
    assert {r["kind"] for r in records} <= {"flow", "guide"}


def test_stats_refuses_a_window_that_makes_no_sense(cli: CliRunner, remote: Any) -> None:
    both = cli("stats", "--since", "7d", "--from", "2024-01-01T00:00")
    assert both.code == ExitCode.USAGE and "--since" in both.err
    backwards = cli("stats", "--from", "2024-01-02T00:00", "--to", "2024-01-01T00:00")
    assert backwards.code == ExitCode.USAGE
    custom = cli(
        "stats", "--from", "2024-01-01T00:00", "--to", "2024-01-02T00:00", "--format", "json"
    )
    assert custom.code == ExitCode.OK, custom.err
    assert json.loads(custom.out)["window"] == "custom"


def test_stats_counts_what_runs_list_lists(cli: CliRunner, remote: Any) -> None:
    """A line's runs are exactly the runs `runs list` gives for its kind, title and window."""
    seed_history(remote.store, SystemClock(), 400)
    document = json.loads(cli("stats", "--since", "30d", "--format", "json").out)
    for line in document["definitions"]:
        listed = cli(
            "runs",
            "list",
            "--offline",
            "--type",
            line["kind"],
            "--name",
            line["name"],
            "--since",
            "30d",
            "--status",
            "all",
            "--format",
            "json",
            "--limit",
            "100000",
        )
        assert listed.code == ExitCode.OK, listed.err
        body = json.loads(listed.out)
        runs = body["runs"] if isinstance(body, dict) else body
        names = [run["name"] for run in runs]
        assert len([n for n in names if n == line["name"]]) == line["runs"], line["name"]
