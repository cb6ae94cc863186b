"""Deleting an archived campaign while one of its jobs renders: the render completes, and the video
is kept with an empty campaign, like the campaign's other jobs and videos (README)."""
from __future__ import annotations

import threading
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from ai_studio.models import GeneratedVideo, VideoGenerationJob
from ai_studio.services import execution
from ai_studio.tests.catalog import uploads
from ai_studio.tests.catalog.factories import GeneratedVideoFactory, GenerationJobFactory, VoiceFactory
from campaigns.models import Campaign
from campaigns.services import delete_campaign
from campaigns.tests.factories import CampaignFactory

from .test_generation_end_to_end import FAST_RETRIES, SCRIPT, wait_for

pytestmark = pytest.mark.django_db(transaction=True)  # a worker process and threads commit on their own


@pytest.mark.slow
def test_the_render_completes_and_keeps_its_video_with_an_empty_campaign(
        generate, auth_client, user, openai_server, worker_factory):
    voice = VoiceFactory(provider="openai", provider_voice_id="nova", slug="nova")
    logo = default_storage.save("campaign-logos/spring.png", ContentFile(uploads.image_bytes(size=(64, 64))))
    campaign = CampaignFactory(owner=user, brand_logo=logo)
    speech = openai_server.hold_next(path="/audio/speech")
    worker_factory(env=FAST_RETRIES)
    job_id = generate(voice_id=voice.pk, script=SCRIPT, campaign_id=campaign.pk).json()["id"]

    speech.wait_until_held()  # the worker has claimed the job, read its campaign and is speaking
    assert auth_client.patch(f"/api/campaigns/{campaign.pk}", {"status": "archived"}, format="json").status_code == 200
    assert auth_client.delete(f"/api/campaigns/{campaign.pk}").status_code == 204
    assert VideoGenerationJob.objects.get(pk=job_id).campaign_id is None
    speech.release()

    final = wait_for(auth_client, job_id)["last"]
    assert final["status"] == "completed", final["error"]
    assert final["video"]["campaign_id"] is None
    assert GeneratedVideo.objects.get(job_id=job_id).campaign_id is None
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def sessions_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def test_a_delete_racing_a_completion_waits_for_the_video_then_empties_its_campaign(user):
    """The other order: the job is storing its video when the delete comes. The delete waits for the
    video and empties its campaign too; neither fails on the other."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    campaign = CampaignFactory(owner=user, status="archived")
    job = GenerationJobFactory(owner=user, campaign=campaign)
    storing, stored = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def complete() -> None:  # what execution._complete does around its video, paused in between
        try:
            with transaction.atomic():
                campaign_id = execution._current_campaign_id(job)
                storing.set()
                stored.wait(30)
                GeneratedVideoFactory(owner=user, job=job, campaign_id=campaign_id)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def delete() -> None:
        try:
            delete_campaign(Campaign.objects.get(pk=campaign.pk))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    completing = threading.Thread(target=complete)
    completing.start()
    assert storing.wait(30)
    deleting = threading.Thread(target=delete)
    deleting.start()
    deadline = time.monotonic() + 30
    while sessions_waiting_on_a_lock() == 0:  # the delete waits for the completing job...
        assert time.monotonic() < deadline, "the delete did not wait for the job storing its video"
        time.sleep(0.05)
    stored.set()  # ...which stores its video and commits
    completing.join(30)
    deleting.join(30)

    assert errors == []
    assert GeneratedVideo.objects.get(job=job).campaign_id is None
    assert VideoGenerationJob.objects.get(pk=job.pk).campaign_id is None
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
