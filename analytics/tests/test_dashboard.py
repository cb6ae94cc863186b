"""The staff dashboard at /admin/analytics/dashboard/: staff only, charts drawn on the server."""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from ai_studio.models import JobStatus
from analytics import charts

from .conftest import record_on
from .factories import GeneratedVideoFactory, JobFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/analytics/dashboard/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def activity(user):
    for seconds in (10, 20, 30):
        JobFactory(owner=user, status=JobStatus.COMPLETED, total_seconds=seconds)
    JobFactory(owner=user, status=JobStatus.FAILED, error_code="render_timeout")
    video = GeneratedVideoFactory(owner=user, title="Most watched reel")
    record_on(timezone.localdate(), video, [("view", "a"), ("view", "b")])


def test_staff_see_every_chart(staff_user, activity):
    response = logged_in(staff_user).get(DASHBOARD)

    assert response.status_code == 200
    html = response.content.decode()
    titles = re.findall(r'<svg class="chart"[^>]*aria-label="([^"]+)"', html)
    assert titles == ["Generation jobs per day, by status", "Generation time per day (completed jobs)",
                      "Top failure reasons", "Top videos by views", "Queue depth (messages waiting)"]
    assert "render_timeout" in html
    assert "Most watched reel" in html
    assert 'id="active-workers"' in html
    assert "cdn" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing loaded from another host


def test_the_dashboard_is_not_for_regular_users_or_visitors(user):
    for client in (Client(), logged_in(user)):
        response = client.get(DASHBOARD)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_without_a_redis_broker_queue_depth_is_not_available(staff_user, settings):
    settings.CELERY_BROKER_URL = "filesystem://"

    html = logged_in(staff_user).get(DASHBOARD).content.decode()

    assert "Queue depth <strong>n/a</strong>" in html


# --- Charts ---------------------------------------------------------------------------------
def test_bars_are_scaled_to_a_round_axis_maximum():
    svg = charts.stacked_bar_chart(title="Jobs", labels=["a", "b"], unit="jobs", series=[
        charts.Series("completed", [3, 7], "#0f0"), charts.Series("failed", [0, 1], "#f00")])

    assert svg.startswith('<svg class="chart"')
    assert svg.count('class="bar"') == 3  # a zero-height segment is not drawn
    assert ">10</text>" in svg  # 8 jobs at most → the axis tops out at 10


def test_line_charts_break_where_a_day_has_no_value():
    svg = charts.line_chart(title="Time", labels=["a", "b", "c", "d"], unit="s",
                            series=[charts.Series("p50", [1, 2, None, 4], "#00f")])

    assert svg.count("<polyline") == 1  # a, b joined; d alone is a dot
    assert svg.count("<circle") == 3


def test_labels_are_escaped():
    svg = charts.horizontal_bar_chart(title="Top <videos>", items=[("<script>alert(1)</script>", 3)])

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_empty_charts_say_so():
    assert "No data yet" in charts.horizontal_bar_chart(title="Failures", items=[])
    assert "No data yet" in charts.line_chart(title="Time", labels=["a"], series=[charts.Series("p50", [None], "#000")],
                                              unit="s")


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (0.3, 0.5), (7, 10), (10, 10), (11, 20), (480, 500)])
def test_nice_ceiling(value, ceiling):
    assert charts.nice_ceiling(value) == ceiling


def test_the_analytics_admin_section_links_to_the_dashboard(staff_user):
    response = logged_in(staff_user).get("/admin/analytics/")

    assert response.status_code == 200
    assert f'href="{DASHBOARD}"' in response.content.decode()
