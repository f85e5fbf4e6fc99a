"""`export_run` / `export_list` over the real cache: paths, atomic writes, identical bytes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from exports.hostile import hostile_strings
from runs_tui import exports
from runs_tui.atomic_write import write_stream_atomically
from runs_tui.cache import Cache
from runs_tui.exports import DetailNotCached, ExportFormat
from runs_tui.models.domain import ChangesPage, RunDetail
from runs_tui.models.filters import RunFilter, TimePreset, TimeRange

NOW = datetime(2026, 1, 1, 13, 0, tzinfo=UTC)
EVERYTHING = RunFilter(time=TimeRange(TimePreset.ALL))


@pytest.fixture
def cache(tmp_path: Path, make_run: Callable[..., RunDetail]) -> Iterator[Cache]:
    with Cache.open(tmp_path / "cache.sqlite3") as opened:
        runs = [
            make_run(id=f"run-{i}", index=i, name=value[:2000], seq=i + 1)
            for i, (_, value) in enumerate(hostile_strings())
        ]
        runs.append(make_run(id="../../escape", name="../../etc/passwd", seq=len(runs) + 1))
        opened.apply_changes(
            ChangesPage(changes=runs, deleted=[], next_cursor=len(runs), has_more=False)
        )
        for run in runs:
            opened.store_detail(run, etag=f'"{run.id}"', fetched_at=NOW)
        yield opened


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_a_run_export_goes_to_a_default_name_in_a_directory_from_the_id_only(
    cache: Cache, tmp_path: Path, fmt: ExportFormat
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    written = exports.export_run(cache, "../../escape", fmt, folder)
    assert written == folder / f"run-______escape.{fmt.value}"
    assert sorted(p.name for p in folder.iterdir()) == [written.name]
    assert exports.export_run(cache, "run-3", fmt, folder / "chosen") == folder / "chosen"


def test_without_a_path_the_export_goes_to_the_working_directory(
    cache: Cache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        exports.export_run(cache, "run-0", ExportFormat.JSON, None) == tmp_path / "run-run-0.json"
    )
    assert (
        exports.export_list(cache, EVERYTHING, NOW, ExportFormat.CSV, None) == tmp_path / "runs.csv"
    )


def test_exporting_a_run_without_cached_detail_says_so(cache: Cache, tmp_path: Path) -> None:
    with pytest.raises(DetailNotCached):
        exports.export_run(cache, "never-seen", ExportFormat.JSON, tmp_path)
    assert list(tmp_path.glob("run-*")) == []


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_the_same_cache_gives_byte_identical_files(
    cache: Cache, tmp_path: Path, fmt: ExportFormat
) -> None:
    first = exports.export_list(cache, EVERYTHING, NOW, fmt, tmp_path / "a").read_bytes()
    later = exports.export_list(
        cache, EVERYTHING, NOW + timedelta(days=3), fmt, tmp_path / "b"
    ).read_bytes()
    assert first == later
    run_a = exports.export_run(cache, "run-5", fmt, tmp_path / "r1").read_bytes()
    assert exports.export_run(cache, "run-5", fmt, tmp_path / "r2").read_bytes() == run_a


def test_the_list_export_holds_one_object_per_run_with_huge_values_intact(
    cache: Cache, tmp_path: Path
) -> None:
    document = json.loads(
        exports.export_list(cache, EVERYTHING, NOW, ExportFormat.JSON, tmp_path / "l").read_text()
    )
    assert len(document["runs"]) == len(hostile_strings()) + 1
    detail = json.loads(
        exports.export_run(cache, "run-0", ExportFormat.JSON, tmp_path / "r").read_text()
    )
    assert detail["run"]["name"] == hostile_strings()[0][1][:2000]


def test_a_failed_write_leaves_the_previous_file_and_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "runs.csv"
    target.write_text("previous")

    def broken(stream: object) -> None:
        stream.write("half a file")  # type: ignore[attr-defined]
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_stream_atomically(target, broken)
    assert target.read_text() == "previous" and os.listdir(tmp_path) == ["runs.csv"]
