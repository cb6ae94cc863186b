"""Job events (`ai_studio.events.job_changed`): what live status, webhooks and batches react to."""
import pytest

from ai_studio.events import job_changed
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.services import execution
from ai_studio.services.jobs import cancel_job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def events():
    received = []

    def receiver(sender, job_id, owner_id, kind, **kwargs):
        received.append((str(job_id), owner_id, kind))

    job_changed.connect(receiver, dispatch_uid="test.events")
    yield received
    job_changed.disconnect(dispatch_uid="test.events")


def test_a_job_reports_queued_started_progress_and_completed_in_order(generate, user, events):
    job_id = generate(script="Events leave the worker as the pipeline reports them.").json()["id"]
    assert execution.execute_job(job_id).status == "completed"
    kinds = [kind for (event_job, owner, kind) in events if event_job == job_id and owner == user.pk]
    assert kinds[:2] == ["queued", "started"]
    assert kinds[-1] == "completed"
    assert kinds.count("progress") >= 3 and set(kinds[2:-1]) == {"progress"}


def test_canceling_a_queued_job_reports_canceled(generate, events):
    job_id = generate().json()["id"]
    assert cancel_job(VideoGenerationJob.objects.get(pk=job_id)).status == JobStatus.CANCELED
    assert [kind for (event_job, _, kind) in events if event_job == job_id] == ["queued", "canceled"]


def test_a_receiver_that_raises_does_not_break_the_job(generate, events):
    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    job_changed.connect(broken, dispatch_uid="test.broken")
    try:
        job_id = generate().json()["id"]
        assert execution.execute_job(job_id).status == "completed"
    finally:
        job_changed.disconnect(dispatch_uid="test.broken")
    assert events[-1] == (job_id, events[-1][1], "completed")
