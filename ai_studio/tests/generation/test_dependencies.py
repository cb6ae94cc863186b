"""The engine's dependencies run one way: no import cycle among its modules, and nothing from
Django, Celery or the project's other code (it is plain Python; the services translate at the edge).

Imports are read from the source with ``ast`` wherever they stand: at module level, inside
functions, and under ``if TYPE_CHECKING``. A module's own package ``__init__`` runs before it in
any case, so only what a module names counts as its dependency.
"""

from __future__ import annotations

import ast
import graphlib
import os
import subprocess
import sys
from pathlib import Path

import ai_studio.generation

ENGINE = "ai_studio.generation"
ENGINE_DIR = Path(ai_studio.generation.__file__).parent
REPO = ENGINE_DIR.parent.parent
FRAMEWORKS = frozenset({"django", "celery", "kombu", "rest_framework", "drf_spectacular", "environ"})


def modules_of(package_dir: Path, package: str) -> dict[str, Path]:
    """Every module of a package by dotted name; a package's ``__init__`` goes by the package's name."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((package, *parts))] = path
    return modules


def imports_of(module: str, path: Path) -> set[str]:
    """The absolute dotted names a module imports, anywhere in it (``from m import x`` gives m.x)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def import_graph(package_dir: Path, package: str) -> dict[str, set[str]]:
    """Each module of the package -> the modules of the package it imports."""
    modules = modules_of(package_dir, package)

    def module_named(name: str) -> str | None:  # the longest prefix that is a module
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    return {
        module: {target for name in imports_of(module, path) if (target := module_named(name)) not in (None, module)}
        for module, path in modules.items()
    }


def cycle_in(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle, as the modules along it; empty if there is none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return error.args[1]
    return []


def first_party_packages() -> set[str]:
    return {path.parent.name for path in REPO.glob("*/__init__.py")}


def test_the_engine_modules_import_each_other_without_cycles():
    graph = import_graph(ENGINE_DIR, ENGINE)
    assert f"{ENGINE}.speech.piper_engine" in graph and f"{ENGINE}.render_spec" in graph
    # Imports inside functions count: get_provider loads its providers lazily.
    assert f"{ENGINE}.speech.local" in graph[f"{ENGINE}.speech"]
    assert cycle_in(graph) == []


def test_no_speech_module_imports_the_speech_package_facade():
    graph = import_graph(ENGINE_DIR, ENGINE)
    inside = {module for module in graph if module.startswith(f"{ENGINE}.speech.")}
    assert {module for module in inside if f"{ENGINE}.speech" in graph[module]} == set()


def test_a_cycle_through_type_checking_or_a_function_import_is_found(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\nclass A: ...\n"
    )
    (package / "b.py").write_text("def load():\n    from . import c\nclass B: ...\n")
    (package / "c.py").write_text("from pkg.a import A\n")
    assert sorted(set(cycle_in(import_graph(package, "pkg")))) == ["pkg.a", "pkg.b", "pkg.c"]


def test_the_engine_imports_no_framework_and_no_other_project_code():
    outside = first_party_packages() | FRAMEWORKS
    assert {"ai_studio", "reelmate", "django"} <= outside
    offending = sorted(
        (module, name)
        for module, path in modules_of(ENGINE_DIR, ENGINE).items()
        for name in imports_of(module, path)
        if name.split(".")[0] in outside and not name.startswith(f"{ENGINE}.")
    )
    assert offending == []


def test_every_engine_module_loads_without_django_or_celery():
    modules = list(modules_of(ENGINE_DIR, ENGINE))
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted({{n.split('.')[0] for n in sys.modules}} & set({sorted(FRAMEWORKS)!r})))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "[]"
