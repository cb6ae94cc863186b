"""Every job (batch) change is published to its owner with the job as GET generation-status (the
batch as GET batches/:id) shows it."""
import pytest

from ai_studio.live import batch_state
from ai_studio.models import VideoGenerationJob
from ai_studio.services import execution
from reelmate.live import store

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_job_change_is_published_with_the_job_as_the_status_endpoint_shows_it(generate, auth_client):
    job_id = generate(script="Published as it happens.").json()["id"]
    assert execution.execute_job(job_id).status == "completed"

    events = [event.envelope for event in store.events_after("job", job_id, 0)]
    kinds = [event["kind"] for event in events]
    assert kinds[:2] == ["queued", "started"] and kinds[-1] == "completed" and "progress" in kinds
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert {event["id"] for event in events} == {job_id} and {event["stream"] for event in events} == {"job"}

    polled = auth_client.get(f"/api/ai-studio/generation-status/{job_id}").json()
    completed = events[-1]["data"]
    assert completed["status_url"].endswith(f"/api/ai-studio/generation-status/{job_id}")
    assert completed["video"]["urls"].keys() == polled["video"]["urls"].keys()
    assert {k: v for k, v in completed.items() if k not in ("status_url", "video")} == \
        {k: v for k, v in polled.items() if k not in ("status_url", "video")}


def test_the_sse_endpoint_is_owner_scoped_and_under_wsgi_sends_the_current_state(generate, auth_client, other_client):
    job_id = generate().json()["id"]
    assert other_client.get(f"/api/ai-studio/generation-status/{job_id}/events").status_code == 404

    response = auth_client.get(f"/api/ai-studio/generation-status/{job_id}/events", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("retry: 3000\n\n") and "id: 1\n" in body and '"kind":"snapshot"' in body


def test_each_batch_change_is_published_with_the_batch_as_its_endpoint_shows_it(auth_client, avatar, voice, user):
    body = {"script": "Hi {{city}}.", "settings": {"avatar_id": avatar.pk, "voice_id": voice.pk},
            "rows": [{"city": "Leeds"}, {"city": "York"}]}
    batch_id = auth_client.post("/api/ai-studio/batches", body, format="json").json()["id"]
    for job_id in VideoGenerationJob.objects.filter(batch_id=batch_id).values_list("pk", flat=True):
        assert execution.execute_job(job_id).status == "completed"

    events = [event.envelope for event in store.events_after("batch", batch_id, 0)]
    assert [event["kind"] for event in events] == ["created", "progress", "completed"]
    assert [event["data"]["counts"]["completed"] for event in events] == [0, 1, 2]
    assert events[-1]["data"]["status"] == "finished" and events[-1]["data"]["progress"] == 100
    polled = auth_client.get(f"/api/ai-studio/batches/{batch_id}").json()
    assert {k: v for k, v in events[-1]["data"].items() if k != "jobs_url"} == \
        {k: v for k, v in polled.items() if k != "jobs_url"}
    assert events[-1]["data"]["jobs_url"].endswith(f"/api/ai-studio/batches/{batch_id}/jobs")
    assert batch_state(other_owner_id(user), batch_id) is None  # another user's snapshot is not found


def other_owner_id(user) -> int:
    return user.pk + 1_000_000
