"""No import circle in the shared package (issue 15): no module of
certtrack_shared imports, at the top or inside a function, one that imports
it back, directly or through others; and each module imports on its own in a
fresh interpreter."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import certtrack_shared

PACKAGE = Path(certtrack_shared.__file__).resolve().parent
ROOT = PACKAGE.name


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def _source(module: str) -> Path:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def imports(module: str, known: set[str]) -> set[str]:
    """The modules of the package that `module` imports anywhere in its code.

    `from certtrack_shared.x import y` is an import of `certtrack_shared.x.y`
    when that is a module, else of `certtrack_shared.x`.
    """
    path = _source(module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in known else base)
    return {name for name in found if name in known and name != module}


def import_graph() -> dict[str, set[str]]:
    known = set(module_names())
    return {module: imports(module, known) for module in known}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import one another (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_the_shared_package_imports_one_that_imports_it_back():
    graph = import_graph()
    assert "certtrack_shared.retries" in graph["certtrack_shared.topology"]
    assert circles(graph) == []


def test_the_check_sees_a_circle_through_a_function_level_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]


FRESH_IMPORTS = """
import importlib, sys, traceback
failures = {}
for module in sys.argv[1:]:
    # Each alone: none of the package's modules loaded before it.
    for loaded in [name for name in sys.modules if name.split(".")[0] == "certtrack_shared"]:
        del sys.modules[loaded]
    try:
        importlib.import_module(module)
    except Exception as error:
        failures[module] = repr(error)
print(failures)
"""


def test_each_module_imports_on_its_own_in_a_fresh_interpreter():
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", FRESH_IMPORTS, *module_names()],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "{}", done.stdout
