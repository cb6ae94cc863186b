"""Liveness and readiness. Readiness checks each dependency and reports it by name."""
from __future__ import annotations

import logging
import os
import time
import uuid

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    if settings.CELERY_BROKER_URL.startswith("redis"):
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    else:
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_out")
        if folder is None or not os.access(folder, os.W_OK):
            raise RuntimeError("filesystem broker folder is not writable")


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def check_storage() -> None:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)


CHECKS = {"database": check_database, "broker": check_broker, "cache": check_cache, "storage": check_storage}


def run_checks() -> tuple[bool, dict]:
    results, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:  # any failure makes the component "down", with the reason
            healthy = False
            # The detail (hosts, endpoints) is for operators: in the logs, and in the answer when DEBUG.
            logger.warning("readiness check failed: %s", name, exc_info=True)
            detail = f"{type(error).__name__}: {error}"[:300] if settings.DEBUG else type(error).__name__
            results[name] = {"status": "down", "error": detail}
        else:
            results[name] = {"status": "up"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return healthy, results


class LiveView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: dict}, tags=["health"])
    def get(self, request):
        return Response({"status": "ok"})


class ReadyView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: dict, 503: dict}, tags=["health"])
    def get(self, request):
        healthy, components = run_checks()
        return Response({"status": "ok" if healthy else "unavailable", "components": components},
                        status=200 if healthy else 503)
