"""Webhook delivery: signed (Standard Webhooks), in order per endpoint, retried with backoff.

Each endpoint has a cursor (the last event handed over). One drainer at a time holds an
endpoint's lease (a compare-and-set on the row, so it works on SQLite and PostgreSQL) and
sends the events after the cursor one by one; the cursor moves only after a 2xx. A failure
stops the drain and schedules the next try (exponential backoff with jitter); an endpoint
still failing after WEBHOOK_DISABLE_AFTER_SECONDS is disabled and leads see why in the admin.
A message keeps its `webhook-id` (evt_<event id>) on every try, so a receiver that got it but
whose answer was lost (a timeout) can tell the retry is the same message.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from standardwebhooks import Webhook

from annotator.models import (
    DeliveryStatus,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from corpus import fetching

logger = logging.getLogger(__name__)


def endpoint_events(endpoint: WebhookEndpoint) -> QuerySet[Event]:
    """The events this endpoint still has to receive, oldest first."""
    events = Event.objects.filter(id__gt=endpoint.cursor).order_by("id")
    if endpoint.event_types:
        events = events.filter(type__in=endpoint.event_types)
    if endpoint.collection_id:
        events = events.filter(collection_id=endpoint.collection_id)
    return events


def backoff_seconds(failures: int) -> float:
    """Delay before try `failures + 1`: base x 4^(n-1), capped, with "equal jitter"
    (half fixed, half random). With the defaults (5 s, 6 h cap) tries 1-11 span about a day."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    delay = min(settings.WEBHOOK_RETRY_MAX_SECONDS, base * 4 ** max(0, failures - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def envelope(event: Event) -> str:
    return json.dumps(
        {
            "id": event.pk,
            "type": event.type,
            "version": event.version,
            "timestamp": event.created_at.isoformat(),
            "collection_id": event.collection_id,
            "document_id": event.document_id,
            "data": event.payload,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def send(endpoint: WebhookEndpoint, message_id: str, body: str) -> tuple[int | None, str, int]:
    """One signed POST: (HTTP status or None, error text, latency in ms)."""
    now = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(message_id, now, body),
    }
    began = time.monotonic()
    try:
        code = fetching.post(
            endpoint.url,
            body=body.encode(),
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT,
        )
        error = "" if 200 <= code < 300 else f"HTTP {code}"
    except fetching.FetchError as exc:
        code, error = None, str(exc)
    return code, error, int((time.monotonic() - began) * 1000)


def _log_attempt(delivery: WebhookDelivery, code: int | None, error: str, ms: int) -> bool:
    ok = not error
    WebhookAttempt.objects.create(
        delivery=delivery, ok=ok, response_code=code, latency_ms=ms, error=error[:2000]
    )
    delivery.attempts += 1
    fields = ["attempts"]
    if ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = timezone.now()
        fields += ["status", "delivered_at"]
    delivery.save(update_fields=fields)
    return ok


# Leases ------------------------------------------------------------------------------


def _lease_seconds() -> float:
    return settings.WEBHOOK_TIMEOUT + 30


def lease_take(endpoint_id: int) -> str | None:
    now = timezone.now()
    token = uuid.uuid4().hex
    taken = (
        WebhookEndpoint.objects.filter(pk=endpoint_id, active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=_lease_seconds()), lease_token=token)
    )
    return token if taken else None


def _lease_release(endpoint_id: int, token: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id, lease_token=token).update(
        lease_until=None, lease_token=""
    )


def _due(endpoint: WebhookEndpoint) -> bool:
    return endpoint.active and (
        endpoint.next_attempt_at is None or endpoint.next_attempt_at <= timezone.now()
    )


# Draining ----------------------------------------------------------------------------


def _deliveries_for(endpoint: WebhookEndpoint, events: list[Event]) -> dict[int, WebhookDelivery]:
    """The delivery row of each event (two queries: those tried before, the new ones)."""
    ids = [event.pk for event in events]
    found = {
        d.event_id: d
        for d in WebhookDelivery.objects.filter(endpoint=endpoint, event_id__in=ids).only(
            "id", "event_id", "message_id", "attempts"
        )
    }
    new = [
        WebhookDelivery(endpoint=endpoint, event=event, message_id=f"evt_{event.pk}")
        for event in events
        if event.pk not in found
    ]
    # The lease makes this drainer the only writer of the endpoint's event deliveries.
    for delivery in WebhookDelivery.objects.bulk_create(new):
        found[delivery.event_id] = delivery
    return found


def _deliver_batch(endpoint: WebhookEndpoint, token: str) -> tuple[int, bool]:
    """Send the endpoint's next events in order over the thread's kept-alive connection,
    stopping at the first failure, then log every attempt and move the cursor in one
    transaction: a constant number of queries per batch (WEBHOOK_BATCH_SIZE events at most,
    or what WEBHOOK_BATCH_SECONDS allows). Returns (events that arrived, a try failed)."""
    events = list(endpoint_events(endpoint)[: settings.WEBHOOK_BATCH_SIZE])
    if not events:
        return 0, False
    deliveries = _deliveries_for(endpoint, events)
    results: list[tuple[WebhookDelivery, int | None, str, int]] = []
    stop_at = time.monotonic() + settings.WEBHOOK_BATCH_SECONDS
    for event in events:
        delivery = deliveries[event.pk]
        code, error, ms = send(endpoint, delivery.message_id, envelope(event))
        results.append((delivery, code, error, ms))
        if error or time.monotonic() > stop_at:
            break
    _batch_record(endpoint, token, results)
    failed = bool(results[-1][2])
    return len(results) - failed, failed


def _batch_record(endpoint: WebhookEndpoint, token: str, results: list) -> None:
    now = timezone.now()
    delivered = [delivery for delivery, _, error, _ in results if not error]
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create(
            WebhookAttempt(
                delivery=delivery,
                ok=not error,
                response_code=code,
                latency_ms=ms,
                error=error[:2000],
            )
            for delivery, code, error, ms in results
        )
        tried = WebhookDelivery.objects.filter(pk__in=[d.pk for d, *_ in results])
        tried.update(
            attempts=F("attempts") + 1,
            status=Case(
                When(pk__in=[d.pk for d in delivered], then=Value(DeliveryStatus.SUCCEEDED)),
                default=F("status"),
            ),
            delivered_at=Case(
                When(pk__in=[d.pk for d in delivered], then=Value(now)),
                default=F("delivered_at"),
            ),
        )
        changes: dict = {"lease_until": now + timedelta(seconds=_lease_seconds())}
        if delivered:
            changes.update(
                cursor=delivered[-1].event_id, failures=0, failing_since=None, next_attempt_at=None
            )
        error = results[-1][2]
        if error:
            changes.update(_failure_changes(endpoint, error, now, after_success=bool(delivered)))
        WebhookEndpoint.objects.filter(pk=endpoint.pk, lease_token=token).update(**changes)


def _failure_changes(endpoint: WebhookEndpoint, error: str, now, *, after_success: bool) -> dict:
    """Back off, or disable an endpoint that has been failing for too long."""
    failures = 1 if after_success else endpoint.failures + 1
    since = now if after_success else (endpoint.failing_since or now)
    changes = {
        "failures": failures,
        "failing_since": since,
        "next_attempt_at": now + timedelta(seconds=backoff_seconds(failures)),
    }
    if (now - since).total_seconds() >= settings.WEBHOOK_DISABLE_AFTER_SECONDS:
        changes.update(
            active=False,
            disabled_at=now,
            disabled_reason=(
                f"Disabled after failing since {since:%Y-%m-%d %H:%M} UTC "
                f"({failures} tries); last error: {error}"
            ),
        )
        logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, error)
    return changes


def endpoint_drain(endpoint_id: int, *, max_events: int = 1000) -> int:
    """Deliver what is due for one endpoint, in order; returns how many events arrived.

    Returns at once when another drainer holds the endpoint. After letting go it looks
    again, so an event committed while it was finishing is not left for the sweep.
    """
    sent = 0
    while sent < max_events:
        token = lease_take(endpoint_id)
        if token is None:
            return sent
        try:
            while sent < max_events:
                endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
                if not _due(endpoint):
                    return sent
                arrived, failed = _deliver_batch(endpoint, token)
                sent += arrived
                if failed:  # the retry waits for its time (the sweep), not this call
                    return sent
                if not arrived:
                    break
        finally:
            _lease_release(endpoint_id, token)
        endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
        if endpoint is None or not _due(endpoint) or not endpoint_events(endpoint).exists():
            return sent
    return sent


def endpoints_due() -> list[int]:
    """Active endpoints whose next try is due and that have events waiting."""
    now = timezone.now()
    candidates = WebhookEndpoint.objects.filter(active=True).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return [e.pk for e in candidates if endpoint_events(e).exists()]


def events_sweep() -> int:
    """Deliver every due endpoint's waiting events here (no broker needed)."""
    return sum(endpoint_drain(endpoint_id) for endpoint_id in endpoints_due())


# Leads' actions ------------------------------------------------------------------------


def endpoint_resume(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Enable again and try now, from where it stopped (events are kept, nothing is lost)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=True,
        disabled_at=None,
        disabled_reason="",
        failures=0,
        failing_since=None,
        next_attempt_at=None,
    )
    endpoint.refresh_from_db()
    return endpoint


def delivery_send_again(*, delivery_id: int) -> bool:
    """Send a delivery again now: one still waiting is tried at once in its turn; one
    already delivered (or a test) is sent again as it was. True when it arrived."""
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if delivery.event_id is not None and delivery.event_id > endpoint.cursor:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(next_attempt_at=None)
        endpoint_drain(endpoint.pk)
        delivery.refresh_from_db()
        return delivery.status == DeliveryStatus.SUCCEEDED
    body = envelope(delivery.event) if delivery.event else test_body(delivery.message_id)
    code, error, ms = send(endpoint, delivery.message_id, body)
    return _log_attempt(delivery, code, error, ms)


def test_body(message_id: str) -> str:
    return json.dumps(
        {"id": message_id, "type": "webhook.test", "version": 1, "data": {"test": True}},
        separators=(",", ":"),
    )


def endpoint_test_send(*, endpoint_id: int) -> WebhookDelivery:
    """Send a test message now (outside the event order), logged like any delivery."""
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, message_id=f"test_{uuid.uuid4().hex[:16]}"
    )
    code, error, ms = send(endpoint, delivery.message_id, test_body(delivery.message_id))
    _log_attempt(delivery, code, error, ms)
    return delivery
