"""`/api/webhooks`: endpoints of one's own (others' are 404), the secret shown once, URLs checked
against SSRF with field errors, the test ping, the delivery log and redelivery."""
from __future__ import annotations

import pytest

from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def create(client, **overrides):
    body = {"url": "http://127.0.0.1:9/hooks", "events": ["job.completed"], "description": "CRM"} | overrides
    return client.post("/api/webhooks", body, format="json")


def test_an_endpoint_is_created_with_a_secret_shown_once(auth_client, loopback):
    response = create(auth_client)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert (body["url"], body["events"], body["enabled"], body["description"]) == (
        "http://127.0.0.1:9/hooks", ["job.completed"], True, "CRM")

    shown = auth_client.get(f"/api/webhooks/{body['id']}").json()
    assert "secret" not in shown and shown["id"] == body["id"]
    assert "secret" not in auth_client.get("/api/webhooks").json()["results"][0]


def test_the_list_holds_only_ones_own_endpoints(auth_client, other_client, loopback):
    create(auth_client)
    create(other_client)
    listed = auth_client.get("/api/webhooks").json()
    assert listed["count"] == 1


def test_an_endpoint_is_changed_with_patch_and_deleted(auth_client, loopback):
    endpoint_id = create(auth_client).json()["id"]
    changed = auth_client.patch(f"/api/webhooks/{endpoint_id}", {"events": ["video.shared", "job.failed"],
                                                                  "enabled": False}, format="json")
    assert changed.status_code == 200
    assert changed.json()["events"] == ["job.failed", "video.shared"] and not changed.json()["enabled"]
    assert auth_client.delete(f"/api/webhooks/{endpoint_id}").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_rotating_shows_the_new_secret_and_until_when_the_old_one_signs(auth_client, loopback):
    created = create(auth_client).json()
    rotated = auth_client.post(f"/api/webhooks/{created['id']}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != created["secret"]
    assert rotated.json()["old_secret_signs_until"] is not None


@pytest.mark.parametrize(("url", "fragment"), [
    ("http://127.0.0.1/hooks", "loopback"),
    ("http://localhost:8000/hooks", "loopback"),
    ("http://10.0.0.7/hooks", "private"),
    ("http://192.168.0.10/hooks", "private"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://[fd00:ec2::254]/", "cloud metadata"),
    ("http://[fe80::1]/", "link-local"),
    ("http://224.0.0.251/", "multicast"),
    ("ftp://example.com/hooks", "Only http and https"),
])
def test_an_unsafe_url_is_a_400_naming_the_url(auth_client, url, fragment):
    response = create(auth_client, url=url)
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["url"]
    assert fragment in error["fields"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_changing_the_url_to_an_unsafe_one_is_refused(auth_client, loopback):
    endpoint_id = create(auth_client).json()["id"]
    response = auth_client.patch(f"/api/webhooks/{endpoint_id}", {"url": "http://169.254.169.254/"}, format="json")
    assert response.status_code == 400 and "url" in response.json()["error"]["fields"]


def test_events_must_be_known_and_at_least_one(auth_client, loopback):
    assert create(auth_client, events=["job.exploded"]).json()["error"]["fields"]["events"]
    assert create(auth_client, events=[]).json()["error"]["fields"]["events"]


def test_a_user_has_a_bounded_number_of_endpoints(auth_client, loopback, settings):
    settings.WEBHOOKS_MAX_ENDPOINTS_PER_USER = 2
    assert [create(auth_client).status_code for _ in range(3)] == [201, 201, 409]


def test_another_users_endpoint_is_not_found_whatever_is_asked(auth_client, other_client, loopback):
    endpoint_id = create(other_client).json()["id"]
    delivery = services.send_test(WebhookEndpoint.objects.get(pk=endpoint_id))
    base = f"/api/webhooks/{endpoint_id}"
    answers = [
        auth_client.get(base), auth_client.patch(base, {"enabled": False}, format="json"), auth_client.delete(base),
        auth_client.post(f"{base}/rotate-secret"), auth_client.post(f"{base}/test"),
        auth_client.get(f"{base}/deliveries"), auth_client.post(f"{base}/deliveries/{delivery.pk}/redeliver"),
    ]
    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert WebhookEndpoint.objects.get(pk=endpoint_id).enabled


def test_the_test_ping_is_queued_and_logged(auth_client, endpoint, receiver, run_attempts):
    response = auth_client.post(f"/api/webhooks/{endpoint.pk}/test")
    assert response.status_code == 202
    assert response.json()["event_type"] == "webhook.ping" and response.json()["status"] == "pending"
    assert receiver.received == []  # sent by a task, never from the request
    run_attempts(WebhookDelivery.objects.get(pk=response.json()["id"]))
    body = receiver.verify(receiver.wait_for(1)[0], endpoint.secret)
    assert body == {"type": "webhook.ping", "timestamp": body["timestamp"], "data": {"endpoint_id": str(endpoint.pk)}}


def test_the_delivery_log_shows_each_attempt(auth_client, endpoint, receiver, run_attempts):
    from testkit.webhook_receiver import Reply

    receiver.script(Reply(500, b"down for maintenance"))
    (delivery,) = services.emit_event(endpoint.owner_id, "job.completed", {"job": {"id": "1"}})
    run_attempts(delivery)
    services.send_test(endpoint)

    log = auth_client.get(f"/api/webhooks/{endpoint.pk}/deliveries").json()
    assert log["count"] == 2
    first = log["results"][1]
    assert (first["event_type"], first["status"], first["attempts"]) == ("job.completed", "succeeded", 2)
    assert first["webhook_id"] == delivery.message_id
    assert [(a["number"], a["status_code"], a["response_body"]) for a in first["attempt_log"]] == [
        (1, 500, "down for maintenance"), (2, 200, "ok")]
    assert all(isinstance(a["latency_ms"], int) for a in first["attempt_log"])
    pending = auth_client.get(f"/api/webhooks/{endpoint.pk}/deliveries?status=pending").json()
    assert [d["event_type"] for d in pending["results"]] == ["webhook.ping"]
    assert auth_client.get(f"/api/webhooks/{endpoint.pk}/deliveries?page_size=1").json()["next"]


def test_a_delivery_is_redelivered_through_the_api(auth_client, endpoint, receiver, run_attempts):
    (delivery,) = services.emit_event(endpoint.owner_id, "job.completed", {"job": {"id": "1"}})
    run_attempts(delivery)
    response = auth_client.post(f"/api/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 202
    assert response.json()["status"] == "pending" and response.json()["webhook_id"] == delivery.message_id
    run_attempts(delivery)
    assert [r.webhook_id for r in receiver.wait_for(2)] == [delivery.message_id] * 2


def test_a_delivery_of_another_endpoint_is_not_found(auth_client, make_endpoint):
    first, second = make_endpoint(), make_endpoint()
    delivery = services.send_test(second)
    assert auth_client.post(f"/api/webhooks/{first.pk}/deliveries/{delivery.pk}/redeliver").status_code == 404


def test_a_disabled_endpoint_must_be_enabled_before_redelivering(auth_client, endpoint):
    (delivery,) = services.emit_event(endpoint.owner_id, "job.completed", {})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    services.update_endpoint(endpoint, enabled=False)
    response = auth_client.post(f"/api/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 409 and response.json()["error"]["code"] == "endpoint_disabled"


def test_staff_find_endpoints_and_deliveries_in_the_admin(staff_browser, endpoint):
    services.send_test(endpoint)
    for path in ("/admin/webhooks/webhookendpoint/", "/admin/webhooks/webhookdelivery/"):
        page = staff_browser.get(path, {"q": "127.0.0.1"})
        assert page.status_code == 200 and b"127.0.0.1" in page.content
    assert staff_browser.get("/admin/webhooks/webhookdelivery/", {"status__exact": "pending",
                                                                  "event_type": "webhook.ping"}).status_code == 200
    assert staff_browser.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").status_code == 200
    delivery = WebhookDelivery.objects.get()
    detail = staff_browser.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert detail.status_code == 200 and endpoint.secret.encode() not in detail.content
