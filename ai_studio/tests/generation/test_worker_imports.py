"""A Celery worker process (Django set up, every app's tasks imported, the pipeline loaded) holds
no package it does not use for a render: each is resident memory beside the ffmpeg it runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", [
    # The web side's A/B comparison (analytics.ab_testing) uses scipy; the workers load that app too.
    "scipy",
    # The script writer's SDK (~20 MB with pydantic and httpx): imported where it asks the model.
    "openai",
])
def test_a_celery_worker_with_every_app_loaded_does_not_import(package):
    program = ("import sys, django; django.setup(); from reelmate.celery import app; "
               "app.loader.import_default_modules(); import ai_studio.generation.pipeline; "
               f"sys.exit({package!r} in sys.modules)")
    environment = os.environ | {"DJANGO_SETTINGS_MODULE": "reelmate.test_settings"}
    assert subprocess.run([sys.executable, "-c", program], check=False, env=environment).returncode == 0
