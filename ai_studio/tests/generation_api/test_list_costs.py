"""What the hot read endpoints cost in queries (a regression shows here), and how the job and video
lists page when they hold more items than are counted exactly (reelmate.api.pagination)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ai_studio.models import GeneratedVideo, JobStage, JobStatus, VideoGenerationJob
from ai_studio.tests.catalog.factories import GeneratedVideoFactory, GenerationJobFactory
from reelmate.api.pagination import CappedCountPaginator

pytestmark = pytest.mark.django_db


def completed_jobs(user, avatar, voice, count):
    """`count` completed jobs with their videos (rows only: listing signs URLs, it reads no file)."""
    jobs = GenerationJobFactory.create_batch(count, owner=user, avatar=avatar, voice=voice,
                                             status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=100)
    for job in jobs:
        GeneratedVideoFactory(owner=user, job=job)
    return jobs


# --- queries ----------------------------------------------------------------------------------
def test_polling_a_completed_job_costs_two_queries(auth_client, user, avatar, voice, django_assert_max_num_queries):
    job = completed_jobs(user, avatar, voice, 1)[0]
    # One for the user and the token's revocation together, one for the job with its video.
    with django_assert_max_num_queries(2):
        body = auth_client.get(f"/api/ai-studio/generation-status/{job.pk}").json()
    assert body["video"]["urls"]["video"]


@pytest.mark.parametrize("path", ["/api/ai-studio/generation-jobs", "/api/ai-studio/generated-videos"])
def test_a_list_page_costs_three_queries_whatever_its_size(auth_client, user, avatar, voice, path,
                                                           django_assert_max_num_queries):
    completed_jobs(user, avatar, voice, 12)
    for page_size in (2, 12):
        # The user with the revocation check, the capped count, the page.
        with django_assert_max_num_queries(3):
            body = auth_client.get(path, {"page_size": page_size}).json()
        assert len(body["results"]) == page_size


@pytest.mark.parametrize("path", ["/api/ai-studio/generation-jobs", "/api/ai-studio/generated-videos"])
@pytest.mark.parametrize("filtered", [False, True])
def test_the_count_reads_a_bounded_number_of_rows(auth_client, user, avatar, voice, path, filtered):
    completed_jobs(user, avatar, voice, 2)
    # A page with a next one needs the count (compiled without a filter, by the ORM with one).
    query = {"page_size": 1, **({"created_after": "2000-01-01T00:00:00Z"} if filtered else {})}
    with CaptureQueriesContext(connection) as captured:
        assert auth_client.get(path, query).json()["count"] == 2
    counts = [query["sql"] for query in captured if "COUNT(" in query["sql"].upper()]
    assert len(counts) == 1
    assert "LIMIT 1001" in counts[0]


@pytest.mark.parametrize("path", ["/api/ai-studio/generation-jobs", "/api/ai-studio/generated-videos"])
@pytest.mark.parametrize("page_size,page,shown", [(3, 1, 3), (20, 1, 3), (2, 2, 1)])
def test_the_last_page_knows_the_count_without_counting(auth_client, user, avatar, voice, path, page_size, page, shown,
                                                       django_assert_max_num_queries):
    completed_jobs(user, avatar, voice, 3)
    # The user with the revocation check, the page: no next page, so the count is what came before it
    # plus its own items.
    with django_assert_max_num_queries(2):
        body = auth_client.get(path, {"page_size": page_size, "page": page}).json()
    assert (body["count"], body["count_is_exact"], len(body["results"])) == (3, True, shown)


def test_filtering_by_status_reads_the_page_straight_from_the_index(auth_client, user, avatar, voice):
    completed_jobs(user, avatar, voice, 2)
    GenerationJobFactory(owner=user, avatar=avatar, voice=voice, status=JobStatus.FAILED)
    with CaptureQueriesContext(connection) as captured:
        body = auth_client.get("/api/ai-studio/generation-jobs", {"status": ["failed", "queued"]}).json()
    assert [item["status"] for item in body["results"]] == ["failed"]
    # No DISTINCT: it would sort every matching job before returning the first page.
    assert not [query["sql"] for query in captured if "DISTINCT" in query["sql"].upper()]


# --- pagination -------------------------------------------------------------------------------
def test_under_the_limit_the_count_is_exact(auth_client, user, avatar, voice):
    completed_jobs(user, avatar, voice, 3)
    body = auth_client.get("/api/ai-studio/generation-jobs", {"page_size": 2}).json()
    assert (body["count"], body["count_is_exact"]) == (3, True)
    assert body["next"] and body["previous"] is None


@pytest.fixture
def small_exact_count_limit(monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "exact_count_limit", 4)


@pytest.mark.parametrize("path,model", [("/api/ai-studio/generation-jobs", VideoGenerationJob),
                                        ("/api/ai-studio/generated-videos", GeneratedVideo)])
def test_past_the_limit_the_count_is_an_estimate_and_every_item_is_still_reached_once(
        auth_client, user, other_user, avatar, voice, small_exact_count_limit, path, model):
    mine = {str(job.pk) if model is VideoGenerationJob else str(job.video.pk)
            for job in completed_jobs(user, avatar, voice, 7)}
    completed_jobs(other_user, avatar, voice, 2)
    seen, url, pages = [], f"{path}?page_size=3", 0
    while url:
        body = auth_client.get(url).json()
        assert body["count"] >= 5 and body["count_is_exact"] is False
        seen += [item["id"] for item in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert sorted(seen) == sorted(mine)


@pytest.mark.parametrize("path", ["/api/ai-studio/generation-jobs", "/api/ai-studio/generated-videos"])
def test_past_the_limit_a_default_page_counts_its_rows_once_then_estimates(
        auth_client, user, avatar, voice, small_exact_count_limit, path):
    completed_jobs(user, avatar, voice, 7)
    with CaptureQueriesContext(connection) as captured:
        body = auth_client.get(path, {"page_size": 3}).json()
    assert (body["count"] >= 5, body["count_is_exact"]) == (True, False)
    statements = [query["sql"] for query in captured.captured_queries]
    assert len([sql for sql in statements if "COUNT(" in sql.upper()]) == 1
    assert len([sql for sql in statements if sql.upper().startswith("EXPLAIN")]) == 1


def test_a_page_past_the_last_is_not_found(auth_client, user, avatar, voice, small_exact_count_limit):
    completed_jobs(user, avatar, voice, 6)
    last = auth_client.get("/api/ai-studio/generation-jobs", {"page_size": 3, "page": 2})
    assert last.status_code == 200 and last.json()["next"] is None
    past = auth_client.get("/api/ai-studio/generation-jobs", {"page_size": 3, "page": 3})
    assert past.status_code == 404
    assert past.json()["error"]["code"] == "not_found"


def test_an_empty_list_is_one_empty_page(auth_client):
    body = auth_client.get("/api/ai-studio/generation-jobs").json()
    assert body == {"count": 0, "count_is_exact": True, "next": None, "previous": None, "results": []}


def test_a_page_number_beyond_any_list_is_not_found_rather_than_a_database_error(auth_client, user, avatar, voice):
    completed_jobs(user, avatar, voice, 1)
    for page in (1_000_001, 2**62, 10**30):
        response = auth_client.get("/api/ai-studio/generation-jobs", {"page": page})
        assert response.status_code == 404, page
        assert response.json()["error"]["code"] == "not_found"
