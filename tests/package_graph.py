"""The package's import graph, read from its source: what the structure tests
check and what the strict type check covers."""

from __future__ import annotations

import ast
from pathlib import Path

import salarymodel

PACKAGE = Path(salarymodel.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts)


def resolve_relative(module: str, node: ast.ImportFrom) -> list[str]:
    """Modules of the package named by a relative ``from ... import``."""
    package = module.split(".")
    is_package = package[-1] == "__init__"
    base = package[:-1] if not is_package else package[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    target = base + (node.module.split(".") if node.module else [])
    names = [".".join(target + [alias.name]) for alias in node.names] if not node.module else []
    return [".".join(target)] + names


def absolute_imports(node: ast.ImportFrom | ast.Import) -> list[str]:
    names = [node.module] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
    return [n[len("salarymodel.") :] for n in names if n and n.startswith("salarymodel.")]


def import_graph() -> dict[str, set[str]]:
    """Module -> package modules it imports anywhere in its body (dotted, no prefix)."""
    files = {(module_name(p)): p for p in PACKAGE.rglob("*.py")}
    known = set(files) | {m[: -len(".__init__")] for m in files if m.endswith(".__init__")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        found: set[str] = set()
        for node in ast.walk(without_main_block(ast.parse(path.read_text()))):
            if isinstance(node, ast.ImportFrom) and node.level:
                candidates = resolve_relative(module, node)
            elif isinstance(node, (ast.ImportFrom, ast.Import)):
                candidates = absolute_imports(node)
            else:
                continue
            # A package imported by name runs its __init__: that is the module it reaches.
            found.update(c if c in files else f"{c}.__init__" for c in candidates if c in known)
        graph[module] = found - {module}
    return graph


def without_main_block(tree: ast.Module) -> ast.Module:
    """The module without its ``if __name__ == "__main__":`` block (see the module's docstring)."""

    def is_main(node: ast.stmt) -> bool:
        return (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name)
            and node.test.left.id == "__name__"
        )

    tree.body = [node for node in tree.body if not is_main(node)]
    return tree


def reached_from(graph: dict[str, set[str]], modules: set[str]) -> set[str]:
    """``modules`` and every package module they import, directly or through others,
    with the ``__init__`` of each package on the way."""
    reached, todo = set(modules), list(modules)
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in reached:
                reached.add(target)
                todo.append(target)
    # Importing a module runs its packages' __init__ first.
    packages = {".".join([*m.split(".")[:depth], "__init__"]) for m in reached for depth in range(m.count(".") + 1)}
    return reached | {p for p in packages if p in graph}
