"""Job events (`ai_studio.events.job_changed` after commit, `job_outcome` inside the outcome's
transaction): what live status, webhooks and batches react to."""
from contextlib import contextmanager

import pytest
from django.db import connection

from ai_studio.events import job_changed, job_outcome
from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from ai_studio.services import execution
from ai_studio.services.jobs import cancel_job

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def connected(signal, receiver, name: str):
    """`receiver` listens to `signal` for the block's duration."""
    signal.connect(receiver, dispatch_uid=f"test.{name}")
    try:
        yield
    finally:
        signal.disconnect(dispatch_uid=f"test.{name}")


def render_a_job(generate) -> str:
    """Submit a job and run it in this process; its id once it completed."""
    job_id = generate().json()["id"]
    assert execution.execute_job(job_id).status == "completed"
    return job_id


@pytest.fixture
def events():
    received = []

    def receiver(sender, job_id, owner_id, kind, **kwargs):
        received.append((str(job_id), owner_id, kind))

    with connected(job_changed, receiver, "events"):
        yield received


def test_a_job_reports_queued_started_progress_and_completed_in_order(generate, user, events):
    job_id = generate(script="Events leave the worker as the pipeline reports them.").json()["id"]
    assert execution.execute_job(job_id).status == "completed"
    kinds = [kind for (event_job, owner, kind) in events if event_job == job_id and owner == user.pk]
    assert kinds[:2] == ["queued", "started"]
    assert kinds[-1] == "completed"
    assert kinds.count("progress") >= 3 and set(kinds[2:-1]) == {"progress"}


def test_queued_is_announced_before_the_job_is_sent_so_no_worker_can_report_started_first(generate):
    sent_when_announced = []

    def receiver(sender, job_id, kind, **kwargs):
        if kind == "queued":
            sent_when_announced.append(VideoGenerationJob.objects.get(pk=job_id).dispatched_at)

    with connected(job_changed, receiver, "queued_first"):
        job_id = generate().json()["id"]
    assert sent_when_announced == [None]
    assert VideoGenerationJob.objects.get(pk=job_id).dispatched_at is not None  # sent right after


def test_canceling_a_queued_job_reports_canceled(generate, events):
    job_id = generate().json()["id"]
    assert cancel_job(VideoGenerationJob.objects.get(pk=job_id)).status == JobStatus.CANCELED
    assert [kind for (event_job, _, kind) in events if event_job == job_id] == ["queued", "canceled"]


def test_a_receiver_that_raises_does_not_break_the_job(generate, events):
    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    with connected(job_changed, broken, "broken"):
        job_id = render_a_job(generate)
    assert events[-1] == (job_id, events[-1][1], "completed")


def test_a_completed_job_reports_its_outcome_once_inside_the_transaction_that_records_it(generate, user):
    """`job_outcome` receivers run before the commit: what they write commits with the outcome."""
    seen = []

    def receiver(sender, job_id, owner_id, kind, **kwargs):
        status = VideoGenerationJob.objects.filter(pk=job_id).values_list("status", flat=True).get()
        seen.append((str(job_id), owner_id, kind, status, connection.in_atomic_block))

    with connected(job_outcome, receiver, "outcome"):
        job_id = render_a_job(generate)
    assert seen == [(job_id, user.pk, "completed", JobStatus.COMPLETED, True)]


def test_a_job_outcome_receiver_whose_query_fails_leaves_the_outcome_recorded(generate):
    def broken(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")  # aborts what it runs in: its savepoint

    with connected(job_outcome, broken, "broken_outcome"):
        job_id = render_a_job(generate)
    job = VideoGenerationJob.objects.get(pk=job_id)
    assert job.status == JobStatus.COMPLETED and GeneratedVideo.objects.filter(job_id=job_id).exists()
