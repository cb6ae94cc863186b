"""Every job change is published to its owner with the job as GET generation-status shows it."""
import pytest

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
