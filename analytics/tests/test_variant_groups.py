"""A/B results of variant groups: per-variant audiences from seeded events, the comparison, one share
link per variant, and the groups in the campaign report, the staff dashboard and the admin."""
from __future__ import annotations

import pytest
from django.utils import timezone

from ai_studio.events import COMPLETED, job_changed_on_commit
from ai_studio.models import JobStatus
from ai_studio.tests.generation_api.variant_factories import group_with_variants
from analytics.models import ShareLink
from analytics.services import revoke_share, share_video

from .conftest import record_on
from .factories import CampaignFactory, GeneratedVideoFactory, JobFactory

pytestmark = pytest.mark.django_db


def report(client, group) -> dict:
    response = client.get(f"/api/analytics/variant-groups/{group.pk}")
    assert response.status_code == 200, response.json()
    return response.json()


def seed_views(video, *, views: int, clicks: int, prefix: str) -> None:
    """`views` viewers each load the page once; the first `clicks` of them click the call to action."""
    record_on(timezone.localdate(), video, [("view", f"{prefix}{n}") for n in range(views)]
              + [("cta_click", f"{prefix}{n}") for n in range(clicks)])


@pytest.fixture
def campaign(user):
    return CampaignFactory(owner=user, name="Spring launch")


# --- per-variant audiences ----------------------------------------------------------------------
def test_each_variant_reports_its_own_audience(auth_client, user, campaign):
    """A (20 s): alice plays to 10 s and clicks, bob completes, carol only loads the page.
    B (20 s): dave plays to 5 s. C: still rendering."""
    group, (video_a, video_b, video_c) = group_with_variants(owner=user, campaign=campaign, labels=("A", "B", "C"))
    pending_job = video_c.job
    video_c.delete()
    pending_job.status = JobStatus.PROCESSING
    pending_job.save()
    today = timezone.localdate()
    record_on(today, video_a, [("view", "alice"), ("play", "alice"), ("progress", "alice", 10), ("cta_click", "alice"),
                               ("view", "bob"), ("play", "bob"), ("complete", "bob"), ("view", "carol")])
    record_on(today, video_b, [("view", "dave"), ("play", "dave"), ("progress", "dave", 5)])

    body = report(auth_client, group)

    assert body["group"] == {"id": group.pk, "name": group.name, "campaign_id": campaign.pk,
                             "created_at": body["group"]["created_at"]}
    a, b, c = body["variants"]
    assert [a["label"], b["label"], c["label"]] == ["A", "B", "C"]
    assert {key: a[key] for key in ("views", "unique_viewers", "plays", "average_percent_watched",
                                    "completion_rate_percent", "cta_clicks", "click_through_rate_percent")} == {
        "views": 3, "unique_viewers": 3, "plays": 2, "average_percent_watched": 50.0,  # (10 + 20 + 0) / (3 x 20)
        "completion_rate_percent": 50.0, "cta_clicks": 1, "click_through_rate_percent": 33.33}
    assert (b["views"], b["unique_viewers"], b["average_percent_watched"], b["completion_rate_percent"]) == (
        1, 1, 25.0, 0.0)
    assert (c["job_status"], c["video_id"], c["views"], c["share_url"]) == ("processing", None, 0, None)
    assert a["video_id"] == str(video_a.pk) and a["job_status"] == "completed"
    assert c["job_id"] == str(pending_job.pk)

    comparison = body["comparison"]
    assert comparison["status"] == "insufficient_data" and comparison["leader"] is None
    assert [(row["variant"]["label"], row["views"], row["views_needed"]) for row in comparison["missing"]] == [
        ("A", 3, 97), ("B", 1, 99), ("C", 0, 100)]
    assert "Beta(1,1)" in comparison["method"] and "z-test" in comparison["method"]
    assert comparison["min_views_per_variant"] == 100 and comparison["probability_threshold"] == 0.95
    assert sum(row["probability_best"] for row in body["variants"]) == pytest.approx(1.0, abs=1e-5)


# --- the comparison -----------------------------------------------------------------------------
def test_a_clear_winner_on_enough_views_is_named(auth_client, user):
    group, (video_a, video_b, video_c) = group_with_variants(owner=user, labels=("Socks", "Question", "Promise"))
    seed_views(video_a, views=400, clicks=12, prefix="a")
    seed_views(video_b, views=400, clicks=44, prefix="b")
    seed_views(video_c, views=350, clicks=14, prefix="c")

    body = report(auth_client, group)

    comparison = body["comparison"]
    question = body["variants"][1]
    assert comparison["status"] == "leader"
    assert comparison["leader"] == {"id": question["id"], "label": "Question"}
    assert question["probability_best"] > 0.99
    assert (question["views"], question["cta_clicks"], question["click_through_rate_percent"]) == (400, 44, 11.0)
    low, high = question["cta_rate_credible_interval"]
    assert low < 0.11 < high
    assert comparison["test"]["leader"]["label"] == "Question" and comparison["test"]["runner_up"]["label"] == "Promise"
    assert comparison["test"]["p_value"] < 0.001 and comparison["missing"] == []


def test_no_winner_between_equal_variants_however_many_views(auth_client, user):
    group, (video_a, video_b) = group_with_variants(owner=user)
    seed_views(video_a, views=300, clicks=15, prefix="a")
    seed_views(video_b, views=300, clicks=15, prefix="b")

    comparison = report(auth_client, group)["comparison"]

    assert comparison["status"] == "no_clear_leader" and comparison["leader"] is None
    assert comparison["test"]["p_value"] == pytest.approx(1.0)
    assert "probability to be best" in comparison["reason"]


def test_a_variant_whose_job_was_deleted_counts_as_no_data(auth_client, user):
    group, (video_a, video_b) = group_with_variants(owner=user)
    seed_views(video_a, views=3, clicks=1, prefix="a")
    video_b.job.delete()  # staff removed it in the admin; the variant stays, without a job or video

    a, b = report(auth_client, group)["variants"]

    assert (a["views"], b["views"], b["job_id"], b["job_status"], b["video_id"]) == (3, 0, None, None, None)
    assert auth_client.get(f"/api/ai-studio/variant-groups/{group.pk}").json()["variants"][1]["job"] is None


# --- share links --------------------------------------------------------------------------------
def test_a_completed_variant_is_shared_when_its_job_completes(user, django_capture_on_commit_callbacks):
    group, (video_a, video_b) = group_with_variants(owner=user)
    lone_job = JobFactory(owner=user)
    lone_video = GeneratedVideoFactory(owner=user, job=lone_job)

    with django_capture_on_commit_callbacks(execute=True):
        job_changed_on_commit(video_a.job_id, user.pk, COMPLETED)
        job_changed_on_commit(lone_job.pk, user.pk, COMPLETED)
        job_changed_on_commit(video_b.job_id, user.pk, "progress")

    assert ShareLink.objects.filter(video=video_a, revoked_at__isnull=True).count() == 1
    assert not ShareLink.objects.filter(video__in=[video_b, lone_video]).exists()  # not a variant / not done


def test_the_report_shares_completed_variants_the_receiver_missed_but_never_a_revoked_one(auth_client, user):
    group, (video_a, video_b) = group_with_variants(owner=user)
    share_video(video=video_b)
    revoke_share(video=video_b)

    a, b = report(auth_client, group)["variants"]

    link = ShareLink.objects.get(video=video_a)
    assert a["share_url"].endswith(f"/v/{link.token}")
    assert b["share_url"] is None
    assert ShareLink.objects.filter(video=video_b).count() == 1  # the revoked one, still revoked
    assert report(auth_client, group)["variants"][0]["share_url"] == a["share_url"]  # one link per variant


# --- the campaign report, the staff dashboard, the admin ----------------------------------------
def test_the_campaign_report_lists_its_variant_groups(auth_client, user, campaign, other_user):
    group, (video_a, video_b) = group_with_variants(owner=user, campaign=campaign, name="Hooks")
    seed_views(video_a, views=150, clicks=3, prefix="a")
    seed_views(video_b, views=150, clicks=30, prefix="b")
    group_with_variants(owner=user, name="Elsewhere")  # another campaign's: not listed
    group_with_variants(owner=other_user, campaign=campaign, name="Not the owner's")

    body = auth_client.get(f"/api/analytics/campaigns/{campaign.pk}").json()

    assert body["variant_groups"] == [{"id": group.pk, "name": "Hooks", "created_at": body["variant_groups"][0][
        "created_at"], "variants": 2, "views": 300, "cta_clicks": 33, "status": "leader", "leader": "B"}]


def test_the_staff_dashboard_shows_variant_groups(staff_browser, user):
    group, (video_a, video_b) = group_with_variants(owner=user, name="Dashboard hooks")
    seed_views(video_a, views=5, clicks=1, prefix="a")

    html = staff_browser.get("/admin/analytics/dashboard/").content.decode()

    assert 'id="variant-groups"' in html
    assert "Dashboard hooks" in html and user.email in html and "Not enough data yet" in html
    assert f"/admin/ai_studio/variantgroup/{group.pk}/change/" in html


def test_the_admin_lists_filters_searches_and_shows_variants(staff_browser, user):
    group, _ = group_with_variants(owner=user, name="Admin hooks", labels=("Short", "Long"))
    group_with_variants(owner=user, name="Queued hooks", completed=False)

    listing = staff_browser.get("/admin/ai_studio/variantgroup/")
    assert listing.status_code == 200 and "Admin hooks" in listing.content.decode()
    running = staff_browser.get("/admin/ai_studio/variantgroup/?progress=running").content.decode()
    assert "Queued hooks" in running and "Admin hooks" not in running
    done = staff_browser.get("/admin/ai_studio/variantgroup/?progress=done").content.decode()
    assert "Admin hooks" in done and "Queued hooks" not in done
    assert "Admin hooks" in staff_browser.get("/admin/ai_studio/variantgroup/?q=Long").content.decode()

    change = staff_browser.get(f"/admin/ai_studio/variantgroup/{group.pk}/change/").content.decode()
    assert "Short" in change and "Long" in change and "Completed" in change
    assert staff_browser.get("/admin/ai_studio/variantgroup/add/").status_code == 403
