"""Webhook delivery against a real receiver on 127.0.0.1, in this process (no worker)."""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from annotator.events import webhooks
from annotator.events.endpoints import endpoint_create, endpoint_update
from annotator.events.services import record_event
from annotator.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import CollectionFactory, DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(lead, receiver, secret, fast_retries):
    return endpoint_create(user=lead, url=receiver.url, secret=secret)


def record(n: int, document=None, type="annotation.created") -> list[int]:
    document = document or DocumentFactory()
    return [record_event(type, {"n": i}, document=document).pk for i in range(n)]


def wait_due(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    if endpoint.next_attempt_at:
        time.sleep(max(0.0, (endpoint.next_attempt_at - timezone.now()).total_seconds()))


def test_delivers_signed_events_in_order_and_logs_attempts(endpoint, receiver):
    ids = record(3)
    assert webhooks.endpoint_drain(endpoint.pk) == 3
    assert receiver.event_ids() == ids
    assert receiver.bad_signatures == 0
    first = receiver.received[0]
    assert first["webhook_id"] == f"evt_{ids[0]}"
    assert first["type"] == "annotation.created" and first["data"] == {"n": 0}
    endpoint.refresh_from_db()
    assert endpoint.cursor == ids[-1]
    attempt = WebhookAttempt.objects.first()
    assert attempt.ok and attempt.response_code == 204 and attempt.latency_ms >= 0
    assert webhooks.endpoint_drain(endpoint.pk) == 0  # nothing twice


def test_new_endpoint_gets_only_later_events(lead, receiver, secret, fast_retries):
    record(2)
    endpoint = endpoint_create(user=lead, url=receiver.url, secret=secret)
    later = record(1)
    webhooks.endpoint_drain(endpoint.pk)
    assert receiver.event_ids() == later


def test_500_holds_back_later_events_then_retries_in_order(endpoint, receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.5  # time to look before the retry is due
    ids = record(3)
    receiver.mode = "fail"
    assert webhooks.endpoint_drain(endpoint.pk) == 0
    assert receiver.requests == [f"evt_{ids[0]}"]  # the next events wait their turn
    endpoint.refresh_from_db()
    assert endpoint.failures == 1 and endpoint.next_attempt_at > timezone.now()
    assert webhooks.endpoint_drain(endpoint.pk) == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    receiver.mode = "ok"
    wait_due(endpoint.pk)
    assert webhooks.endpoint_drain(endpoint.pk) == 3
    assert receiver.event_ids() == ids
    attempts = WebhookAttempt.objects.filter(delivery__event_id=ids[0]).order_by("id")
    assert [(a.ok, a.response_code, a.error) for a in attempts] == [
        (False, 500, "HTTP 500"),
        (True, 204, ""),
    ]


def test_receiver_down_then_back(endpoint, receiver):
    ids = record(2)
    receiver.stop()
    webhooks.endpoint_drain(endpoint.pk)
    attempt = WebhookAttempt.objects.get()
    assert attempt.response_code is None and "ConnectionError" in attempt.error
    receiver.start()
    wait_due(endpoint.pk)
    webhooks.endpoint_drain(endpoint.pk)
    assert receiver.event_ids() == ids


def test_slower_than_timeout_is_retried_with_the_same_message_id(endpoint, receiver, settings):
    settings.WEBHOOK_TIMEOUT = 0.3
    [event_id] = record(1)
    receiver.mode, receiver.slow_seconds = "slow", 0.6
    webhooks.endpoint_drain(endpoint.pk)
    assert "No answer within" in WebhookAttempt.objects.get().error
    receiver.mode = "ok"
    wait_due(endpoint.pk)
    webhooks.endpoint_drain(endpoint.pk)
    # The receiver saw the message twice, with one webhook-id: it can drop the repeat.
    assert set(receiver.requests) == {f"evt_{event_id}"}
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_redirect_is_not_followed(endpoint, receiver):
    record(1)
    receiver.mode = "redirect"
    webhooks.endpoint_drain(endpoint.pk)
    assert WebhookAttempt.objects.get().error == "HTTP 302"
    assert len(receiver.requests) == 1  # /elsewhere never asked


def test_endpoint_failing_for_a_day_is_disabled(endpoint, receiver):
    record(1)
    receiver.mode = "fail"
    day_ago = timezone.now() - timedelta(days=1, seconds=1)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=day_ago, failures=10)
    webhooks.endpoint_drain(endpoint.pk)
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at
    assert "HTTP 500" in endpoint.disabled_reason
    receiver.mode = "ok"
    assert webhooks.endpoints_due() == []
    # Enabled again by a lead: resumes where it stopped.
    from annotator.events.endpoints import endpoint_update as update

    update(user=endpoint.created_by, endpoint=endpoint, active=True)
    assert webhooks.endpoint_drain(endpoint.pk) == 1


def test_backoff_grows_to_about_a_day(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 5
    settings.WEBHOOK_RETRY_MAX_SECONDS = 6 * 3600
    delays = [webhooks.backoff_seconds(n) for n in range(1, 12)]
    assert 2.5 <= delays[0] <= 5
    assert all(b > a for a, b in zip(delays[:4], delays[1:5], strict=True))
    assert 18 * 3600 <= sum(delays) <= 36 * 3600
    assert len({webhooks.backoff_seconds(3) for _ in range(5)}) > 1  # jitter


def test_filters_by_type_and_collection(lead, receiver, secret, fast_retries):
    wanted = CollectionFactory(slug="wanted")
    endpoint = endpoint_create(
        user=lead,
        url=receiver.url,
        secret=secret,
        event_types=["review.done"],
        collection=wanted,
    )
    inside = DocumentFactory(collection=wanted)
    record(1, inside, type="annotation.created")
    [done] = record(1, inside, type="review.done")
    record(1, DocumentFactory(), type="review.done")
    webhooks.endpoint_drain(endpoint.pk)
    assert receiver.event_ids() == [done]


def test_lease_keeps_a_second_drainer_out(endpoint, receiver):
    record(1)
    assert webhooks.lease_take(endpoint.pk)
    assert webhooks.endpoint_drain(endpoint.pk) == 0
    assert receiver.requests == []


def test_test_event_and_send_again(endpoint, receiver):
    delivery = webhooks.endpoint_test_send(endpoint_id=endpoint.pk)
    assert delivery.status == "succeeded"
    assert receiver.received[0]["type"] == "webhook.test"
    assert webhooks.delivery_send_again(delivery_id=delivery.pk)
    ids = [m["webhook_id"] for m in receiver.received]
    assert ids == [delivery.message_id, delivery.message_id]
    assert delivery.attempt_log.count() == 2


def test_private_addresses_refused_unless_allowed(lead, settings, secret):
    settings.FETCH_ALLOW_PRIVATE = False
    for url in ["http://127.0.0.1:9/hook", "http://10.0.0.1/hook", "ftp://example.org/"]:
        with pytest.raises(ValidationError) as exc:
            endpoint_create(user=lead, url=url, secret=secret)
        assert "url" in exc.value.message_dict


def test_endpoint_checks(lead, reviewer, fast_retries):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        endpoint_create(user=reviewer, url="http://127.0.0.1:9/")
    with pytest.raises(ValidationError, match="Unknown"):
        endpoint_create(user=lead, url="http://127.0.0.1:9/", event_types=["nope"])
    with pytest.raises(ValidationError, match="whsec_"):
        endpoint_create(user=lead, url="http://127.0.0.1:9/", secret="not base64!")
    endpoint = endpoint_create(user=lead, url="http://127.0.0.1:9/")
    assert endpoint.secret.startswith("whsec_")
    with pytest.raises(ValidationError):
        endpoint_update(user=lead, endpoint=endpoint, cursor=0)
