"""The package's shape: no import circle, serving free of the training side."""

from __future__ import annotations

import ast
from pathlib import Path

import salarymodel

PACKAGE = Path(salarymodel.__file__).parent


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """Sibling modules a module imports (``from .x import ...``), optionally
    counting imports inside functions too."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    modules = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path, top_level_only=top_level_only) & set(modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle_even_through_imports_inside_functions():
    assert _cycle(_graph(top_level_only=False)) is None


def test_serving_modules_import_nothing_from_the_training_side():
    graph = _graph(top_level_only=True)
    reachable, todo = set(), ["api"]
    while todo:
        module = todo.pop()
        if module not in reachable:
            reachable.add(module)
            todo.extend(graph[module])
    training = {"train", "compile", "model", "synthetic", "effects", "evidence", "evaluate", "validation",
                "fidelity", "candidates", "figures", "normalise", "provenance", "uncertainty", "fx"}
    assert reachable & training == set(), reachable


def test_the_circle_finder_finds_circles():
    assert _cycle({"api": {"train"}, "train": {"evaluate"}, "evaluate": {"api"}}) == ["api", "train", "evaluate",
                                                                                     "api"]
