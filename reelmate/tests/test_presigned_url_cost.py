"""Presigned URLs cheaply: signed without botocore's request pipeline (byte for byte what botocore
signs, and accepted by real S3), and a URL a process signed handed out again for a short while."""
from __future__ import annotations

import time
import urllib.request
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from storages.backends.s3 import S3Storage

from reelmate.storage import S3QuerySigner, presigned_url

NAMES = ["videos/3f2a/video.mp4", "tests/a b/ü+%(1)*'!~.txt", "a/b/c"]
DISPOSITION = {"ResponseContentDisposition": "attachment; filename*=UTF-8''My%20Reel%20%C3%A9.mp4"}


def signed_at(url: str) -> str:
    return parse_qs(urlsplit(url).query)["X-Amz-Date"][0]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("parameters", [None, DISPOSITION])
def test_the_signer_signs_exactly_as_botocore_does(name, parameters):
    storage = storages["default"]
    signer = S3QuerySigner.for_storage(storage)
    assert signer is not None
    expected = storage.url(name, parameters=parameters, expire=3600)
    instant = datetime.strptime(signed_at(expected), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert signer.url(signer.key_for(name), expire=3600, parameters=parameters, now=instant) == expected


@pytest.mark.parametrize("option", [{"custom_domain": "cdn.example.com"}, {"security_token": "session"},
                                    {"addressing_style": "virtual"}, {"querystring_auth": False}])
def test_a_storage_configured_otherwise_is_left_to_botocore(option):
    base = storages["default"]
    options = {"bucket_name": base.bucket_name, "endpoint_url": base.endpoint_url, "access_key": "key",
               "secret_key": "secret", "region_name": "us-east-1", "addressing_style": "path",
               "signature_version": "s3v4", **option}
    storage = S3Storage(**options)
    assert S3QuerySigner.for_storage(storage) is None


def test_a_url_is_handed_out_again_for_a_while_and_works(settings):
    settings.PRESIGNED_URL_REUSE_SECONDS = 300
    name = default_storage.save(f"tests/{uuid.uuid4().hex}.txt", ContentFile(b"reused"))
    first = presigned_url(name)
    time.sleep(1.1)  # a new signature would carry another X-Amz-Date
    assert presigned_url(name) == first
    assert presigned_url(name, download_as="a.txt") != first  # another download name, another URL
    with urllib.request.urlopen(first, timeout=10) as response:
        assert response.read() == b"reused"


def test_with_reuse_off_every_url_is_signed_anew(settings):
    settings.PRESIGNED_URL_REUSE_SECONDS = 0
    name = f"tests/{uuid.uuid4().hex}.txt"
    first = presigned_url(name)
    time.sleep(1.1)
    assert signed_at(presigned_url(name)) != signed_at(first)


def test_reuse_lasts_at_most_a_twelfth_of_the_lifetime(settings):
    settings.PRESIGNED_URL_REUSE_SECONDS = 300
    settings.PRESIGNED_URL_EXPIRY = 12
    name = f"tests/{uuid.uuid4().hex}.txt"
    first = presigned_url(name)
    time.sleep(1.1)
    assert signed_at(presigned_url(name)) != signed_at(first)
