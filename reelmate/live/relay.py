"""The embedded default's way across processes: without Redis, a worker POSTs its events to the
web process on loopback, which sequences them and sends them to the browsers it serves.

The body is signed with SECRET_KEY (django.core.signing, salted, valid for a minute), so only a
process of this installation can publish; the endpoint answers 404 when Redis is configured.
"""
from __future__ import annotations

import json
import urllib.request
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

SALT = "reelmate.live.relay"
MAX_AGE_SECONDS = 60
TIMEOUT_SECONDS = 2.0


def send(owner_id: int, stream: str, key: str, kind: str, data: dict[str, Any], at: float) -> int | None:
    payload = {"owner_id": owner_id, "stream": stream, "key": key, "kind": kind, "data": data, "at": at}
    body = signing.dumps(json.loads(json.dumps(payload, cls=DjangoJSONEncoder)), salt=SALT, compress=True)
    request = urllib.request.Request(settings.LIVE_RELAY_URL, data=body.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        return json.loads(response.read())["seq"]


@csrf_exempt
@require_POST
async def relay_view(request) -> HttpResponse:
    from reelmate.live.publishing import publish_here

    if settings.REDIS_URL:
        return HttpResponseNotFound()
    try:
        payload = signing.loads(request.body.decode(), salt=SALT, max_age=MAX_AGE_SECONDS)
    except (signing.BadSignature, UnicodeDecodeError):
        return HttpResponse(status=403)
    seq = await publish_here(int(payload["owner_id"]), str(payload["stream"]), str(payload["key"]),
                             str(payload["kind"]), payload["data"], float(payload["at"]))
    return JsonResponse({"seq": seq})
