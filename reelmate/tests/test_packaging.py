"""Packaging: the product stands without the dev tools, and the Docker image carries none of them.

Dev-only code is `testkit/` (test peers), `bench/` (benchmarks) and every `tests/` folder. No
product module may import it, and `.dockerignore` keeps it out of the image's build context.
There is no Docker engine here, so the context is computed the way the Docker SDK computes it
before sending it (`docker.utils.build.tar`, which applies .dockerignore's rules), unpacked into
a temporary folder, and the product is checked from there: Django's deploy checks and the
Dockerfile's own collectstatic step.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from docker.utils.build import tar

from testkit.imports import imports_in, imports_of, modules_in

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("reelmate", "accounts", "campaigns", "ai_studio", "analytics", "webhooks")
DEV_ONLY_PACKAGES = ("testkit", "bench")
# What the Dockerfile copies or runs by name, and what the product reads from disk.
IMAGE_NEEDS = ("Dockerfile", "requirements.txt", "constraints.txt", "manage.py", "templates")


# --- no product module imports dev-only code --------------------------------------------------
def is_test_path(path: Path) -> bool:
    return "tests" in path.parts or path.name.startswith("test_") or path.name == "conftest.py"


def is_local_junk(path: Path) -> bool:
    """Bytecode caches and rendered media: made by running the code, never part of it."""
    return "__pycache__" in path.parts or path.suffix in {".pyc", ".mp4"}


def product_modules() -> dict[str, Path]:
    """Every module of the product packages outside their tests, and manage.py: name -> file."""
    modules = {"manage": ROOT / "manage.py"}
    for package in PRODUCT_PACKAGES:
        modules.update((name, path) for name, path in modules_in(ROOT / package, package).items()
                       if not is_test_path(path.relative_to(ROOT)))
    return modules


def dev_only(names: set[str]) -> set[str]:
    return {
        name for name in names
        if name.split(".")[0] in DEV_ONLY_PACKAGES or "tests" in name.split(".") or name.endswith(".conftest")
    }


def dev_only_imports(source: str, package: str) -> set[str]:
    """What `source`, a module of `package`, imports of dev-only code: statically, or through
    `importlib.import_module` / `__import__` with a literal name. Which imported names are modules
    is not known here, so `from a import b` counts as both `a` and `a.b`."""
    return dev_only(imports_in(source, package))


@pytest.mark.parametrize(("source", "found"), [
    ("import testkit", {"testkit"}),
    ("import testkit.worker as worker", {"testkit.worker"}),
    ("from testkit.s3_server import S3Server", {"testkit.s3_server", "testkit.s3_server.S3Server"}),
    ("from testkit import fixtures", {"testkit", "testkit.fixtures"}),
    ("from bench import render", {"bench", "bench.render"}),
    ("from accounts.tests.factories import UserFactory", {"accounts.tests.factories",
                                                          "accounts.tests.factories.UserFactory"}),
    ("from .tests import factories", {"ai_studio.services.tests", "ai_studio.services.tests.factories"}),
    ("from .. import tests", {"ai_studio.tests"}),
    ("def load():\n    return importlib.import_module('testkit.openai_server')", {"testkit.openai_server"}),
    ("from reelmate.storage import presigned_url\nfrom . import selectors\nimport testing", set()),
])
def test_the_scan_recognises_dev_only_imports(source, found):
    assert dev_only_imports(source, "ai_studio.services") == found


def test_no_product_module_imports_dev_only_code():
    modules = product_modules()
    assert len(modules) > 100 and {"reelmate.celery", "ai_studio.tasks", "manage"} <= set(modules)
    offenders = {
        module: sorted(found) for module, path in modules.items() if (found := dev_only(imports_of(module, path)))
    }
    assert offenders == {}


# --- the Docker build context -----------------------------------------------------------------
def dockerignore_patterns() -> list[str]:
    """The patterns as the Docker SDK reads .dockerignore (docker.api.build.BuildApiMixin.build)."""
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def build_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build context `docker build .` would send, unpacked into a temporary folder."""
    target = tmp_path_factory.mktemp("docker-context")
    with tar(str(ROOT), exclude=dockerignore_patterns(), dockerfile=("Dockerfile", None)) as archive, \
            tarfile.open(fileobj=archive) as context:
        context.extractall(target, filter="data")
    return target


def files_in(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_the_build_context_holds_no_test_or_benchmark_code(build_context):
    paths = [Path(name) for name in files_in(build_context)]
    assert {path.parts[0] for path in paths} >= {*PRODUCT_PACKAGES, *IMAGE_NEEDS}
    assert [str(path) for path in paths if is_test_path(path)] == []
    assert [str(path) for path in paths if path.parts[0] in {*DEV_ONLY_PACKAGES, "pytest.ini"}] == []
    assert [str(path) for path in paths if is_local_junk(path)] == []


def test_the_build_context_holds_every_product_file(build_context):
    """Everything in the product packages and templates but tests: code, fonts, templates."""
    product = {
        f"{folder}/{name}" for folder in (*PRODUCT_PACKAGES, "templates") for name in files_in(ROOT / folder)
    }
    product = {name for name in product if not is_test_path(Path(name)) and not is_local_junk(Path(name))}
    assert any(name.startswith("ai_studio/generation/fonts/") for name in product)
    assert product - files_in(build_context) == set()


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())  # join continued lines
    return [tuple(line.split(maxsplit=1)) for line in text.splitlines() if line.strip() and not line.startswith("#")]


def dockerfile_env() -> dict[str, str]:
    return dict(pair.split("=", 1) for keyword, rest in dockerfile_instructions() if keyword == "ENV"
                for pair in shlex.split(rest))


def dockerfile_collectstatic() -> str:
    """The collectstatic command of the Dockerfile's RUN step, as written there."""
    commands = [command.strip() for keyword, rest in dockerfile_instructions() if keyword == "RUN"
                for command in rest.split("&&") if "collectstatic" in command]
    assert len(commands) == 1, commands
    return commands[0]


def run_in(folder: Path, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run with this test's interpreter (the shared venv) first on PATH, and nothing else inherited."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(command, cwd=folder, env={"PATH": path, **env}, capture_output=True, text=True,
                          timeout=120)


def test_the_product_runs_from_the_build_context_alone(build_context):
    # The Dockerfile's build step, verbatim: collectstatic with the image's environment.
    collected = run_in(build_context, ["sh", "-c", dockerfile_collectstatic()], dockerfile_env())
    assert collected.returncode == 0, collected.stderr + collected.stdout
    assert (build_context / "var" / "static" / "admin").is_dir()

    production = dockerfile_env() | {
        "DEBUG": "false", "SECRET_KEY": "k3y-" + "x9Yz" * 16, "ALLOWED_HOSTS": "reelmate.example.com",
        "SECURE_HSTS_SECONDS": "31536000", "SECURE_SSL_REDIRECT": "true", "SECURE_HSTS_PRELOAD": "true",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
    }
    checked = run_in(build_context, [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                     production)
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert "no issues" in checked.stdout

    # It really was the copy that ran, with no dev-only package within reach.
    probe = "import importlib.util, reelmate; print(reelmate.__file__); print(importlib.util.find_spec('testkit'))"
    located = run_in(build_context, [sys.executable, "-c", probe], {})
    assert located.stdout.split() == [str(build_context / "reelmate" / "__init__.py"), "None"]
