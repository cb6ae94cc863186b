"""GET /api/usage: the caller's plan and, for each limit, the limit, what is used, what remains and
when it resets (UTC calendar day and month)."""
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Plan, UserPlan
from ai_studio.models import ChargeStatus, JobCharge, JobStatus, VideoGenerationJob
from ai_studio.selectors.usage import periods_at
from ai_studio.services import quotas
from ai_studio.tests.catalog.factories import GenerationJobFactory
from ai_studio.tests.generation_api.estimates import spoken_seconds, words

pytestmark = pytest.mark.django_db


def usage(client) -> dict:
    response = client.get("/api/usage")
    assert response.status_code == 200
    return response.json()


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_usage_needs_authentication(api_client):
    assert api_client.get("/api/usage").status_code == 401


def test_an_unlimited_plan_has_null_limits_and_still_counts_usage(auth_client, generate):
    generate()
    body = usage(auth_client)
    periods = periods_at(timezone.now())
    assert body["plan"] == {"name": "Unlimited", "slug": "unlimited", "max_in_flight": 4}
    assert body["limits"] == {
        "concurrent_jobs": {"limit": None, "used": 1, "remaining": None, "resets_at": None, "unit": "jobs"},
        "jobs_per_day": {"limit": None, "used": 1, "remaining": None, "resets_at": iso(periods.day_end),
                         "unit": "jobs"},
        "video_minutes_per_month": {"limit": None, "used": round(spoken_seconds(3) / 60, 2), "remaining": None,
                                    "resets_at": iso(periods.month_end), "unit": "minutes"},
        "script_characters": {"limit": None, "used": None, "remaining": None, "resets_at": None,
                              "unit": "characters"},
        "retries_per_job": {"limit": None, "used": None, "remaining": None, "resets_at": None, "unit": "retries"},
    }


def test_the_numbers_of_a_user_on_the_free_plan(auth_client, user, generate):
    UserPlan.objects.filter(user=user).update(plan=Plan.objects.get(slug="free"), concurrent_jobs=5)
    queued = generate(script=words(100)).json()["id"]  # charged its estimate while it waits
    completed = VideoGenerationJob.objects.get(pk=generate(script=words(50)).json()["id"])
    VideoGenerationJob.objects.filter(pk=completed.pk).update(status=JobStatus.COMPLETED)
    quotas.settle_charge(completed, 26.0)  # ... charged its real 26 s once rendered
    canceled = generate().json()["id"]
    auth_client.post(f"/api/ai-studio/generation-jobs/{canceled}/cancel")  # refunded: not counted
    last_month = GenerationJobFactory(owner=user, status=JobStatus.COMPLETED)
    quotas.open_charge(last_month, 600.0)
    JobCharge.objects.filter(job=last_month).update(
        created_at=periods_at(timezone.now()).month_start - timedelta(seconds=1))

    body = usage(auth_client)
    minutes = round((spoken_seconds(100) + 26.0) / 60, 2)
    assert body["plan"] == {"name": "Free", "slug": "free", "max_in_flight": 1}
    assert VideoGenerationJob.objects.get(pk=queued).status == JobStatus.QUEUED
    assert {name: (item["limit"], item["used"], item["remaining"]) for name, item in body["limits"].items()} == {
        "concurrent_jobs": (5, 1, 4),  # the override
        "jobs_per_day": (10, 2, 8),
        "video_minutes_per_month": (10, minutes, round(10 - minutes, 2)),
        "script_characters": (1500, None, None),
        "retries_per_job": (2, None, None),
    }
    assert 0.9 < minutes < 1.1
    assert JobCharge.objects.filter(status=ChargeStatus.REFUNDED).count() == 1


def test_remaining_never_goes_below_zero(auth_client, user, generate):
    generate(script=words(300))  # over a minute and a half
    UserPlan.objects.filter(user=user).update(video_minutes_per_month=1)
    minutes = usage(auth_client)["limits"]["video_minutes_per_month"]
    assert (minutes["limit"], minutes["used"], minutes["remaining"]) == (1, round(spoken_seconds(300) / 60, 2), 0)
    assert minutes["used"] > 1


def test_staff_see_each_users_plan_and_usage_in_the_admin(staff_browser, user, other_user, generate):
    UserPlan.objects.filter(user=user).update(plan=Plan.objects.get(slug="pro"))
    generate(script=words(150))
    generate()
    page = staff_browser.get("/admin/ai_studio/userusage/", {"user_plan__plan__id__exact":
                                                             Plan.objects.get(slug="pro").pk})
    assert page.status_code == 200
    [row] = page.context["cl"].result_list
    assert (row, row.active_jobs, row.jobs_today) == (user, 2, 2)
    assert row.seconds_this_month == pytest.approx(spoken_seconds(150) + spoken_seconds(3))
    assert "Pro" in page.content.decode()
    assert staff_browser.get("/admin/ai_studio/userusage/", {"q": other_user.email}).context["cl"].result_count == 1
    assert staff_browser.get("/admin/ai_studio/jobcharge/").status_code == 200


@pytest.mark.parametrize(("now", "day_end", "month_end"), [
    (datetime(2025, 3, 14, 15, 9, tzinfo=UTC), datetime(2025, 3, 15, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),
    (datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC),
     datetime(2024, 3, 1, tzinfo=UTC)),
    (datetime(2025, 12, 31, 23, 0, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    # 23:30 in New York on 31 January is already 1 February in UTC.
    (datetime(2025, 1, 31, 23, 30, tzinfo=timezone.get_fixed_timezone(-300)), datetime(2025, 2, 2, tzinfo=UTC),
     datetime(2025, 3, 1, tzinfo=UTC)),
])
def test_days_and_months_are_utc_calendar_periods(now, day_end, month_end):
    periods = periods_at(now)
    assert (periods.day_end, periods.month_end) == (day_end, month_end)
    assert periods.day_start == day_end - timedelta(days=1)
    assert periods.month_start == (month_end - timedelta(days=1)).replace(day=1)
