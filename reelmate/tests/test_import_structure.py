"""How the app code's modules may import each other, checked on the source (testkit.imports).

Every import counts: at module level, inside a function, under ``TYPE_CHECKING``. The app code
is accounts, campaigns, ai_studio (without the plain-Python engine, ``ai_studio/generation``),
analytics, webhooks and reelmate; tests, migrations and the dev-only ``testkit`` are not app code.

- Domain modules (services, selectors, tasks, models, and ``reelmate.errors``) speak the
  domain, not HTTP: neither they nor any app module they import reaches DRF or ``reelmate.api``.
- No import cycle passes through two service modules. (A service and its app's tasks module may
  import each other: that cycle holds one service.)
- Dependencies run one way: reelmate's shared modules, then accounts, campaigns, ai_studio,
  analytics, webhooks (which reacts to the others' events); a module imports only from its own
  package or from those before it.
"""
from __future__ import annotations

from collections import deque
from pathlib import Path

from testkit.imports import import_graph, is_under, modules_in, simple_cycles

ROOT = Path(__file__).resolve().parents[2]

# Lowest first: a module may import from its own package and from packages before it.
LAYERS = ("reelmate", "accounts", "campaigns", "ai_studio", "analytics", "webhooks")
NOT_APP_CODE = ("ai_studio.generation",)
NOT_APP_CODE_PARTS = {"tests", "migrations"}

# reelmate also holds the project itself, which puts every app together.
PROJECT_MODULES = {
    "reelmate.urls": "routes every app's URLs",
    "reelmate.management.commands.bootstrap_demo": "makes a fresh install usable: a demo user (accounts), a first "
                                                   "reel (ai_studio)",
}
# Edges against the layers that must stay, each with why.
UPWARD_EDGES_ALLOWED = {
    ("campaigns.selectors", "ai_studio.models"):
        "a campaign's `stats` (API and admin) count its jobs per JobStatus and its videos; the counts are "
        "annotated in one query, so they are read where campaigns are read. A media item may not be deleted while "
        "a queued or processing job (JobStatus) needs it",
}

DOMAIN_KINDS = {"services", "selectors", "tasks", "models"}
DOMAIN_EXTRA = {"reelmate.errors"}
HTTP_LAYER = ("rest_framework", "reelmate.api")


# --- reading the source (testkit.imports) -----------------------------------------------------
def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the packages in LAYERS (engine and test peers included, to resolve imports)."""
    return {name: path for package in LAYERS for name, path in modules_in(root / package, package).items()}


def is_app_code(module: str) -> bool:
    return not is_under(module, NOT_APP_CODE) and not NOT_APP_CODE_PARTS & set(module.split("."))


def app_import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """App module → every module it imports (app modules, the engine, third-party libraries)."""
    files = module_files(root)
    return import_graph({module: path for module, path in files.items() if is_app_code(module)}, files)


# --- the rules --------------------------------------------------------------------------------
def is_domain_module(module: str) -> bool:
    return module in DOMAIN_EXTRA or bool(DOMAIN_KINDS & set(module.split(".")[1:]))


def is_service(module: str) -> bool:
    return any(part.startswith("services") for part in module.split(".")[1:])


def http_reached(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """The shortest import chain from ``start`` through app modules to the HTTP layer, if any."""
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for imported in sorted(graph.get(module, ())):
            if imported in came_from:
                continue
            came_from[imported] = module
            if is_under(imported, HTTP_LAYER):
                chain = [imported]
                while came_from[chain[-1]] is not None:
                    chain.append(came_from[chain[-1]])
                return chain[::-1]
            if imported in graph:
                queue.append(imported)
    return None


def cycles_through_two_services(graph: dict[str, set[str]]) -> list[list[str]]:
    return [cycle for cycle in simple_cycles(graph) if sum(map(is_service, cycle)) >= 2]


def layer_of(module: str) -> int | None:
    package = module.split(".")[0]
    return LAYERS.index(package) if package in LAYERS else None


def upward_edges(graph: dict[str, set[str]]) -> dict[tuple[str, str], str]:
    """Imports of a package after one's own in LAYERS, except the project's and the allowed ones."""
    found = {}
    for module, imported in graph.items():
        if module in PROJECT_MODULES:
            continue
        for target in imported:
            target_layer = layer_of(target)
            if target_layer is not None and target_layer > layer_of(module):
                found[(module, target)] = UPWARD_EDGES_ALLOWED.get((module, target), "")
    return found


# --- the tests --------------------------------------------------------------------------------
GRAPH = app_import_graph()


def test_the_graph_holds_the_app_code_and_every_kind_of_import():
    assert len(GRAPH) > 80
    assert not any(is_under(module, NOT_APP_CODE) or ".tests" in module for module in GRAPH)
    assert "ai_studio.tasks" in GRAPH["ai_studio.services.dispatch"]  # `from ai_studio import tasks`
    assert "ai_studio.services.engine_requests" in GRAPH["ai_studio.management.commands.generate_video"]
    assert "campaigns.models" in GRAPH["campaigns.services"]  # `from .models import ...`
    assert "ai_studio.services.jobs" in GRAPH["ai_studio.api.generation"]  # `from ai_studio.services import jobs`
    assert {"ai_studio.events", "analytics.models"} <= GRAPH["webhooks.receivers"]


def test_domain_modules_do_not_reach_drf_or_the_api_layer():
    domain = [module for module in GRAPH if is_domain_module(module)]
    assert {"ai_studio.services.jobs", "campaigns.selectors", "ai_studio.tasks", "accounts.models",
            "reelmate.errors", "webhooks.services", "webhooks.tasks"} <= set(domain)
    reached = {module: chain for module in domain if (chain := http_reached(GRAPH, module))}
    assert reached == {}


def test_no_import_cycle_passes_through_two_services():
    assert cycles_through_two_services(GRAPH) == []


def test_dependencies_run_one_way():
    edges = upward_edges(GRAPH)
    unexplained = sorted(edge for edge, reason in edges.items() if not reason)
    assert unexplained == []
    stale = set(UPWARD_EDGES_ALLOWED) - set(edges)
    assert stale == set(), "an allowed edge that no longer exists should leave the list"


# The checks above must be able to fail: here they are shown what each forbids.
def test_the_rules_catch_what_they_forbid():
    graph = {
        "campaigns.services": {"reelmate.errors", "ai_studio.models"},
        "reelmate.errors": {"reelmate.api.errors"},
        "ai_studio.models": set(),
        "ai_studio.services.jobs": {"ai_studio.tasks"},
        "ai_studio.tasks": {"ai_studio.services.jobs", "ai_studio.services.execution"},
        "ai_studio.services.execution": {"ai_studio.tasks", "ai_studio.services.jobs"},
    }
    assert http_reached(graph, "campaigns.services") == ["campaigns.services", "reelmate.errors",
                                                        "reelmate.api.errors"]
    assert upward_edges(graph) == {("campaigns.services", "ai_studio.models"): ""}
    assert cycles_through_two_services(graph) == [
        ["ai_studio.services.execution", "ai_studio.services.jobs", "ai_studio.tasks"]]
    # A service and its tasks module importing each other is allowed: one service in the cycle.
    del graph["ai_studio.services.execution"]
    graph["ai_studio.tasks"] = {"ai_studio.services.jobs"}
    assert list(simple_cycles(graph)) == [["ai_studio.services.jobs", "ai_studio.tasks"]]
    assert cycles_through_two_services(graph) == []
