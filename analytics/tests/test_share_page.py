"""The public page at /v/<token>: a player that streams (with Range), captions, CTA, previews."""
from __future__ import annotations

import urllib.request
import uuid
from html.parser import HTMLParser
from urllib.error import HTTPError

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from analytics import services
from reelmate.storage import presigned_url

from .factories import CampaignFactory, GeneratedVideoFactory, ShareLinkFactory

pytestmark = pytest.mark.django_db

VIDEO_BYTES = bytes(range(256)) * 40  # 10,240 bytes, every offset recognisable
CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:02.000\nMeet the new trail shoe.\n"


class _Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.found if name == tag]

    def meta(self, key: str) -> str:
        return next(attrs["content"] for attrs in self.all("meta") if key in (attrs.get("property"), attrs.get("name")))


def fetch(client: Client, url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET a URL the page handed out: our own (on PUBLIC_BASE_URL) through the test client, S3 over loopback."""
    headers = headers or {}
    if url.startswith(("/", settings.PUBLIC_BASE_URL)):
        response = client.get(url.removeprefix(settings.PUBLIC_BASE_URL), headers=headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, dict(response.headers), body
    assert url.startswith(("http://127.0.0.1:", "http://localhost:")), url
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def shared_video(user):
    prefix = f"tests/analytics/{uuid.uuid4().hex}"
    campaign = CampaignFactory(owner=user, call_to_action="Shop the drop",
                               call_to_action_url="https://shop.example.com/drop", brand_primary_color="#112233")
    video = GeneratedVideoFactory(
        owner=user, campaign=campaign, title="Trail shoe launch",
        video_key=default_storage.save(f"{prefix}/video.mp4", ContentFile(VIDEO_BYTES)),
        thumbnail_key=default_storage.save(f"{prefix}/thumbnail.jpg", ContentFile(b"\xff\xd8\xff fake jpeg")),
        captions_vtt_key=default_storage.save(f"{prefix}/captions.vtt", ContentFile(CAPTIONS.encode())),
    )
    return ShareLinkFactory(video=video)


def test_share_page_is_a_player_with_poster_captions_and_the_campaign_call_to_action(client, shared_video):
    response = client.get(f"/v/{shared_video.token}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    page = _Tags(response.content.decode())
    video = page.all("video")[0]
    assert "controls" in video and "playsinline" in video
    assert shared_video.video.thumbnail_key in video["poster"]
    assert page.all("source")[0]["type"] == "video/mp4"
    assert page.all("track")[0] == {"kind": "captions", "src": f"/v/{shared_video.token}/captions.vtt",
                                    "srclang": "en", "label": "Captions", "default": None}
    cta = next(attrs for attrs in page.all("a") if attrs.get("id") == "cta")
    assert cta["href"] == "https://shop.example.com/drop"
    assert b"Shop the drop" in response.content
    assert b"--brand: #112233" in response.content


def test_share_page_carries_open_graph_and_twitter_card_tags(client, shared_video, settings):
    settings.PUBLIC_BASE_URL = "https://reelmate.example"
    page = _Tags(client.get(f"/v/{shared_video.token}/").content.decode())
    base = f"https://reelmate.example/v/{shared_video.token}"

    assert page.meta("og:title") == "Trail shoe launch"
    assert page.meta("og:description") == "Watch Trail shoe launch — Shop the drop"
    assert page.meta("og:type") == "video.other"
    assert page.meta("og:url") == base
    assert page.meta("og:image") == f"{base}/thumbnail.jpg"
    assert page.meta("og:video") == f"{base}/video.mp4"
    assert page.meta("og:video:type") == "video/mp4"
    assert page.meta("twitter:card") == "summary_large_image"
    assert "Spring collection push" not in page.meta("og:description"), "the campaign's brief stays private"
    assert page.meta("twitter:image") == f"{base}/thumbnail.jpg"


def test_share_page_sends_its_own_player_events(client, shared_video):
    html = client.get(f"/v/{shared_video.token}").content.decode()

    assert '"eventsUrl": "/api/analytics/events"' in html
    assert f'"token": "{shared_video.token}"' in html
    for event in ('send("view")', 'send("play"', 'send("progress"', 'send("complete"', 'send("cta_click")'):
        assert event in html
    assert "localStorage" in html


def test_the_player_streams_the_video_with_range_requests(client, shared_video):
    page = _Tags(client.get(f"/v/{shared_video.token}").content.decode())
    video_url = page.all("source")[0]["src"]

    status, headers, body = fetch(client, video_url, {"Range": "bytes=1000-1099"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 1000-1099/{len(VIDEO_BYTES)}"
    assert body == VIDEO_BYTES[1000:1100]

    status, _, body = fetch(client, video_url)
    assert status == 200
    assert body == VIDEO_BYTES


def test_captions_thumbnail_and_video_have_stable_urls_for_crawlers(client, shared_video):
    token = shared_video.token

    captions = client.get(f"/v/{token}/captions.vtt")
    assert captions.status_code == 200
    assert captions["Content-Type"] == "text/vtt; charset=utf-8"
    assert captions.content.decode() == CAPTIONS

    for path, key in ((f"/v/{token}/thumbnail.jpg", shared_video.video.thumbnail_key),
                      (f"/v/{token}/video.mp4", shared_video.video.video_key)):
        redirect = client.get(path)
        assert redirect.status_code == 302
        assert key in redirect["Location"]


@pytest.mark.parametrize("path", ["/v/{token}", "/v/{token}/captions.vtt", "/v/{token}/thumbnail.jpg"])
def test_a_revoked_link_is_a_404_page(client, shared_video, path):
    services.revoke_share(video=shared_video.video)

    response = client.get(path.format(token=shared_video.token))

    assert response.status_code == 404


def test_an_unknown_token_is_a_404_page(client):
    response = client.get("/v/" + "x" * 32)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"This video is not available" in response.content


def test_without_a_campaign_there_is_no_call_to_action(client, user):
    link = ShareLinkFactory(video=GeneratedVideoFactory(owner=user, campaign=None))

    response = client.get(f"/v/{link.token}")

    assert response.status_code == 200
    assert b'id="cta"' not in response.content


# --- The local (embedded) storage answers Range requests like S3 does ---------------------------
@pytest.fixture
def local_storage(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "reelmate.storage.SignedFileSystemStorage",
        "OPTIONS": {"location": tmp_path, "base_url": "/media/"}}}
    return default_storage


@pytest.fixture
def local_video_url(local_storage):
    return presigned_url(local_storage.save("reel.mp4", ContentFile(VIDEO_BYTES)))


@pytest.mark.parametrize(("header", "first", "last"), [
    ("bytes=0-99", 0, 99),
    ("bytes=10000-", 10000, 10239),
    ("bytes=-40", 10200, 10239),
    ("bytes=10200-99999", 10200, 10239),
])
def test_local_signed_files_answer_range_requests(client, local_video_url, header, first, last):
    response = client.get(local_video_url, headers={"Range": header})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/10240"
    assert response["Content-Length"] == str(last - first + 1)
    assert b"".join(response.streaming_content) == VIDEO_BYTES[first:last + 1]


def test_local_signed_files_without_range_are_served_whole_and_advertise_ranges(client, local_video_url):
    response = client.get(local_video_url)

    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert b"".join(response.streaming_content) == VIDEO_BYTES


def test_a_range_beyond_the_end_is_416(client, local_video_url):
    response = client.get(local_video_url, headers={"Range": "bytes=20000-"})

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10240"


def test_the_share_page_player_streams_from_local_storage_too(client, local_storage, user):
    video = GeneratedVideoFactory(owner=user, video_key=local_storage.save("shared.mp4", ContentFile(VIDEO_BYTES)))
    link = ShareLinkFactory(video=video)
    video_url = _Tags(client.get(f"/v/{link.token}").content.decode()).all("source")[0]["src"]

    status, _, body = fetch(client, video_url, {"Range": "bytes=256-511"})

    assert status == 206
    assert body == VIDEO_BYTES[256:512]
