"""Private file storage: objects live in a private bucket and are reachable only through presigned URLs.

Runs against real S3 (SeaweedFS, which checks SigV4 signatures) over HTTP, and against the
embedded default (SignedFileSystemStorage + the /media-signed/ view).
"""
from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.test import override_settings
from storages.backends.s3 import S3Storage

from reelmate.storage import SignedFileSystemStorage, presigned_url


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    """GET a URL over real HTTP; an error status is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def save(content: bytes, suffix: str = ".bin") -> str:
    return default_storage.save(f"tests/{uuid.uuid4().hex}{suffix}", ContentFile(content))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


class TestS3Storage:
    def test_the_default_storage_is_s3_on_the_test_server(self, s3_server):
        storage = storages["default"]  # what default_storage wraps
        assert isinstance(storage, S3Storage)
        assert storage.endpoint_url == s3_server.endpoint_url
        assert storage.bucket_name == s3_server.bucket

    def test_a_saved_file_lands_in_the_bucket(self, s3_server):
        name = save(b"reel bytes", ".mp4")

        client = s3_server.client()
        head = client.head_object(Bucket=s3_server.bucket, Key=name)
        assert head["ContentLength"] == len(b"reel bytes")
        listed = client.list_objects_v2(Bucket=s3_server.bucket, Prefix="tests/")
        assert name in [item["Key"] for item in listed.get("Contents", [])]
        assert client.get_object(Bucket=s3_server.bucket, Key=name)["Body"].read() == b"reel bytes"

    def test_presigned_url_serves_the_exact_bytes(self):
        content = bytes(range(256)) * 64
        name = save(content)

        status, body, _ = fetch(presigned_url(name))

        assert status == 200
        assert body == content

    def test_download_as_sets_an_attachment_disposition(self):
        name = save(b"video", ".mp4")

        status, _, headers = fetch(presigned_url(name, download_as="My Reel.mp4"))

        assert status == 200
        assert headers["Content-Disposition"] == "attachment; filename*=UTF-8''My%20Reel.mp4"

    def test_a_tampered_signature_is_refused(self):
        url = presigned_url(save(b"secret"))
        signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
        flipped = ("0" if signature[0] != "0" else "1") + signature[1:]

        status, body, _ = fetch(with_query(url, **{"X-Amz-Signature": flipped}))

        assert status == 403
        assert b"SignatureDoesNotMatch" in body

    def test_a_url_signed_for_one_key_does_not_open_another(self):
        name = save(b"mine")
        other = save(b"someone else's")
        url = presigned_url(name)
        tampered = url.replace(name.rsplit("/", 1)[1], other.rsplit("/", 1)[1])
        assert tampered != url

        status, _, _ = fetch(tampered)

        assert status == 403

    def test_an_expired_url_is_refused(self):
        url = presigned_url(save(b"short-lived"), expire=1)

        time.sleep(2.1)
        status, body, _ = fetch(url)

        assert status == 403
        assert b"expired" in body.lower()

    def test_objects_are_private_without_a_signature(self, s3_server):
        name = save(b"private")

        status, _, _ = fetch(f"{s3_server.endpoint_url}/{s3_server.bucket}/{name}")

        assert status == 403


@pytest.fixture
def local_storage(tmp_path):
    """The embedded default: signed local files served by /media-signed/<token>."""
    storages = {
        "default": {
            "BACKEND": "reelmate.storage.SignedFileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": "/media/"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, USING_S3=False):
        yield tmp_path


class TestLocalSignedStorage:
    def test_a_valid_token_serves_the_bytes(self, local_storage, client):
        name = save(b"local reel", ".mp4")
        assert isinstance(storages["default"], SignedFileSystemStorage)
        assert (local_storage / name).read_bytes() == b"local reel"

        url = presigned_url(name, download_as="reel.mp4")
        response = client.get(url)

        assert url.startswith(f"{settings.PUBLIC_BASE_URL}/media-signed/")  # absolute, for any frontend origin
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"local reel"
        assert response["Content-Disposition"] == "attachment; filename*=UTF-8''reel.mp4"

    def test_a_tampered_token_is_not_found(self, local_storage, client):
        url = presigned_url(save(b"local reel"))
        tampered = url[:-1] + ("A" if url[-1] != "A" else "B")

        assert client.get(tampered).status_code == 404
