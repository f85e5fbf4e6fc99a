"""No runtime import cycle inside runs_tui.

Why: a cycle makes the import order matter (whichever module is imported first sees the other
half-initialised) and ties two layers together, so neither can be loaded, tested or made lazy
without the other; `keymap.py` ↔ `app.py` was one. Imports under `TYPE_CHECKING` do not run,
so they are left out; lazy imports inside functions do run, so they count.
"""

from __future__ import annotations

import grimp


def runtime_cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """Each import `a -> b` for which `b` leads back to `a`, as the chain round the cycle."""
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append((importer, *back))
    return cycles


def test_runs_tui_has_no_runtime_import_cycle() -> None:
    graph = grimp.build_graph("runs_tui", exclude_type_checking_imports=True)
    assert runtime_cycles(graph) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    """The check itself can fail: a graph with a -> b -> a reports it."""
    graph = grimp.ImportGraph()
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    assert runtime_cycles(graph) == [("pkg.a", "pkg.b", "pkg.a"), ("pkg.b", "pkg.a", "pkg.b")]
