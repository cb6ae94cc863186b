"""Fair queueing: a user's jobs reach the render queue at most their plan's `max_in_flight` at a time;
the rest wait in the database (held) and are released as slots free up — at once when one of the
user's jobs ends, and by every dispatcher round, round-robin across users. Releases are exactly once
(the owner's plan-row lock) and nothing is lost if the dispatcher dies between releasing and sending.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Plan, UserPlan
from ai_studio.events import job_changed_on_commit
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.services import dispatch, execution
from ai_studio.services import jobs as job_service
from ai_studio.tests.catalog.factories import GenerationJobFactory
from testkit.concurrency import run_at_once

pytestmark = pytest.mark.django_db

ROWS = [{"name": f"Store {n}"} for n in range(10)]


@pytest.fixture
def share(user):
    """Set the share of the workers (max_in_flight) of `user`'s plan (other users keep theirs)."""

    def apply(max_in_flight: int, who=None):
        plan = Plan.objects.create(name=f"Share {max_in_flight} {who or user}", slug=f"share-{(who or user).pk}",
                                   max_in_flight=max_in_flight)
        UserPlan.objects.filter(user=who or user).update(plan=plan)

    return apply


@pytest.fixture
def post_batch(auth_client, avatar, voice):
    def post(client=None, rows=ROWS):
        return (client or auth_client).post("/api/ai-studio/batches", {
            "script": "Hi {{name}}.", "settings": {"avatar_id": avatar.pk, "voice_id": voice.pk}, "rows": rows,
        }, format="json")

    return post


def released(owner) -> list[int]:
    """The batch rows of the owner's released jobs (queued with a slot, or rendering)."""
    return sorted(VideoGenerationJob.objects.filter(dispatch.IN_FLIGHT, owner=owner)
                  .values_list("batch_row", flat=True))


def finish(job_id, owner_id, status=JobStatus.COMPLETED):
    """What the worker does when a job ends: the final status, then `job_changed` after commit."""
    VideoGenerationJob.objects.filter(pk=job_id).update(status=status, completed_at=timezone.now())
    job_changed_on_commit(job_id, owner_id, status)


def test_a_batch_releases_only_the_plans_share_and_holds_the_rest(post_batch, share, user):
    share(2)
    assert post_batch().status_code == 202
    assert released(user) == [0, 1]  # the oldest rows first
    assert VideoGenerationJob.objects.filter(dispatch.HELD, owner=user).count() == 8


def test_another_users_job_is_released_at_once_whatever_the_first_user_queued(post_batch, share, user, generate,
                                                                               other_client, other_user):
    share(2)
    post_batch()
    job_id = generate(client=other_client).json()["id"]
    assert VideoGenerationJob.objects.get(pk=job_id).released_at is not None


def test_a_job_that_ends_hands_its_slot_to_the_owners_next_held_job_at_once(
        post_batch, share, user, django_capture_on_commit_callbacks):
    share(2)
    post_batch()
    first = VideoGenerationJob.objects.get(owner=user, batch_row=0)
    with django_capture_on_commit_callbacks(execute=True):
        finish(first.pk, user.pk)
    assert released(user) == [1, 2]
    with django_capture_on_commit_callbacks(execute=True):
        finish(VideoGenerationJob.objects.get(owner=user, batch_row=1).pk, user.pk, JobStatus.FAILED)
    assert released(user) == [2, 3]


def test_a_dispatcher_round_releases_every_waiting_users_slots_round_robin(share, user, other_user):
    share(2)
    share(1, who=other_user)
    for row in range(4):
        GenerationJobFactory(owner=user, batch_row=row)
        GenerationJobFactory(owner=other_user, batch_row=row)

    waiting = dispatch.owners_waiting()
    ordered = dispatch.round_robin([dispatch.release_held_jobs(owner_id) for owner_id in waiting])

    assert waiting == [user.pk, other_user.pk]  # the user whose held job waits longest first
    assert [VideoGenerationJob.objects.get(pk=pk).owner_id for pk in ordered] == [user.pk, other_user.pk, user.pk]
    assert dispatch.release_held_jobs(user.pk) == [] and dispatch.release_held_jobs(other_user.pk) == []
    assert dispatch.owners_waiting() == []  # both shares are full: the next round has nothing to do
    VideoGenerationJob.objects.filter(pk=ordered[1]).update(status=JobStatus.COMPLETED)
    assert dispatch.owners_waiting() == [other_user.pk]


def test_held_jobs_are_never_sent_and_a_released_one_the_dispatcher_died_before_sending_is(share, user):
    share(1)
    sent_before_dying = GenerationJobFactory(owner=user)
    held = GenerationJobFactory(owner=user)
    [job_id] = dispatch.release_held_jobs(user.pk)  # the slot is a committed fact ...
    assert job_id == sent_before_dying.pk
    # ... and the dispatcher died before sending it: the grace for the request's own send passes.
    VideoGenerationJob.objects.filter(pk=job_id).update(updated_at=timezone.now() - timedelta(minutes=1))
    VideoGenerationJob.objects.filter(pk=held.pk).update(updated_at=timezone.now() - timedelta(minutes=1))

    to_send = set(dispatch.jobs_to_send(broker_forgot=False).values_list("pk", flat=True))
    assert to_send == {sent_before_dying.pk}
    assert set(dispatch.jobs_to_send(broker_forgot=True).values_list("pk", flat=True)) == {sent_before_dying.pk}


def test_a_retried_job_waits_its_turn_again(share, user):
    share(1)
    running = GenerationJobFactory(owner=user, status=JobStatus.PROCESSING, released_at=timezone.now())
    failed = GenerationJobFactory(owner=user, status=JobStatus.FAILED, released_at=timezone.now())
    job_service.retry_job(failed)
    failed.refresh_from_db()
    assert failed.status == JobStatus.QUEUED and failed.released_at is None  # the running job holds the one slot
    VideoGenerationJob.objects.filter(pk=running.pk).update(status=JobStatus.COMPLETED)
    assert dispatch.release_held_jobs(user.pk) == [failed.pk]


def test_a_message_for_a_held_job_does_not_start_it_outside_its_owners_share(share, user):
    """A message sent before the job was retried (e.g. redelivered by the broker) reaches a worker
    while the job is back in line: the worker leaves it; it starts once it is released."""
    share(1)
    running = GenerationJobFactory(owner=user, status=JobStatus.PROCESSING, heartbeat_at=timezone.now(),
                                   released_at=timezone.now())
    held = GenerationJobFactory(owner=user)  # queued, released_at null: waiting for the slot

    job, _ = execution.claim(held.pk)
    assert job is None
    held.refresh_from_db()
    assert (held.status, held.attempts, held.lease_token) == (JobStatus.QUEUED, 0, None)

    VideoGenerationJob.objects.filter(pk=running.pk).update(status=JobStatus.COMPLETED)
    assert dispatch.release_held_jobs(user.pk) == [held.pk]
    job, token = execution.claim(held.pk)
    assert job is not None and job.status == JobStatus.PROCESSING and job.lease_token == token


@pytest.mark.django_db(transaction=True)
def test_concurrent_releases_of_one_user_never_hand_out_more_than_the_share(share, user):
    share(3)
    for row in range(12):
        GenerationJobFactory(owner=user, batch_row=row)
    results = run_at_once(lambda _: dispatch.release_held_jobs(user.pk), 6)

    handed_out = [job_id for job_ids in results for job_id in job_ids]
    assert len(handed_out) == len(set(handed_out)) == 3
    assert released(user) == [0, 1, 2]


def test_staff_see_the_queues_autoscaling_signals(post_batch, share, user, staff_user, make_client, auth_client):
    share(2)
    post_batch()
    VideoGenerationJob.objects.filter(owner=user, batch_row=0).update(status=JobStatus.PROCESSING)

    body = make_client(staff_user).get("/api/ai-studio/queue-status").json()

    assert {key: body[key] for key in ("held", "released_waiting", "processing", "users_waiting")} == {
        "held": 8, "released_waiting": 1, "processing": 1, "users_waiting": 1}
    assert "render_queue_depth" in body
    assert auth_client.get("/api/ai-studio/queue-status").status_code == 403


def test_a_users_only_job_in_flight_is_marked_to_go_ahead_of_others_second_ones(share, user):
    share(2)
    for row in range(3):
        GenerationJobFactory(owner=user, batch_row=row)

    first = dispatch.release_held_jobs(user.pk)
    assert len(first) == 2 and first.first_in_flight  # the first of them is sent ahead
    VideoGenerationJob.objects.filter(pk=first[0]).update(status=JobStatus.COMPLETED)
    second = dispatch.release_held_jobs(user.pk)
    assert len(second) == 1 and not second.first_in_flight  # the user still has one in flight
