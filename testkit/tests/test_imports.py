"""The import reader the dependency tests are built on: every import form is read, relative
imports are resolved, and every cycle of the import graph is found once."""
from __future__ import annotations

import pytest

from testkit.imports import import_graph, imports_in, is_under, modules_in, simple_cycles


def test_every_import_form_is_read():
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
import campaigns.models
from . import selectors
from ..services import jobs
if TYPE_CHECKING:
    from analytics.models import ShareLink
def later():
    from ai_studio import tasks
    return importlib.import_module("accounts.selectors"), __import__("analytics")
"""
    known = {"ai_studio.services.jobs", "ai_studio.selectors", "ai_studio.tasks", "analytics.models"}
    assert imports_in(source, "ai_studio.api", known) == {
        "__future__", "typing", "campaigns.models", "ai_studio.api", "ai_studio.services.jobs", "analytics.models",
        "ai_studio.tasks", "accounts.selectors", "analytics"}
    assert "ai_studio.api" in imports_in("from . import selectors", "ai_studio.api", set())


@pytest.mark.parametrize(("source", "modules", "found"), [
    # `from a import b` is module a.b when that is a module, else a name in module a ...
    ("from campaigns import models", {"campaigns.models"}, {"campaigns.models"}),
    ("from campaigns.models import Campaign", {"campaigns.models"}, {"campaigns.models"}),
    ("from campaigns import *", {"campaigns.models"}, {"campaigns"}),
    # ... and when that is not known, both.
    ("from campaigns import models", None, {"campaigns", "campaigns.models"}),
    ("from campaigns import *", None, {"campaigns"}),
    ("import campaigns.models as models", None, {"campaigns.models"}),
    ("from ... import errors", None, {"reelmate", "reelmate.errors"}),
    ("from ...api.errors import as_response", None, {"reelmate.api.errors", "reelmate.api.errors.as_response"}),
    ("import_module(name)\nimport_module(f'{name}.x')\nmodules.get('x')", None, set()),
])
def test_from_imports_name_a_module_or_a_name_in_one(source, modules, found):
    assert imports_in(source, "reelmate.management.commands", modules) == found


def test_modules_are_named_after_their_files_and_packages_after_their_folders(tmp_path):
    for name in ("__init__.py", "a.py", "sub/__init__.py", "sub/b.py", "notes.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")
    assert modules_in(tmp_path, "pkg") == {
        "pkg": tmp_path / "__init__.py", "pkg.a": tmp_path / "a.py",
        "pkg.sub": tmp_path / "sub" / "__init__.py", "pkg.sub.b": tmp_path / "sub" / "b.py"}


def test_the_graph_resolves_each_module_against_its_own_package(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "__init__.py").write_text("from . import a\nfrom pkg import VERSION\n")
    (tmp_path / "a.py").write_text("import os\nfrom .sub import b\n")
    (tmp_path / "sub" / "__init__.py").write_text("from .b import run\n")
    (tmp_path / "sub" / "b.py").write_text("from .. import a\nfrom ..a import helper\n")
    assert import_graph(modules_in(tmp_path, "pkg")) == {
        "pkg": {"pkg.a"},  # naming its own package is no dependency
        "pkg.a": {"os", "pkg.sub.b"},
        "pkg.sub": {"pkg.sub.b"},
        "pkg.sub.b": {"pkg.a"},
    }


def test_every_simple_cycle_is_found_once_from_its_smallest_module():
    graph = {
        "a": {"b", "os"},
        "b": {"a", "c"},
        "c": {"a", "b"},
        "d": {"a"},  # imports into the cycles but is on none
        "e": {"e"},
    }
    assert list(simple_cycles(graph)) == [["a", "b"], ["a", "b", "c"], ["b", "c"], ["e"]]
    assert list(simple_cycles({"a": {"b"}, "b": {"c"}, "c": set()})) == []


def test_a_name_is_under_a_package_only_on_a_dot_boundary():
    assert is_under("reelmate.api", ["reelmate.api"]) and is_under("reelmate.api.errors", ["reelmate.api"])
    assert not is_under("reelmate.apis", ["reelmate.api"]) and not is_under("reelmate", ["reelmate.api"])
