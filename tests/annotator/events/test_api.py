"""Webhook endpoints through the API and the admin (leads only)."""

import pytest

from annotator.events import webhooks
from annotator.events.services import record_event
from annotator.models import WebhookEndpoint
from tests.factories import CollectionFactory, DocumentFactory, api_for

pytestmark = pytest.mark.django_db


def test_lead_registers_endpoint_and_sees_deliveries(lead, receiver, fast_retries):
    CollectionFactory(slug="wire")
    api = api_for(lead)
    response = api.post(
        "/api/webhooks/",
        {"url": receiver.url, "event_types": ["annotation.created"], "collection": "wire"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")  # shown in full once
    assert api.get(f"/api/webhooks/{body['id']}/").json()["secret"].endswith("…")
    receiver.webhook.__init__(body["secret"])  # the receiver learns the secret
    document = DocumentFactory(collection=WebhookEndpoint.objects.get().collection)
    event = record_event("annotation.created", {"x": 1}, document=document)
    webhooks.endpoint_drain(body["id"])
    assert receiver.event_ids() == [event.pk]
    rows = api.get(f"/api/webhooks/{body['id']}/deliveries/").json()["results"]
    assert rows[0]["status"] == "succeeded"
    assert rows[0]["attempt_log"][0]["response_code"] == 204


def test_bad_endpoint_input_is_a_400_naming_the_field(lead, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    api = api_for(lead)
    response = api.post("/api/webhooks/", {"url": "http://127.0.0.1:9/"}, format="json")
    assert response.status_code == 400 and "url" in response.json()
    settings.FETCH_ALLOW_PRIVATE = True
    response = api.post(
        "/api/webhooks/", {"url": "http://127.0.0.1:9/", "event_types": ["x"]}, format="json"
    )
    assert response.status_code == 400 and "event_types" in response.json()
    response = api.post("/api/webhooks/", {"url": "not a url"}, format="json")
    assert response.status_code == 400 and "url" in response.json()


def test_reviewers_cannot_touch_webhooks(reviewer):
    api = api_for(reviewer)
    assert api.get("/api/webhooks/").status_code == 403
    assert api.post("/api/webhooks/", {"url": "http://x/"}, format="json").status_code == 403


def test_test_event_is_queued_and_sent(lead, receiver, secret, fast_retries, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from annotator.celery import app

    app.conf.task_always_eager = True
    try:
        api = api_for(lead)
        created = api.post(
            "/api/webhooks/", {"url": receiver.url, "secret": secret}, format="json"
        ).json()
        assert api.post(f"/api/webhooks/{created['id']}/test/").status_code == 202
        assert receiver.received[0]["type"] == "webhook.test"
        delivery = api.get(f"/api/webhooks/{created['id']}/deliveries/").json()["results"][0]
        url = f"/api/webhooks/{created['id']}/deliveries/{delivery['id']}/send-again/"
        assert api.post(url).status_code == 202
        assert len(receiver.received) == 2
    finally:
        app.conf.task_always_eager = False


def test_admin_lists_disabled_endpoints_for_leads(admin_client, lead, fast_retries):
    WebhookEndpoint.objects.create(
        url="http://127.0.0.1:9/",
        secret="whsec_AAAA",
        disabled_at="2026-01-01T00:00Z",
        disabled_reason="failing for a day",
        active=False,
    )
    response = admin_client.get("/admin/annotator/webhookendpoint/")
    assert response.status_code == 200
    assert "failing for a day" in response.content.decode()


def test_admin_creates_endpoint_with_a_secret(admin_client, fast_retries):
    response = admin_client.post(
        "/admin/annotator/webhookendpoint/add/",
        {"url": "http://127.0.0.1:9/hook", "description": "", "secret": "", "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.created_by.is_superuser
