"""Owners share, unshare and download their videos; nobody else can."""
import re
from urllib.parse import unquote

import pytest
from django.conf import settings

from analytics.models import ShareLink, VideoDailyStats
from analytics.services import flush_event_buffer

from .factories import GeneratedVideoFactory

pytestmark = pytest.mark.django_db


def share_path(video, slash=""):
    return f"/api/ai-studio/generated-videos/{video.pk}/share{slash}"


def test_sharing_creates_an_unguessable_public_link(auth_client, user):
    video = GeneratedVideoFactory(owner=user)

    response = auth_client.post(share_path(video))

    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", body["token"])
    assert body["url"] == f"{settings.PUBLIC_BASE_URL}/v/{body['token']}"
    assert ShareLink.objects.get(video=video).token == body["token"]


def test_sharing_again_returns_the_same_link(auth_client, user):
    video = GeneratedVideoFactory(owner=user)
    first = auth_client.post(share_path(video)).json()

    again = auth_client.post(share_path(video, "/"))

    assert again.status_code == 200
    assert again.json()["token"] == first["token"]
    assert ShareLink.objects.filter(video=video).count() == 1


def test_each_video_gets_its_own_token(auth_client, user):
    tokens = {auth_client.post(share_path(GeneratedVideoFactory(owner=user))).json()["token"] for _ in range(3)}
    assert len(tokens) == 3


def test_revoking_unshares_and_sharing_afterwards_makes_a_new_link(auth_client, user):
    video = GeneratedVideoFactory(owner=user)
    old_token = auth_client.post(share_path(video)).json()["token"]

    assert auth_client.delete(share_path(video)).status_code == 204
    assert auth_client.delete(share_path(video, "/")).status_code == 204  # idempotent

    assert ShareLink.objects.get(token=old_token).revoked_at is not None
    new_token = auth_client.post(share_path(video)).json()["token"]
    assert new_token != old_token


def test_another_users_video_cannot_be_shared_unshared_or_downloaded(other_client, user):
    video = GeneratedVideoFactory(owner=user)

    assert other_client.post(share_path(video)).status_code == 404
    assert other_client.delete(share_path(video)).status_code == 404
    assert other_client.get(f"/api/ai-studio/generated-videos/{video.pk}/download").status_code == 404
    assert not ShareLink.objects.exists()


def test_sharing_needs_a_signed_in_user(api_client, user):
    assert api_client.post(share_path(GeneratedVideoFactory(owner=user))).status_code == 401


@pytest.mark.parametrize("slash", ["", "/"])
def test_download_redirects_to_a_short_lived_attachment_url_and_counts_it(auth_client, user, slash):
    video = GeneratedVideoFactory(owner=user, title="Spring Launch: Trail Shoe")

    response = auth_client.get(f"/api/ai-studio/generated-videos/{video.pk}/download{slash}")

    assert response.status_code == 302
    location = unquote(response["Location"])
    assert video.video_key in location
    assert "attachment; filename*=UTF-8''spring-launch-trail-shoe.mp4" in location
    assert "X-Amz-Expires=300" in location
    flush_event_buffer()
    assert VideoDailyStats.objects.get(video=video).downloads == 1
