"""The package's shape: one folder per pipeline stage, dependencies pointing one way.

Rules, checked on the real import graph (imports inside functions included):

* ``data`` imports no other stage;
* ``serving`` imports only ``data`` (never ``training``, ``evidence`` or ``cli``);
* ``training`` imports ``serving`` and ``data``;
* ``evidence`` imports ``training``, ``serving`` and ``data``;
* ``cli`` may import everything, and nothing imports ``cli`` but the
  ``python -m`` entry points;
* ``errors`` is shared by every stage and imports none;
* each top-level module imports only what its job needs (``TOP_LEVEL``);
* no module reaches into another's private names: no ``from x import _y``,
  no private module (``serving._frame``) imported from outside its folder,
  no ``thing._attribute`` of another object;
* no import circle between modules (imports for annotations included).

A module's ``if __name__ == "__main__":`` block is left out of the graph: it
runs only when the file is run with ``python -m``, as a module object of its
own (``__main__``), so what it imports cannot close a circle with the module
others import.
"""

from __future__ import annotations

import ast
from pathlib import Path

from package_graph import PACKAGE, absolute_imports, import_graph, module_name, resolve_relative

STAGES = ("data", "serving", "training", "evidence", "web", "cli")
# What each stage may import (besides itself and the shared errors module).
ALLOWED = {
    "data": set(),
    "serving": {"data"},
    "training": {"serving", "data"},
    "evidence": {"training", "serving", "data"},
    "web": {"serving", "data", "top"},  # the app loads the model through api, as predict() does
    "cli": {"evidence", "training", "serving", "data", "web", "top"},
    # Each top-level module has its own row in TOP_LEVEL.
    "top": {"serving", "data", "training", "evidence", "cli", "top"},
}
# What each top-level module may import, and why.
TOP_LEVEL = {
    "__init__": {"api", "serving"},  # the public names
    "api": {"serving", "data", "pipeline"},  # serves; the pipeline only for a user's first-use training (in a function)
    "errors": set(),  # shared by every stage
    "pipeline": {"training", "evidence", "serving", "data"},  # the training run ties the stages together
    # The -m entry points hand over to their command line: ``python -m salarymodel <command>``,
    # and the two the docs name on their own; train also names the pipeline's train() for Python.
    "__main__": {"cli"},
    "evaluate": {"cli"},
    "train": {"pipeline", "cli"},
}
TOP_LEVEL_MODULES = set(TOP_LEVEL)
# Private-looking attributes that are other libraries' public API.
FOREIGN_API = {"_asdict", "_replace", "_fields", "_meta", "_getframe"}


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
            elif own == "top":
                if target.split(".")[0] not in TOP_LEVEL[module] and other not in TOP_LEVEL[module]:
                    broken.append((module, target))
            elif other != own and other not in ALLOWED[own]:
                broken.append((module, target))
    assert broken == []


def test_nothing_but_the_entry_points_imports_the_command_lines():
    importers = {m for m, imports in import_graph().items() for t in imports if stage(t) == "cli" and stage(m) != "cli"}
    assert importers <= {"__main__", "evaluate", "train"}


def test_serving_reaches_no_training_module_through_any_chain():
    graph = import_graph()
    reachable, todo = set(), ["api"] + [m for m in graph if stage(m) == "serving"]
    while todo:
        module = todo.pop()
        if module not in reachable:
            reachable.add(module)
            # api imports the training run only inside the first-use training function
            todo.extend(t for t in graph[module] if not (module == "api" and t == "pipeline"))
    assert {m for m in reachable if stage(m) in ("training", "evidence", "cli")} == set()


def test_the_rules_see_a_forbidden_import(tmp_path):
    # The resolver reads both relative and absolute forms.
    tree = ast.parse("from ..training.synthetic import x\nimport salarymodel.evidence.report\n")
    relative, absolute = tree.body
    assert resolve_relative("serving.model", relative)[0] == "training.synthetic"
    assert absolute_imports(absolute) == ["evidence.report"]
    assert stage("training.synthetic") not in ALLOWED["serving"]


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
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
    # Imports for annotations count too: a circle of types is a circle of design.
    assert _cycle(import_graph()) is None


def _private_reaches(module: str, path: Path) -> list[str]:
    """Where ``module`` uses another module's private names."""
    found = []
    folder = module.rsplit(".", 1)[0] if "." in module else ""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("salarymodel")):
            target = resolve_relative(module, node)[0] if node.level else absolute_imports(node)[0]
            names = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if names:
                found.append(f"{module}: from {target} import {names}")
            private = [part for part in target.split(".") if part.startswith("_") and not part.startswith("__")]
            if private and target.rsplit(".", 1)[0] != folder:
                found.append(f"{module}: imports {target} from outside its folder")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr not in FOREIGN_API
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            found.append(f"{module} line {node.lineno}: ._{node.attr[1:]}")
    return found


def test_no_module_reaches_into_another_modules_private_names():
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    assert [reach for module, path in files.items() for reach in _private_reaches(module, path)] == []


def test_the_private_name_check_sees_each_kind_of_reach(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from ..serving._frame import predict_frame\nfrom ..serving.model import _closest\n"
        "x = model.core._cell_index\ny = self._cache\nz = row._asdict()\n"
    )
    found = _private_reaches("web.sample", sample)
    assert len(found) == 3 and "outside its folder" in found[0] and "_closest" in found[1] and "_cell_index" in found[2]


def test_the_circle_finder_finds_circles():
    assert _cycle({"api": {"train"}, "train": {"evaluate"}, "evaluate": {"api"}}) == ["api", "train", "evaluate", "api"]


def test_the_years_grid_is_read_in_one_place():
    # grid.grid_position / grid.grid_index turn years into grid positions; nothing else divides
    # by the grid step, but year_ranges counting how many points a range spans.
    dividing = {module_name(p) for p in (PACKAGE / "serving").glob("*.py") if "/ GRID_STEP" in p.read_text()}
    assert dividing == {"serving.grid", "serving.year_ranges"}
    counts = [line for line in (PACKAGE / "serving" / "year_ranges.py").read_text().splitlines() if "/ GRID_STEP" in line]
    assert len(counts) == 1 and "round((high - low) / GRID_STEP)" in counts[0]


# What names a model folder's files or its format: the names themselves, and the constants
# that hold them.
_MODEL_FILE_WORDS = ("FORMAT_VERSION", "format_version", "CARD_FILE", "CARD_MARKDOWN_FILE", "TRAINING_SET_FILE", "salary_model")


def test_the_model_file_is_known_by_its_package_and_at_most_three_modules_outside_it():
    outside = {
        module_name(p)
        for p in PACKAGE.rglob("*.py")
        if "model_io" not in p.parts and any(word in p.read_text() for word in _MODEL_FILE_WORDS)
    }
    # The first-use rule (api), the training run's copy of its training set (pipeline) and
    # the command that reports what it wrote (cli.train).
    assert outside == {"api", "pipeline", "cli.train"}


def _third_party_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_serving_never_imports_what_writes_or_reads_the_training_side():
    # The training file is a pickle of scikit-learn objects: training.state_file writes and
    # reads it; nothing in serving (the model-file package included) imports those libraries.
    reaching = {
        module_name(p): sorted(_third_party_imports(p) & {"joblib", "sklearn", "pickle"})
        for p in (PACKAGE / "serving").rglob("*.py")
    }
    assert {module: libs for module, libs in reaching.items() if libs} == {}
    assert {"joblib", "sklearn"} <= _third_party_imports(PACKAGE / "training" / "state_file.py")


def test_the_model_is_a_facade_of_at_most_15_public_names_over_a_core():
    from salarymodel import SalaryModel, load_model

    model = load_model()
    public = sorted(name for name in dir(model) if not name.startswith("_"))
    assert len(public) <= 15, public
    assert {"predict", "predict_frame", "percentiles", "curve", "rank", "ranges", "explain", "known"} <= set(public)
    # The feature modules are functions of the core: none of them takes the facade.
    takers = [
        f"{module_name(path)}:{node.name}"
        for path in (PACKAGE / "serving").rglob("*.py")
        if path.name != "model.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and any("SalaryModel" in ast.unparse(a.annotation) for a in node.args.args if a.annotation is not None)
    ]
    assert takers == [] and SalaryModel.__module__ == "salarymodel.serving.model"
