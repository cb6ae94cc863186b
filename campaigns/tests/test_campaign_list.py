"""The campaign list: filters, search, ordering, pagination, counts, and a constant query count."""
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ai_studio.tests.catalog.factories import (
    AvatarFactory,
    GeneratedVideoFactory,
    GenerationJobFactory,
    VoiceFactory,
)
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def names(response):
    assert response.status_code == 200, response.json()
    return [item["name"] for item in response.json()["results"]]


def list_campaigns(client, **params):
    return names(client.get("/api/campaigns", params))


def test_newest_first_by_default(auth_client, user):
    for name in ["first", "second", "third"]:
        CampaignFactory(owner=user, name=name)
    assert list_campaigns(auth_client) == ["third", "second", "first"]


def test_filter_by_one_or_several_statuses(auth_client, user):
    CampaignFactory(owner=user, name="d", status="draft")
    CampaignFactory(owner=user, name="a", status="active")
    CampaignFactory(owner=user, name="p", status="paused")
    assert list_campaigns(auth_client, status="active") == ["a"]
    assert sorted(list_campaigns(auth_client, status=["active", "paused"])) == ["a", "p"]


def test_filter_by_platform(auth_client, user):
    CampaignFactory(owner=user, name="tiktok only", platforms=["tiktok"])
    CampaignFactory(owner=user, name="both", platforms=["youtube_shorts", "tiktok"])
    CampaignFactory(owner=user, name="facebook", platforms=["facebook"])
    CampaignFactory(owner=user, name="none", platforms=[])
    assert sorted(list_campaigns(auth_client, platform="tiktok")) == ["both", "tiktok only"]
    assert list_campaigns(auth_client, platform="youtube_shorts") == ["both"]


def test_filter_by_objective_and_tag(auth_client, user):
    CampaignFactory(owner=user, name="sale", objective="conversions", tags=["black friday", "sale"])
    CampaignFactory(owner=user, name="brand", objective="awareness", tags=["brand"])
    assert list_campaigns(auth_client, objective="conversions") == ["sale"]
    assert list_campaigns(auth_client, tag="Black  Friday") == ["sale"]
    assert list_campaigns(auth_client, tag="friday") == []


def test_filter_by_creation_and_start_date_ranges(auth_client, user):
    old = CampaignFactory(owner=user, name="old", start_date="2026-01-10")
    new = CampaignFactory(owner=user, name="new", start_date="2026-02-10")
    Campaign.objects.filter(pk=old.pk).update(created_at=datetime(2026, 1, 5, 23, 59, tzinfo=UTC))
    Campaign.objects.filter(pk=new.pk).update(created_at=datetime(2026, 1, 6, 0, 0, tzinfo=UTC))
    assert list_campaigns(auth_client, created_after="2026-01-06") == ["new"]
    assert list_campaigns(auth_client, created_before="2026-01-05") == ["old"]
    assert list_campaigns(auth_client, start_after="2026-02-01") == ["new"]
    assert list_campaigns(auth_client, start_before="2026-01-31") == ["old"]
    assert list_campaigns(auth_client, start_after="2026-01-10", start_before="2026-01-10") == ["old"]


def test_search_matches_name_and_description(auth_client, user):
    CampaignFactory(owner=user, name="Summer Sale", description="")
    CampaignFactory(owner=user, name="Launch", description="the summer launch of our app")
    CampaignFactory(owner=user, name="Winter", description="")
    assert sorted(list_campaigns(auth_client, search="SUMMER")) == ["Launch", "Summer Sale"]


@pytest.mark.parametrize("params", [
    {"status": "launched"}, {"platform": "myspace"}, {"objective": "fame"}, {"created_after": "yesterday"},
])
def test_invalid_filters_are_400(auth_client, params):
    response = auth_client.get("/api/campaigns", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_ordering_by_name_start_date_and_budget(auth_client, user):
    CampaignFactory(owner=user, name="b", start_date="2026-03-01", budget="10")
    CampaignFactory(owner=user, name="a", start_date="2026-01-01", budget="30")
    CampaignFactory(owner=user, name="c", start_date="2026-02-01", budget="20")
    assert list_campaigns(auth_client, ordering="name") == ["a", "b", "c"]
    assert list_campaigns(auth_client, ordering="-start_date") == ["b", "c", "a"]
    assert list_campaigns(auth_client, ordering="budget") == ["b", "c", "a"]


def test_equal_values_keep_a_stable_order_across_pages(auth_client, user):
    created = [CampaignFactory(owner=user, name="same").pk for _ in range(5)]
    pages = [auth_client.get("/api/campaigns", {"ordering": "name", "page_size": 2, "page": page}).json()
             for page in (1, 2, 3)]
    seen = [item["id"] for page in pages for item in page["results"]]
    assert seen == sorted(created)


def test_pagination(auth_client, user):
    CampaignFactory.create_batch(5, owner=user)
    body = auth_client.get("/api/campaigns", {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"]


def test_each_campaign_counts_its_videos_and_its_jobs_by_status(auth_client, user):
    campaign = CampaignFactory(owner=user)
    other = CampaignFactory(owner=user)
    avatar, voice = AvatarFactory(), VoiceFactory()
    for status in ["queued", "processing", "completed", "completed", "failed", "canceled"]:
        GenerationJobFactory(owner=user, campaign=campaign, avatar=avatar, voice=voice, status=status)
    GeneratedVideoFactory.create_batch(3, owner=user, campaign=campaign)
    GenerationJobFactory(owner=user, campaign=other, avatar=avatar, voice=voice)
    stats = {item["id"]: item["stats"] for item in auth_client.get("/api/campaigns").json()["results"]}
    assert stats[campaign.pk] == {"videos": 3, "jobs": {"total": 6, "queued": 1, "processing": 1, "completed": 2,
                                                         "failed": 1, "canceled": 1}}
    assert stats[other.pk]["jobs"]["total"] == 1
    assert stats[other.pk]["videos"] == 0
    detail = auth_client.get(f"/api/campaigns/{campaign.pk}").json()
    assert detail["stats"] == stats[campaign.pk]


def test_a_page_costs_the_same_number_of_queries_whatever_its_size(auth_client, user):
    avatar, voice = AvatarFactory(), VoiceFactory()
    # 13: both pages have a next one (a last page takes its count from its own rows: one query fewer).
    for campaign in CampaignFactory.create_batch(13, owner=user):
        GenerationJobFactory.create_batch(2, owner=user, campaign=campaign, avatar=avatar, voice=voice)
        GeneratedVideoFactory(owner=user, campaign=campaign)

    def queries_for(page_size):
        with CaptureQueriesContext(connection) as captured:
            response = auth_client.get("/api/campaigns", {"page_size": page_size, "platform": "tiktok"})
        assert len(response.json()["results"]) == page_size
        return len(captured)

    assert queries_for(2) == queries_for(12)
    assert queries_for(12) <= 4  # the user, the access token's revocation check, the count, the page
