"""Private file storage with presigned URLs, the same interface on S3 and on the local disk.

On S3 (Supabase Storage, SeaweedFS, AWS...) django-storages' S3Storage presigns with SigV4. On the
embedded default, `SignedFileSystemStorage` produces time-limited signed URLs served by
`serve_signed_file`, so nothing in `media/` is reachable without a fresh URL there either.
"""
from __future__ import annotations

import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404
from django.urls import reverse

_SIGNER_SALT = "reelmate.storage.signed-url"


class SignedFileSystemStorage(FileSystemStorage):
    def url(self, name, parameters=None, expire=None, http_method=None):
        expire = expire or settings.PRESIGNED_URL_EXPIRY
        payload = {"name": name, "expire": expire}
        if parameters and parameters.get("ResponseContentDisposition"):
            payload["disposition"] = parameters["ResponseContentDisposition"]
        token = signing.dumps(payload, salt=_SIGNER_SALT, compress=True)
        return reverse("signed-file", kwargs={"token": token})


def serve_signed_file(request, token: str):
    """Serve a local file for a signed, unexpired token (the local twin of a presigned URL)."""
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
    response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    if payload.get("disposition"):
        response["Content-Disposition"] = payload["disposition"]
    return response


def presigned_url(name: str, *, expire: int | None = None, download_as: str | None = None) -> str:
    """A time-limited URL for a private object; `download_as` makes browsers save it under that name."""
    parameters = {}
    if download_as:
        parameters["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(download_as)}"
    return default_storage.url(name, parameters=parameters or None, expire=expire or settings.PRESIGNED_URL_EXPIRY)
