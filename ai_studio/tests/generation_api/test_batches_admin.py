"""Staff follow batches in the admin (counts, a link to their jobs) and can cancel one."""
import pytest

from ai_studio.models import BatchStatus, GenerationBatch, JobStatus, VideoGenerationJob
from ai_studio.tests.catalog.factories import GenerationJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(user):
    batch = GenerationBatch.objects.create(owner=user, name="Spring stores", total_jobs=3, script="Hi {{city}}")
    for row, status in enumerate((JobStatus.COMPLETED, JobStatus.QUEUED, JobStatus.QUEUED)):
        GenerationJobFactory(owner=user, batch=batch, batch_row=row, status=status)
    return batch


def test_a_batch_page_shows_its_counts_and_links_to_its_jobs(staff_browser, batch):
    page = staff_browser.get(f"/admin/ai_studio/generationbatch/{batch.pk}/change/").content.decode()
    assert "1 completed" in page and "2 queued" in page
    jobs_url = f"/admin/ai_studio/videogenerationjob/?batch__exact={batch.pk}"
    assert jobs_url in page.replace("&amp;", "&")
    jobs = staff_browser.get(jobs_url)
    assert jobs.status_code == 200 and "3 video generation jobs" in jobs.content.decode()


def test_the_batch_list_filters_and_searches(staff_browser, batch):
    def listed(query: str) -> bool:
        return "Spring stores" in staff_browser.get(f"/admin/ai_studio/generationbatch/?{query}").content.decode()

    assert listed("status=active") and not listed("status=finished") and listed("q=spring")


def test_staff_cancel_a_batch_from_the_list(staff_browser, batch):
    response = staff_browser.post("/admin/ai_studio/generationbatch/", {
        "action": "cancel_batches", "_selected_action": [str(batch.pk)]}, follow=True)
    assert "1 batch(es) canceled." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELED and batch.finished_at is not None
    assert VideoGenerationJob.objects.filter(batch=batch, status=JobStatus.CANCELED).count() == 2
