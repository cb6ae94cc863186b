"""The engine's dependencies run one way: no import cycle among its modules, and nothing from
Django, Celery or the project's other code (it is plain Python; the services translate at the edge).

Imports are read from the source (testkit.imports) wherever they stand: at module level, inside
functions, and under ``if TYPE_CHECKING``. A module's own package ``__init__`` runs before it in
any case, so only what a module names counts as its dependency.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ai_studio.generation
from testkit.imports import import_graph, imports_of, is_under, modules_in, simple_cycles

ENGINE = "ai_studio.generation"
ENGINE_DIR = Path(ai_studio.generation.__file__).parent
REPO = ENGINE_DIR.parent.parent
FRAMEWORKS = frozenset({"django", "celery", "kombu", "rest_framework", "drf_spectacular", "environ"})


def first_party_packages() -> set[str]:
    return {path.parent.name for path in REPO.glob("*/__init__.py")}


def test_the_engine_modules_import_each_other_without_cycles():
    graph = import_graph(modules_in(ENGINE_DIR, ENGINE))
    assert f"{ENGINE}.speech.piper_engine" in graph and f"{ENGINE}.render_spec" in graph
    # Imports inside functions count: get_provider loads its providers lazily.
    assert f"{ENGINE}.speech.local" in graph[f"{ENGINE}.speech"]
    assert list(simple_cycles(graph)) == []


def test_no_speech_module_imports_the_speech_package_facade():
    graph = import_graph(modules_in(ENGINE_DIR, ENGINE))
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
    assert list(simple_cycles(import_graph(modules_in(package, "pkg")))) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_the_engine_imports_no_framework_and_no_other_project_code():
    outside = first_party_packages() | FRAMEWORKS
    assert {"ai_studio", "reelmate", "django"} <= outside
    modules = modules_in(ENGINE_DIR, ENGINE)
    offending = sorted(
        (module, name)
        for module, path in modules.items()
        for name in imports_of(module, path, modules)
        if name.split(".")[0] in outside and not is_under(name, [ENGINE])
    )
    assert offending == []


def test_every_engine_module_loads_without_django_or_celery():
    modules = list(modules_in(ENGINE_DIR, ENGINE))
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
