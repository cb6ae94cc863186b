"""The API answers as its own OpenAPI schema says, checked by fuzzing every operation with schemathesis.

Every operation of `/api/schema` (none left out) gets generated requests, valid and invalid, sent
in-process to the Django WSGI application: up to 25 per operation as a signed-in user who owns a
campaign, a template, a finished job with its video, a queued and a failed job, a webhook endpoint
with a delivery, with files on the embedded storage (path parameters and video requests sometimes
name those objects, so detail routes, cancel, retry and generate-video succeed too), and 5
anonymously. Each response must be no
server error, carry a status code the operation documents, a documented content type and headers,
and a body its schema accepts (formats included: a media URL must be a `uri`).

The requests run inside the test's database transaction, so nothing they queue is ever sent to a
worker (jobs are enqueued on commit). Generation is seeded and derandomized: the same requests
every run. Schemathesis' coverage phase (hundreds of boundary cases per operation) is left to the
CLI run described in the README; stateful runs too.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ai_studio.models import GenerationBatch, JobStatus, Variant, VariantGroup
from ai_studio.models import VideoGenerationJob as Job
from ai_studio.tests.catalog.factories import GenerationJobFactory, TemplateFactory
from reelmate.tests.test_media_urls import make_media
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]

# The signed-in user's objects have these ids, so that generated path parameters can name them.
OWNED_IDS = {
    "campaign": 90_001, "template": 90_002, "avatar": 90_003, "voice": 90_004, "variant_group": 90_005,
    "job": uuid.UUID("00000000-0000-4000-8000-00000000a001"),
    "queued_job": uuid.UUID("00000000-0000-4000-8000-00000000a002"),
    "failed_job": uuid.UUID("00000000-0000-4000-8000-00000000a003"),
    "video": uuid.UUID("00000000-0000-4000-8000-00000000b001"),
    "webhook": uuid.UUID("00000000-0000-4000-8000-00000000c001"),
    "delivery": uuid.UUID("00000000-0000-4000-8000-00000000c002"),
    "batch": uuid.UUID("00000000-0000-4000-8000-00000000c003"),
}
IDS_BY_PATH = {
    "/api/ai-studio/avatars/": ["avatar"], "/api/ai-studio/voices/": ["voice"],
    "/api/campaigns/": ["campaign"], "/api/analytics/campaigns/": ["campaign"],
    "/api/ai-studio/prompt-templates/": ["template"],
    "/api/ai-studio/generation-jobs/": ["failed_job", "queued_job", "job"],
    "/api/ai-studio/generation-status/": ["job", "queued_job", "failed_job"],
    "/api/ai-studio/generated-videos/": ["video"], "/api/analytics/videos/": ["video"],
    "/api/ai-studio/variant-groups/": ["variant_group"], "/api/analytics/variant-groups/": ["variant_group"],
    "/api/webhooks/": ["webhook"],
    "/api/ai-studio/batches/": ["batch"],
}


_django_app = WSGIHandler()


def served_app(environ, start_response):
    """Django's WSGI application with the client address a real server sets (werkzeug's test client
    leaves REMOTE_ADDR out; per-IP rate limits need it)."""
    return _django_app({"REMOTE_ADDR": "127.0.0.1", **environ}, start_response)


schema = schemathesis.openapi.from_wsgi("/api/schema/", served_app, config=schemathesis.Config.from_dict({
    "seed": 20261210,
    "generation": {"max-examples": 25, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
    # 503 is the API's deliberate "a service this needs is unavailable" answer (e.g. the script
    # writer without a language model), in the one error shape; status_code_conformance still
    # requires each operation to document it. Any other 5xx is a server error.
    "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]}},
}))


@schema.hook
def before_generate_path_parameters(context, strategy):
    """A route's object id is sometimes one of the signed-in user's objects, not only a random value
    (in a media library's routes, `{campaign_pk}` is then the user's campaign)."""
    path = context.operation.path
    if "{campaign_pk}" in path:
        owned = {"campaign_pk": st.just(str(OWNED_IDS["campaign"]))}
        if "{id}" in path:
            owned["id"] = st.uuids().map(str)
        return st.one_of(strategy, st.fixed_dictionaries(owned))
    names = next((names for prefix, names in IDS_BY_PATH.items() if path.startswith(prefix)), None)
    if names is None or "{id}" not in path:
        return strategy
    owned = [{"id": str(OWNED_IDS[name])} for name in names]
    if "{delivery_id}" in path:  # a delivery of the user's endpoint
        owned = [{**ids, "delivery_id": str(OWNED_IDS["delivery"])} for ids in owned]
    return st.one_of(strategy, st.sampled_from(owned))


@schema.hook
def before_generate_body(context, strategy):
    """A video request sometimes names the user's avatar and voice, and a script, so that some are
    accepted (202) and their jobs shown."""
    if context.operation.path == "/api/ai-studio/variant-groups":
        return st.one_of(strategy, strategy.map(with_owned_campaign_avatar_and_voice))
    if context.operation.path == "/api/ai-studio/batches" and context.operation.method.lower() == "post":
        return st.one_of(strategy, strategy.map(batch_with_owned_avatar_voice_and_script))
    if context.operation.path != "/api/ai-studio/generate-video":
        return strategy
    return st.one_of(strategy, strategy.map(with_owned_avatar_voice_and_script))


def with_owned_campaign_avatar_and_voice(body):
    """A variant group of the user's campaign, with their avatar and voice shared by its variants."""
    if not isinstance(body, dict):
        return body
    settings = body.get("settings") if isinstance(body.get("settings"), dict) else {}
    return body | {"campaign_id": OWNED_IDS["campaign"], "base": {"script": "Meet our product. Buy it."},
                   "settings": settings | {"avatar_id": OWNED_IDS["avatar"], "voice_id": OWNED_IDS["voice"]}}


def batch_with_owned_avatar_voice_and_script(body):
    """A batch of a script with one variable, rows sometimes valid, on the user's avatar and voice."""
    if not isinstance(body, dict):
        return body
    rows = body.get("rows") if isinstance(body.get("rows"), list) else []
    return {"script": "Hello {{name}}.", "settings": {"avatar_id": OWNED_IDS["avatar"], "voice_id": OWNED_IDS["voice"]},
            "rows": [{"name": str(index)} for index, _ in enumerate(rows[:3])] or [{"name": "Ann"}]}


def with_owned_avatar_voice_and_script(body):
    if not isinstance(body, dict):
        return body
    body = {key: value for key, value in body.items() if key not in ("template_id", "variables")}
    return body | {"avatar_id": OWNED_IDS["avatar"], "voice_id": OWNED_IDS["voice"],
                   "script": str(body.get("script") or "").strip() or "Meet our product."}


@pytest.fixture(autouse=True)
def _requests_stay_in_the_test_transaction() -> Iterator[None]:
    """A real server closes the database connection when each request starts and ends; here that
    connection holds the test's transaction, so (as Django's own test client does) it stays open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def signed_in(user, embedded_storage) -> dict[str, str]:
    """The headers of a user who has a campaign, a template, a finished job and video, a queued and a
    failed job (the three rows of a batch), a variant group of the first two, a webhook endpoint with
    a delivery, on the embedded storage (whose signed URLs once broke the schema's `uri` promise)."""
    media = make_media(user, OWNED_IDS)
    TemplateFactory(pk=OWNED_IDS["template"], owner=user)
    batch = GenerationBatch.objects.create(pk=OWNED_IDS["batch"], owner=user, script="Hi {{name}}.", total_jobs=3)
    jobs = [media["job"]]
    for row, (name, status) in enumerate((("queued_job", JobStatus.QUEUED), ("failed_job", JobStatus.FAILED)), 1):
        jobs.append(GenerationJobFactory(pk=OWNED_IDS[name], owner=user, avatar=media["avatar"], voice=media["voice"],
                                         status=status, batch=batch, batch_row=row))
    Job.objects.filter(pk=media["job"].pk).update(batch=batch, batch_row=0)
    group = VariantGroup.objects.create(pk=OWNED_IDS["variant_group"], owner=user, campaign=media["campaign"],
                                        name="Hooks", base={"script": "Meet our product."})
    for position, job in enumerate(jobs[:2]):
        Variant.objects.create(group=group, position=position, label="AB"[position], job=job)
    endpoint = WebhookEndpoint.objects.create(pk=OWNED_IDS["webhook"], owner=user, url="https://hooks.example.com/in",
                                              events=["job.completed"], secret="whsec_" + "QUJD" * 8)
    WebhookDelivery.objects.create(pk=OWNED_IDS["delivery"], owner=user, endpoint=endpoint, message_id="msg_owned",
                                   event_type="job.completed", payload={"type": "job.completed", "data": {}})
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


@schema.parametrize()
# One user and their objects serve all the examples of an operation: a write changes what later
# examples find (a deleted video is then a 404), which the schema documents as well.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_answers_a_signed_in_user_as_its_schema_says(case, signed_in):
    case.call_and_validate(headers=signed_in, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=5)
def test_the_api_answers_anonymous_callers_as_its_schema_says(case):
    case.call_and_validate(checks=CHECKS)
