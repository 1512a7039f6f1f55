"""The house plan, checked from the source alone (AST, no app module imported): libraries stay
free of Flask and the database, application modules import each other without cycles, and no
module outgrows one job."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The application's own top-level packages and modules (tests/, bench/, migrations/ are not).
APP_PACKAGES = (
    "ai",
    "channels",
    "commands",
    "core",
    "forms",
    "kb",
    "models",
    "outreach",
    "payments",
    "pipeline",
    "routes",
    "text",
)
APP_MODULES = ("config", "extensions", "labels", "main", "scheduler", "worker")

# Libraries: usable without an app, a request or a database.
LIBRARIES = ("ai", "channels", "kb/extract", "payments", "text")
FORBIDDEN_IN_LIBRARIES = ("flask", "sqlalchemy", "extensions", "models", "routes", "pipeline")
# Imports inside a function that a library may make, each with why. Nothing else, and never
# at module level.
LAZY_IMPORTS_ALLOWED = {
    # The registry names each platform's connection model and imports `models` on first use of
    # `Channel.model`, so parsing a webhook never loads the database layer.
    ("channels/registry.py", "models"),
}

MAX_LINES = 330


# --- reading the source ----------------------------------------------------------------------
def _app_files() -> Iterator[Path]:
    for name in APP_PACKAGES:
        yield from sorted((ROOT / name).rglob("*.py"))
    for name in APP_MODULES:
        yield ROOT / f"{name}.py"


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _absolute(node: ast.ImportFrom, module: str, package: bool) -> str:
    """The absolute module an ImportFrom names (`from . import x` inside channels → channels)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(
    path: Path, *, module_level_only: bool, root: Path = ROOT
) -> Iterator[tuple[str, list[str], bool]]:
    """(imported module, names taken from it, inside a function?) for each import statement.

    Module level includes class bodies and top-level if/try blocks (they run at import time),
    but not `if TYPE_CHECKING:` blocks, which never run.
    """
    tree = ast.parse(path.read_text(), str(path))
    module, package = _module_name(path, root), _is_package(path)

    def walk(node: ast.AST, in_function: bool) -> Iterator[tuple[str, list[str], bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                if not module_level_only:
                    yield from walk(child, True)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                if not module_level_only:
                    yield from walk(child, in_function)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, [], in_function
            elif isinstance(child, ast.ImportFrom):
                names = [alias.name for alias in child.names]
                yield _absolute(child, module, package), names, in_function
            else:
                yield from walk(child, in_function)

    yield from walk(tree, False)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _forbidden(target: str) -> bool:
    root = target.split(".")[0]
    return root in FORBIDDEN_IN_LIBRARIES or root.startswith("flask_")


# --- (a) libraries ---------------------------------------------------------------------------
def test_libraries_import_neither_flask_nor_the_database():
    found = []
    for library in LIBRARIES:
        for path in sorted((ROOT / library).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            for target, _names, in_function in _imports(path, module_level_only=False):
                if not _forbidden(target):
                    continue
                if in_function and (relative, target.split(".")[0]) in LAZY_IMPORTS_ALLOWED:
                    continue
                found.append(f"{relative} imports {target}")
    assert found == []


def test_the_library_check_sees_imports_inside_functions(tmp_path):
    """The walker is what the guard relies on: a lazy import must not slip past it."""
    source = tmp_path / "sample.py"
    source.write_text("def f():\n    if True:\n        from flask import g\n    return g\n")
    found = _imports(source, module_level_only=False, root=tmp_path)
    assert [(target, in_function) for target, _names, in_function in found] == [("flask", True)]


# --- (b) import cycles -----------------------------------------------------------------------
def _import_graph() -> dict[str, set[str]]:
    """Module → the application modules it imports at module level."""
    files = {_module_name(path): path for path in _app_files()}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for target, names, _in_function in _imports(path, module_level_only=True):
            # `from pkg import name` imports the module pkg.name when there is one, and the
            # package itself for any other name (bp, a re-export).
            submodules = {f"{target}.{n}" for n in names if f"{target}.{n}" in files}
            graph[name] |= submodules
            if target in files and len(submodules) < max(len(names), 1):
                graph[name].add(target)
        graph[name].discard(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module, as one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_through(graph, component) for component in components]


def _cycle_through(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One import path that leaves the component's first module and comes back to it."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for nxt in sorted(graph[node] & component):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                frontier.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def test_application_modules_import_each_other_without_cycles():
    graph = _import_graph()
    assert [" → ".join(cycle) for cycle in _cycles(graph)] == []


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]


def test_the_import_graph_resolves_from_package_import_module():
    graph = _import_graph()
    # `from pipeline import engine`-style imports point at the module, not only the package.
    assert "routes.messaging_routes.webhooks" in graph["routes.messaging_routes"]
    assert "extensions" in graph["models.user"]


# --- (c) module size -------------------------------------------------------------------------
def test_no_application_module_outgrows_one_job():
    skip = {".venv", "migrations", "tests", "bench"}
    too_long = []
    for path in sorted(ROOT.rglob("*.py")):
        if skip & set(path.relative_to(ROOT).parts):
            continue
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            too_long.append(f"{path.relative_to(ROOT).as_posix()}: {lines} lines")
    assert too_long == []
