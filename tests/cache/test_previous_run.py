"""`Cache.previous_run`: the run of the same flow or guide created just before, checked against
a plain-Python oracle over random runs (what `=` compares a run with)."""

from __future__ import annotations

import random

from runs_tui.cache import Cache
from runs_tui.models import ChangesPage, RunSummary

from .factories import make_run


def test_previous_run_is_the_newest_older_run_of_the_same_definition_and_kind(
    cache: Cache,
) -> None:
    rng = random.Random(14)
    runs = [make_run(index, rng, names=["Disk", "Latency"]) for index in range(400)]
    # ties on the creation time: the one that arrived first is the earlier
    runs += [runs[0].model_copy(update={"id": f"tie-{n}"}) for n in range(3)]
    cache.apply_changes(ChangesPage(changes=runs, deleted=[], next_cursor=1, has_more=False))
    order = {run.id: index for index, run in enumerate(runs)}  # arrival order

    def oracle(run: RunSummary) -> str | None:
        older = [
            other
            for other in runs
            if other.definition_id == run.definition_id
            and other.kind == run.kind
            and (other.created_at, order[other.id]) < (run.created_at, order[run.id])
        ]
        return max(older, key=lambda o: (o.created_at, order[o.id])).id if older else None

    for run in runs:
        found = cache.previous_run(run.id)
        assert (found.id if found else None) == oracle(run), run.id
    assert cache.previous_run("no-such-run") is None
