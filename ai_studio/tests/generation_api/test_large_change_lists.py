"""The jobs and videos change lists cost the same whatever the size of the table: no full-table
count, no filter that reads every row (reelmate.admin_mixins.LargeTableAdminMixin)."""
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ai_studio.models import JobStatus
from ai_studio.tests.catalog.factories import GeneratedVideoFactory, GenerationJobFactory

pytestmark = pytest.mark.django_db

JOBS, VIDEOS = "/admin/ai_studio/videogenerationjob/", "/admin/ai_studio/generatedvideo/"


@pytest.fixture(autouse=True)
def fresh_filter_values():
    cache.clear()


def reads_whole_table(sql: str, table: str) -> bool:
    """A count or DISTINCT over `table` without a LIMIT inside: it reads every row."""
    sql = sql.upper()
    return table.upper() in sql and ("COUNT(" in sql or "DISTINCT" in sql) and "LIMIT" not in sql


@pytest.mark.parametrize("path,table", [(JOBS, "ai_studio_videogenerationjob"),
                                        (VIDEOS, "ai_studio_generatedvideo")])
def test_a_change_list_page_reads_no_whole_table(staff_browser, user, path, table):
    for _ in range(3):
        job = GenerationJobFactory(owner=user, status=JobStatus.FAILED, error_code="speech_failed",
                                   speech_provider="local")
        GeneratedVideoFactory(owner=user, job=job)
    with CaptureQueriesContext(connection) as captured:
        page = staff_browser.get(path)
    assert page.status_code == 200
    assert not [query["sql"] for query in captured if reads_whole_table(query["sql"], table)]
    assert "3 results" in page.content.decode() or "3 generat" in page.content.decode()


def test_the_error_code_filter_offers_the_codes_in_use_and_filters(staff_browser, user):
    GenerationJobFactory(owner=user, title="Speechless", status=JobStatus.FAILED, error_code="speech_failed")
    GenerationJobFactory(owner=user, title="Unrendered", status=JobStatus.FAILED, error_code="render_failed")
    GenerationJobFactory(owner=user, title="Fine")
    page = staff_browser.get(JOBS).content.decode()
    assert "?error_code=render_failed" in page and "?error_code=speech_failed" in page
    filtered = staff_browser.get(JOBS, {"error_code": "render_failed"}).content.decode()
    assert "Unrendered" in filtered and "Speechless" not in filtered and "Fine" not in filtered


def test_the_speech_provider_and_codec_filters(staff_browser, user):
    GenerationJobFactory(owner=user, title="Spoken locally", speech_provider="local")
    GenerationJobFactory(owner=user, title="Spoken by OpenAI", speech_provider="openai")
    page = staff_browser.get(JOBS, {"speech_provider": "local"}).content.decode()
    assert "Spoken locally" in page and "Spoken by OpenAI" not in page
    GeneratedVideoFactory(owner=user, title="An H.264 reel", video_codec="h264")
    GeneratedVideoFactory(owner=user, title="An HEVC reel", video_codec="hevc")
    page = staff_browser.get(VIDEOS).content.decode()
    assert "?video_codec=hevc" in page
    page = staff_browser.get(VIDEOS, {"video_codec": "hevc"}).content.decode()
    assert "An HEVC reel" in page and "An H.264 reel" not in page
