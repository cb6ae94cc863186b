"""Private file storage with presigned URLs, the same interface on S3 and on the local disk.

On S3 (Supabase Storage, SeaweedFS, AWS...) django-storages' S3Storage presigns with SigV4. On the
embedded default, `SignedFileSystemStorage` produces time-limited signed URLs served by
`serve_signed_file`, so nothing in `media/` is reachable without a fresh URL there either. Both
kinds are absolute: a frontend on another origin (FRONTEND_URL) uses them as they are.
"""
from __future__ import annotations

import mimetypes
import re
import threading
import time
from collections import OrderedDict
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.urls import reverse

from reelmate.public_urls import public_url

_SIGNER_SALT = "reelmate.storage.signed-url"


class SignedFileSystemStorage(FileSystemStorage):
    def url(self, name, parameters=None, expire=None, http_method=None):
        expire = expire or settings.PRESIGNED_URL_EXPIRY
        payload = {"name": name, "expire": expire}
        if parameters and parameters.get("ResponseContentDisposition"):
            payload["disposition"] = parameters["ResponseContentDisposition"]
        token = signing.dumps(payload, salt=_SIGNER_SALT, compress=True)
        return public_url(reverse("signed-file", kwargs={"token": token}))


def serve_signed_file(request, token: str):
    """Serve a local file for a signed, unexpired token (the local twin of a presigned URL).

    Like S3, it answers `Range: bytes=...` with 206 Partial Content, which browsers need to seek
    in a video (and Safari needs to play one at all).
    """
    try:
        payload = signing.loads(token, salt=_SIGNER_SALT, max_age=None)
        signing.loads(token, salt=_SIGNER_SALT, max_age=payload["expire"])
    except (signing.BadSignature, KeyError, TypeError):
        raise Http404("invalid or expired link")
    storage = default_storage
    name = payload["name"]
    if not storage.exists(name):
        raise Http404("no such file")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    size = storage.size(name)
    requested = _byte_range(request.META.get("HTTP_RANGE", ""), size)
    if requested is _UNSATISFIABLE:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif requested is None:
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    else:
        start, end = requested
        response = StreamingHttpResponse(_read_range(storage.open(name, "rb"), start, end),
                                         status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    if payload.get("disposition"):
        response["Content-Disposition"] = payload["disposition"]
    return response


_UNSATISFIABLE = object()
_RANGE_CHUNK = 64 * 1024


def _byte_range(header: str, size: int):
    """A single `bytes=` range → (first, last) inclusive; None for no (or an ignorable) Range
    header, which means the whole file; `_UNSATISFIABLE` for a range outside the file.
    Multi-range requests are answered with the whole file, which RFC 9110 allows."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if not match or match.groups() == ("", "") or size == 0:
        return None
    first, last = match.groups()
    if first == "":  # a suffix: the last N bytes
        return (max(size - int(last), 0), size - 1) if int(last) > 0 else _UNSATISFIABLE
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignored, as RFC 9110 says
    if start >= size:
        return _UNSATISFIABLE
    return start, min(int(last), size - 1) if last else size - 1


def _read_range(file, start: int, end: int):
    with file:
        file.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = file.read(min(_RANGE_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


# Signing a URL costs about a millisecond of CPU with botocore, and a page of 20 videos carries 120 of
# them: each process reuses a URL it signed for the same object (and download name) for a short time
# (PRESIGNED_URL_REUSE_SECONDS, at most a twelfth of the expiry), so the URL a client gets stays valid
# for at least PRESIGNED_URL_EXPIRY minus that. Polling a job or re-reading a list then signs nothing,
# and a browser sees the same URL again and can use its cache.
_PRESIGNED_REUSE_MAX_ENTRIES = 20_000
_presigned: OrderedDict[tuple, tuple[str, float]] = OrderedDict()
_presigned_lock = threading.Lock()


def presigned_url_reuse_seconds(expire: int) -> float:
    return max(0.0, min(float(settings.PRESIGNED_URL_REUSE_SECONDS), expire / 12))


def presigned_url(name: str, *, expire: int | None = None, download_as: str | None = None) -> str:
    """A time-limited URL for a private object; `download_as` makes browsers save it under that name.

    Valid for at least `expire` (default PRESIGNED_URL_EXPIRY) minus presigned_url_reuse_seconds."""
    expire = expire or settings.PRESIGNED_URL_EXPIRY
    reuse = presigned_url_reuse_seconds(expire)
    key = (name, expire, download_as)
    now = time.monotonic()
    if reuse:
        with _presigned_lock:
            cached = _presigned.get(key)
        if cached is not None and now - cached[1] < reuse:
            return cached[0]
    parameters = {}
    if download_as:
        parameters["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(download_as)}"
    url = default_storage.url(name, parameters=parameters or None, expire=expire)
    if reuse:
        with _presigned_lock:
            _presigned[key] = (url, now)
            _presigned.move_to_end(key)
            while len(_presigned) > _PRESIGNED_REUSE_MAX_ENTRIES:
                _presigned.popitem(last=False)
    return url


def forget_presigned_urls(**kwargs) -> None:
    """Drop the reused URLs (when the storage or its settings change: tests, a reconfigured process)."""
    with _presigned_lock:
        _presigned.clear()


@receiver(setting_changed)
def _storage_settings_changed(setting=None, **kwargs) -> None:
    if setting in ("STORAGES", "PRESIGNED_URL_EXPIRY", "PRESIGNED_URL_REUSE_SECONDS", "PUBLIC_BASE_URL"):
        forget_presigned_urls()
