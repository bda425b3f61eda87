"""The layout's import rules (ARCHITECTURE.md), read from the source with `ast`.

Every import counts, including those inside functions: a deferred import still ties two
modules together. Migrations are left out (they import models by design).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("annotator", "corpus")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an import names (`a.b.c` may be a module or a name in `a.b`)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_the_checker_reads_deferred_and_relative_imports():
    # annotator/apps.py imports its receivers and tasks inside ready().
    assert "annotator.suggestions.receivers" in GRAPH["annotator.apps"]
    assert "annotator.suggestions.tasks" in GRAPH["annotator.apps"]


def test_no_import_circle():
    assert _cycles(GRAPH) == []


def test_corpus_never_imports_annotator():
    wrong = {m: sorted(t for t in GRAPH[m] if t.startswith("annotator")) for m in GRAPH}
    assert {m: t for m, t in wrong.items() if m.startswith("corpus") and t} == {}


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.startswith("annotator.suggestions.suggesters"))
)
def test_suggesters_import_only_suggesters(module):
    """Text in, spans out: no models, no database, nothing else of the project."""
    outside = {t for t in GRAPH[module] if not t.startswith("annotator.suggestions.suggesters")}
    assert outside == set()
    source = MODULES[module].read_text()
    assert "django.db" not in source


def test_services_never_import_tasks():
    """Work is queued by name through annotator.enqueue; only tasks import services."""
    wrong = {
        module: sorted(t for t in targets if t.endswith(".tasks"))
        for module, targets in GRAPH.items()
        if not module.endswith(".tasks") and module != "annotator.apps"
    }
    assert {m: t for m, t in wrong.items() if t} == {}


def test_no_module_past_the_size_a_reader_holds():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 420}
    assert long == {}
