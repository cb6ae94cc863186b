"""Private file storage with presigned URLs, the same interface on S3 and on the local disk.

On S3 (Supabase Storage, SeaweedFS, AWS...) django-storages' S3Storage presigns with SigV4. On the
embedded default, `SignedFileSystemStorage` produces time-limited signed URLs served by
`serve_signed_file`, so nothing in `media/` is reachable without a fresh URL there either. Both
kinds are absolute: a frontend on another origin (FRONTEND_URL) uses them as they are.
"""
from __future__ import annotations

import hashlib
import hmac
import mimetypes
import re
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
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


# Signing a URL costs about a millisecond of CPU with botocore, and a page of 20 videos carries 120 of
# them: each process reuses a URL it signed for the same object (and download name) for a short time
# (PRESIGNED_URL_REUSE_SECONDS, at most a twelfth of the expiry), so the URL a client gets stays valid
# for at least PRESIGNED_URL_EXPIRY minus that. Polling a job or re-reading a list then signs nothing,
# and a browser sees the same URL again and can use its cache.
_PRESIGNED_REUSE_MAX_ENTRIES = 20_000
_presigned: OrderedDict[tuple, tuple[str, float]] = OrderedDict()
_presigned_lock = threading.Lock()


def presigned_url_reuse_seconds(expire: int) -> float:
    reuse = _reuse_seconds.get(expire)
    if reuse is None:  # settings are read once per expiry (a page of videos asks ~120 times)
        reuse = _reuse_seconds[expire] = max(0.0, min(float(settings.PRESIGNED_URL_REUSE_SECONDS), expire / 12))
    return reuse


_reuse_seconds: dict[int, float] = {}


def presigned_url(name: str, *, expire: int | None = None, download_as: str | None = None) -> str:
    """A time-limited URL for a private object; `download_as` makes browsers save it under that name.

    Valid for at least `expire` (default PRESIGNED_URL_EXPIRY) minus presigned_url_reuse_seconds."""
    expire = expire or settings.PRESIGNED_URL_EXPIRY
    reuse = presigned_url_reuse_seconds(expire)
    key = (name, expire, download_as)
    now = time.monotonic()
    if reuse:
        cached = _presigned.get(key)  # one atomic read (the GIL): writers hold the lock among themselves
        if cached is not None and now - cached[1] < reuse:
            return cached[0]
    parameters = {}
    if download_as:
        parameters["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(download_as)}"
    signer = _fast_signer()
    if signer is not None:
        url = signer.url(signer.key_for(name), expire=expire, parameters=parameters)
    else:
        url = default_storage.url(name, parameters=parameters or None, expire=expire)
    if reuse:
        with _presigned_lock:
            _presigned[key] = (url, now)
            _presigned.move_to_end(key)
            while len(_presigned) > _PRESIGNED_REUSE_MAX_ENTRIES:
                _presigned.popitem(last=False)
    return url


def forget_presigned_urls(**kwargs) -> None:
    """Drop the reused URLs and the signer (when the storage or its settings change: tests, a
    reconfigured process)."""
    global _signer
    with _presigned_lock:
        _presigned.clear()
        _reuse_seconds.clear()
        _signer = _UNKNOWN


class S3QuerySigner:
    """SigV4 query-string presigning of S3 GET URLs (path-style), as botocore's
    `generate_presigned_url("get_object")` makes them, byte for byte, in ~1/50 of its time.

    botocore runs its whole request pipeline (parameter validation, endpoint rules, events) for each
    URL; the signature itself is four HMACs and a hash, and the signing key changes once a day.
    Only used for a storage configured the plain way (see `for_storage`); anything else is
    presigned by django-storages.
    """

    def __init__(self, *, storage, endpoint_url: str, bucket: str, region: str, access_key: str,
                 secret_key: str) -> None:
        parts = urlsplit(endpoint_url)
        default_port = {"http": 80, "https": 443}[parts.scheme]
        self.storage = storage
        self.host = parts.hostname + (f":{parts.port}" if parts.port and parts.port != default_port else "")
        self.prefix = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/{quote(bucket, safe='')}/"
        self.path_prefix = f"{parts.path.rstrip('/')}/{quote(bucket, safe='')}/"
        self.region, self.access_key, self.secret_key = region, access_key, secret_key
        self._keys: dict[str, bytes] = {}

    @classmethod
    def for_storage(cls, storage) -> S3QuerySigner | None:
        from storages.backends.s3 import S3Storage

        if type(storage) is not S3Storage:
            return None
        plain = (storage.querystring_auth and not storage.custom_domain and storage.endpoint_url
                 and storage.access_key and storage.secret_key and storage.region_name
                 and not storage.security_token and not getattr(storage, "session_profile", None)
                 and storage.addressing_style == "path" and storage.signature_version == "s3v4"
                 and not getattr(storage, "cloudfront_signer", None)
                 and urlsplit(storage.endpoint_url).scheme in ("http", "https")
                 and not urlsplit(storage.endpoint_url).query)
        if not plain:
            return None
        return cls(storage=storage, endpoint_url=storage.endpoint_url, bucket=storage.bucket_name,
                   region=storage.region_name, access_key=storage.access_key, secret_key=storage.secret_key)

    def key_for(self, name: str) -> str:
        return self.storage._normalize_name(clean_name(name))

    def _signing_key(self, day: str) -> bytes:
        key = self._keys.get(day)
        if key is None:
            key = ("AWS4" + self.secret_key).encode()
            for part in (day, self.region, "s3", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {day: key}
        return key

    def url(self, key: str, *, expire: int, parameters: dict | None = None, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        scope = f"{day}/{self.region}/s3/aws4_request"
        query = []
        if parameters and parameters.get("ResponseContentDisposition"):
            query.append(("response-content-disposition", parameters["ResponseContentDisposition"]))
        query += [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", f"{self.access_key}/{scope}"),
                  ("X-Amz-Date", stamp), ("X-Amz-Expires", str(expire)), ("X-Amz-SignedHeaders", "host")]
        encoded = [(quote(name, safe="-_.~"), quote(value, safe="-_.~")) for name, value in query]
        path = quote(key, safe="/~")
        canonical = "\n".join([
            "GET", self.path_prefix + path, "&".join(f"{name}={value}" for name, value in sorted(encoded)),
            f"host:{self.host}", "", "host", "UNSIGNED-PAYLOAD"])
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        signature = hmac.new(self._signing_key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        return (f"{self.prefix}{path}?{'&'.join(f'{name}={value}' for name, value in encoded)}"
                f"&X-Amz-Signature={signature}")


_UNKNOWN = object()
_signer = _UNKNOWN


def _fast_signer() -> S3QuerySigner | None:
    global _signer
    signer = _signer
    if signer is _UNKNOWN:
        signer = _signer = S3QuerySigner.for_storage(storages["default"])
    return signer


@receiver(setting_changed)
def _storage_settings_changed(setting=None, **kwargs) -> None:
    if setting in ("STORAGES", "PRESIGNED_URL_EXPIRY", "PRESIGNED_URL_REUSE_SECONDS", "PUBLIC_BASE_URL"):
        forget_presigned_urls()


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
