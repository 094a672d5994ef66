"""The package's shape: one folder per pipeline stage, dependencies pointing one way.

Rules, checked on the real import graph (imports inside functions included):

* ``data`` imports no other stage;
* ``serving`` imports only ``data`` (never ``training``, ``evidence`` or ``cli``);
* ``training`` imports ``serving`` and ``data``;
* ``evidence`` imports ``training``, ``serving`` and ``data``;
* ``cli`` may import everything, and nothing imports ``cli`` but the
  ``python -m`` entry points;
* ``errors`` is shared by every stage and imports none;
* no import circle between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import salarymodel

PACKAGE = Path(salarymodel.__file__).parent
STAGES = ("data", "serving", "training", "evidence", "web", "cli")
# What each stage may import (besides itself and the shared errors module).
ALLOWED = {
    "data": set(),
    "serving": {"data"},
    "training": {"serving", "data"},
    "evidence": {"training", "serving", "data"},
    "web": {"serving", "data", "top"},  # the app loads the model through api, as predict() does
    "cli": {"evidence", "training", "serving", "data", "web", "top"},
    # api serves; the training run (train) ties training, evidence and serving
    # together; the -m entry points hand over to cli.
    "top": {"serving", "data", "training", "evidence", "cli", "top"},
}
TOP_LEVEL_MODULES = {"__init__", "api", "errors", "train", "predict", "evaluate", "benchmark"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts)


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """Modules of the package named by a relative ``from ... import``."""
    package = module.split(".")
    is_package = package[-1] == "__init__"
    base = package[:-1] if not is_package else package[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    target = base + (node.module.split(".") if node.module else [])
    names = [".".join(target + [alias.name]) for alias in node.names] if not node.module else []
    return [".".join(target)] + names


def _absolute(node: ast.ImportFrom | ast.Import) -> list[str]:
    names = [node.module] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
    return [n[len("salarymodel."):] for n in names if n and n.startswith("salarymodel.")]


def import_graph() -> dict[str, set[str]]:
    """Module -> package modules it imports anywhere in its body (dotted, no prefix)."""
    files = {(_module_name(p)): p for p in PACKAGE.rglob("*.py")}
    known = set(files) | {m[: -len(".__init__")] for m in files if m.endswith(".__init__")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                candidates = _resolve(module, node)
            elif isinstance(node, (ast.ImportFrom, ast.Import)):
                candidates = _absolute(node)
            else:
                continue
            found.update(c for c in candidates if c in known)
        graph[module] = found - {module}
    return graph


def stage(module: str) -> str:
    head = module.split(".")[0]
    return head if head in STAGES else "top"


def test_the_listing_shows_the_stages_and_few_top_level_modules():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(STAGES)
    assert {p.stem for p in PACKAGE.glob("*.py")} == TOP_LEVEL_MODULES
    for folder in STAGES:
        assert ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text())), folder


def test_dependencies_point_one_way_even_inside_functions():
    broken = []
    for module, imports in import_graph().items():
        for target in imports:
            if target in ("errors", "__init__") or target == "":
                continue
            own, other = stage(module), stage(target)
            if module == "errors":
                broken.append((module, target))
            elif other != own and other not in ALLOWED[own]:
                broken.append((module, target))
    assert broken == []


def test_nothing_but_the_entry_points_imports_the_command_lines():
    importers = {m for m, imports in import_graph().items() for t in imports if stage(t) == "cli" and stage(m) != "cli"}
    assert importers <= {"predict", "evaluate", "benchmark", "train"}


def test_serving_reaches_no_training_module_through_any_chain():
    graph = import_graph()
    reachable, todo = set(), ["api"] + [m for m in graph if stage(m) == "serving"]
    while todo:
        module = todo.pop()
        if module not in reachable:
            reachable.add(module)
            # api imports the training run only inside the first-use training function
            todo.extend(t for t in graph[module] if not (module == "api" and t == "train"))
    assert {m for m in reachable if stage(m) in ("training", "evidence", "cli")} == set()


def test_the_rules_see_a_forbidden_import(tmp_path):
    # The resolver reads both relative and absolute forms.
    tree = ast.parse("from ..training.synthetic import x\nimport salarymodel.evidence.report\n")
    relative, absolute = tree.body
    assert _resolve("serving.model", relative)[0] == "training.synthetic"
    assert _absolute(absolute) == ["evidence.report"]
    assert stage("training.synthetic") not in ALLOWED["serving"]


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
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
    graph = import_graph()
    # The -m entry points and their command modules are one command split in two files.
    graph = {m: {t for t in ts if not (m == "train" and t == "cli.train")} for m, ts in graph.items()}
    assert _cycle(graph) is None


def test_the_circle_finder_finds_circles():
    assert _cycle({"api": {"train"}, "train": {"evaluate"}, "evaluate": {"api"}}) == ["api", "train", "evaluate",
                                                                                     "api"]
