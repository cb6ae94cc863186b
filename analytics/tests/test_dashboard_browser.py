"""Real-browser checks (Debian's headless Chromium): the staff dashboard renders its charts, and
the share page's own script reports a viewing. Skipped only where /usr/bin/chromium is absent.
"""
from __future__ import annotations

import subprocess
import uuid

import imageio_ffmpeg
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageStat

from ai_studio.models import JobStatus
from analytics.models import VideoDailyStats
from analytics.services import flush_event_buffer

from .chromium import CHROMIUM, Chromium, chromium_available
from .conftest import record_on
from .factories import GeneratedVideoFactory, JobFactory, ShareLinkFactory

pytestmark = [
    pytest.mark.skipif(not chromium_available(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),  # the live server thread must see the rows
]


def session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_staff_dashboard_renders_its_charts_in_a_real_browser(live_server, staff_user, user, tmp_path):
    for seconds, status, code in ((12, JobStatus.COMPLETED, ""), (30, JobStatus.COMPLETED, ""),
                                  (None, JobStatus.FAILED, "tts_timeout"), (None, JobStatus.QUEUED, "")):
        JobFactory(owner=user, status=status, total_seconds=seconds, error_code=code)
    record_on(timezone.localdate(), GeneratedVideoFactory(owner=user, title="Launch reel"), [("view", "a")])

    with Chromium(profile_dir=tmp_path / "profile") as browser:
        page = browser.open(f"{live_server.url}/admin/analytics/dashboard/", cookies=[session_cookie(staff_user)])
        state = page.evaluate("""({
            path: location.pathname,
            heading: document.querySelector('#content h1, h1')?.textContent,
            charts: [...document.querySelectorAll('svg.chart')].map(svg => ({
                title: svg.getAttribute('aria-label'),
                width: svg.getBoundingClientRect().width,
                height: svg.getBoundingClientRect().height,
                marks: svg.querySelectorAll('rect.bar, circle, polyline').length,
            })),
        })""")
        screenshot = page.screenshot()

    assert state["path"] == "/admin/analytics/dashboard/"  # not bounced to the login page
    assert state["heading"] == "Analytics dashboard"
    charts = {chart["title"]: chart for chart in state["charts"]}
    assert set(charts) >= {"Generation jobs per day, by status", "Generation time per day (completed jobs)",
                           "Top failure reasons", "Top videos by views"}
    for chart in charts.values():
        assert chart["width"] > 200 and chart["height"] > 80
    assert charts["Generation jobs per day, by status"]["marks"] >= 3  # completed, failed, queued segments
    assert charts["Top failure reasons"]["marks"] == 1

    path = tmp_path / "dashboard.png"  # kept with the test's tmp dir, for a look after a failure
    path.write_bytes(screenshot)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= 1000 and image.height >= 600
        extremes = ImageStat.Stat(image.convert("L")).extrema[0]
        assert extremes[1] - extremes[0] > 100  # not a blank page


def _tiny_mp4(path) -> None:
    """A 2-second H.264/AAC clip the browser can really play."""
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
                    "-f", "lavfi", "-i", "color=c=orange:s=180x320:d=2:r=15",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    "-movflags", "+faststart", str(path)], check=True, timeout=60)


def test_the_share_page_plays_and_reports_view_play_and_completion(live_server, user, tmp_path):
    clip = tmp_path / "clip.mp4"
    _tiny_mp4(clip)
    with clip.open("rb") as content:
        key = default_storage.save(f"tests/analytics/{uuid.uuid4().hex}/video.mp4", content)
    link = ShareLinkFactory(video=GeneratedVideoFactory(owner=user, video_key=key, duration_seconds=2.0,
                                                        captions_vtt_key=""))

    with Chromium(profile_dir=tmp_path / "profile") as browser:
        page = browser.open(f"{live_server.url}/v/{link.token}")
        page.evaluate("document.getElementById('player').play()", await_promise=True)
        page.wait_until("document.getElementById('player').ended", timeout=20)
        page.wait_until("performance.getEntriesByType('resource')"
                        ".filter(r => r.name.endsWith('/api/analytics/events')).length >= 4")

    flush_event_buffer()
    stats = VideoDailyStats.objects.get(video=link.video)
    assert (stats.views, stats.plays, stats.completes, stats.unique_viewers) == (1, 1, 1, 1)
    assert stats.watch_seconds == 2.0
