"""Python imports read from the source with `ast`, for the tests of how the code depends on itself.

Every import form counts, wherever it stands (module level, inside a function, under
`if TYPE_CHECKING`): `import a.b`, `from a import b` (relative ones resolved), and
`importlib.import_module("a")` / `__import__("a")` with a literal name. The rules built on
this live with their tests: ai_studio/tests/generation/test_dependencies.py,
reelmate/tests/test_import_structure.py and reelmate/tests/test_packaging.py.
"""
from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path

__all__ = ["import_graph", "imports_in", "imports_of", "is_under", "modules_in", "simple_cycles"]

DYNAMIC_IMPORTS = {"import_module", "__import__"}


def modules_in(folder: Path, package: str) -> dict[str, Path]:
    """Every module of the package in `folder` by dotted name; an `__init__` goes by its package's name."""
    modules = {}
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((package, *parts))] = path
    return modules


def is_under(name: str, packages: Iterable[str]) -> bool:
    """`name` is one of `packages` or inside one."""
    return any(name == package or name.startswith(package + ".") for package in packages)


def imports_in(source: str, package: str, modules: Collection[str] | None = None) -> set[str]:
    """The absolute names of the modules `source` imports; it is a module of `package` (for an
    `__init__`, the package itself), which relative imports are resolved against.

    `from a import b` imports module `a.b` when that is one of `modules`, else `a`. When which
    names are modules is not known (`modules` is None), it counts as both.
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # `from .x import y` in package a.b is a.b.x
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if modules is not None:
                    found.add(candidate if candidate in modules else base)
                else:
                    found.update({base, candidate} if alias.name != "*" else {base})
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if function in DYNAMIC_IMPORTS and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def imports_of(module: str, path: Path, modules: Collection[str] | None = None) -> set[str]:
    """What the module `module`, in the file `path`, imports (see `imports_in`)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), package, modules)


def import_graph(files: Mapping[str, Path], modules: Collection[str] | None = None) -> dict[str, set[str]]:
    """Each module of `files` (name -> file) -> the names it imports, `from a import b` resolved
    against `modules` (by default those of `files`). A module naming itself (an `__init__`
    importing from its own package) does not depend on itself."""
    known = files.keys() if modules is None else modules
    return {module: imports_of(module, path, known) - {module} for module, path in files.items()}


def simple_cycles(graph: Mapping[str, Collection[str]]) -> Iterator[list[str]]:
    """Every import cycle among the modules of `graph` that visits no module twice, each once,
    starting at its smallest module."""
    reaches = {module: reachable(graph, module) for module in graph}

    def closing(path: list[str]) -> Iterator[list[str]]:
        start = path[0]
        for imported in sorted(graph[path[-1]]):
            if imported == start:
                yield list(path)
            # Only a module that imports its way back to `start` can be on a cycle through it.
            elif imported > start and imported in graph and imported not in path and start in reaches[imported]:
                yield from closing([*path, imported])

    for start in sorted(graph):
        yield from closing([start])


def reachable(graph: Mapping[str, Collection[str]], start: str) -> set[str]:
    """The modules of `graph` that `start` imports, directly or through others."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        for imported in graph[stack.pop()]:
            if imported in graph and imported not in seen:
                seen.add(imported)
                stack.append(imported)
    return seen
