"""Private file storage with presigned URLs, the same interface on S3 and on the local disk.

On S3 (Supabase Storage, SeaweedFS, AWS...) django-storages' S3Storage presigns with SigV4. On the
embedded default, `SignedFileSystemStorage` produces time-limited signed URLs served by
`serve_signed_file`, so nothing in `media/` is reachable without a fresh URL there either. Both
kinds are absolute: a frontend on another origin (FRONTEND_URL) uses them as they are.
"""
from __future__ import annotations

import mimetypes
import re
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from storages.utils import clean_name

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


def presigned_url(name: str, *, expire: int | None = None, download_as: str | None = None) -> str:
    """A time-limited URL for a private object; `download_as` makes browsers save it under that name."""
    parameters = {}
    if download_as:
        parameters["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(download_as)}"
    return default_storage.url(name, parameters=parameters or None, expire=expire or settings.PRESIGNED_URL_EXPIRY)


STREAM_CHUNK_BYTES = 1024 * 1024


def read_chunks(name: str, chunk_size: int = STREAM_CHUNK_BYTES):
    """A stored file's bytes as they arrive, `chunk_size` at a time, never all in memory nor copied to
    local disk: on S3 the object's body is read as the server sends it (opening it through the
    storage would spool the whole object to a temporary file first)."""
    bucket = getattr(default_storage, "bucket", None)
    if bucket is not None:
        body = bucket.Object(default_storage._normalize_name(clean_name(name))).get()["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()
        return
    with default_storage.open(name, "rb") as file:
        while chunk := file.read(chunk_size):
            yield chunk
