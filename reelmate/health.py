"""Liveness and readiness.

Readiness checks each dependency and reports it by name, but answers 503 only when this
instance cannot serve at all: without its database. The other components have fallbacks or
concern part of the API only — the cache degrades to a per-process cache, a submitted job waits
in the database until the broker takes it, storage serves downloads and uploads only — so an
outage of one of them (which every instance sees at once) keeps the fleet in the load balancer,
and the answer names them: `{"status": "degraded", "degraded": ["broker", "cache"], ...}`.

The storage check asks S3 for the bucket (a HEAD, no write) and is cached per process for
HEALTH_STORAGE_CHECK_SECONDS, so anonymous probes cannot make the instance hammer S3.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import default_storage
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from reelmate.broker import broker_client

logger = logging.getLogger(__name__)

ESSENTIAL = frozenset({"database"})  # without these the instance cannot serve: 503


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    client = broker_client()
    if client is not None:
        client.ping()
    else:
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_out")
        if folder is None or not os.access(folder, os.W_OK):
            raise RuntimeError("filesystem broker folder is not writable")


def check_cache() -> None:
    cache = caches["default"]
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)
    if getattr(cache, "degraded", False):  # it answered, from this process's stand-in
        raise RuntimeError(f"Redis unreachable, using a per-process cache ({cache.breaker.last_error})")


def _probe_storage() -> None:
    if hasattr(default_storage, "bucket_name"):  # S3: the bucket exists and our keys may use it
        default_storage.connection.meta.client.head_bucket(Bucket=default_storage.bucket_name)
    else:
        folder = Path(default_storage.location)
        while not folder.exists():  # created on the first save
            folder = folder.parent
        if not os.access(folder, os.W_OK):
            raise RuntimeError("the media folder is not writable")


@dataclass
class _CachedProbe:
    checked_at: float = float("-inf")
    error: Exception | None = None


_storage_probes: dict[tuple, _CachedProbe] = {}  # per storage (endpoint, bucket, folder)
_storage_lock = threading.Lock()


def check_storage() -> None:
    """The last storage probe's result, probing again when it is older than the cache period."""
    storage = (getattr(default_storage, "endpoint_url", None), getattr(default_storage, "bucket_name", None),
               str(default_storage.location))
    with _storage_lock:
        probe = _storage_probes.setdefault(storage, _CachedProbe())
        if time.monotonic() - probe.checked_at >= settings.HEALTH_STORAGE_CHECK_SECONDS:
            try:
                _probe_storage()
                probe.error = None
            except Exception as error:  # reported by run_checks, with the other components' failures
                probe.error = error
            probe.checked_at = time.monotonic()
        if probe.error is not None:
            raise probe.error


CHECKS = {"database": check_database, "broker": check_broker, "cache": check_cache, "storage": check_storage}


def run_checks() -> dict:
    components, down = {}, []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:  # any failure makes the component "down", with the reason
            down.append(name)
            # The detail (hosts, endpoints) is for operators: in the logs, and in the answer when DEBUG.
            logger.warning("readiness check failed: %s", name, exc_info=True)
            detail = f"{type(error).__name__}: {error}"[:300] if settings.DEBUG else type(error).__name__
            components[name] = {"status": "down", "error": detail}
        else:
            components[name] = {"status": "up"}
        components[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    degraded = [name for name in down if name not in ESSENTIAL]
    status = "unavailable" if ESSENTIAL & set(down) else ("degraded" if degraded else "ok")
    return {"status": status, "degraded": degraded, "components": components}


class LiveView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: inline_serializer("Liveness", {"status": serializers.CharField()})},
                   tags=["health"])
    def get(self, request):
        return Response({"status": "ok"})


READINESS = inline_serializer("Readiness", {
    "status": serializers.ChoiceField(
        choices=["ok", "degraded", "unavailable"],
        help_text="ok: everything up; degraded: a component in `degraded` is down but the instance "
                  "serves (200); unavailable: the database is down (503)."),
    "degraded": serializers.ListField(child=serializers.CharField(),
                                      help_text="Components that are down while the instance still serves."),
    "components": serializers.DictField(
        child=inline_serializer("ReadinessComponent", {
            "status": serializers.ChoiceField(choices=["up", "down"]),
            "error": serializers.CharField(required=False, help_text="Why it is down (the detail only when DEBUG)."),
            "ms": serializers.FloatField(help_text="How long the check took."),
        }),
        help_text="database, broker, cache and storage, each with its status."),
})


class ReadyView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: READINESS, 503: READINESS}, tags=["health"],
                   description="503 only when this instance cannot serve (its database is down); "
                               "other components that are down are listed in `degraded`.")
    def get(self, request):
        report = run_checks()
        return Response(report, status=503 if report["status"] == "unavailable" else 200)
