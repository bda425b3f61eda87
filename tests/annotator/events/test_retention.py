"""Retention: old delivered events and delivery logs go; anything still owed stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from annotator.events import webhooks
from annotator.events.endpoints import endpoint_create
from annotator.events.retention import events_prune
from annotator.events.services import record_event
from annotator.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def record(n: int) -> list[int]:
    document = DocumentFactory()
    return [record_event("annotation.created", {"n": i}, document=document).pk for i in range(n)]


def age(days: float) -> None:
    """Everything so far happened `days` ago."""
    then = timezone.now() - timedelta(days=days)
    Event.objects.update(created_at=then)
    WebhookDelivery.objects.filter(delivered_at__isnull=False).update(delivered_at=then)
    WebhookDelivery.objects.update(created_at=then)
    WebhookAttempt.objects.update(at=then)


def test_prunes_old_delivered_events_and_logs_once(lead, receiver, secret, fast_retries, settings):
    settings.EVENTS_RETENTION_DAYS = 30
    endpoint = endpoint_create(user=lead, url=receiver.url, secret=secret)
    old = record(3)
    webhooks.endpoint_drain(endpoint.pk)
    webhooks.endpoint_test_send(endpoint_id=endpoint.pk)
    age(31)
    recent = record(2)
    webhooks.endpoint_drain(endpoint.pk)
    pruned = events_prune()
    assert (pruned.events, pruned.deliveries, pruned.attempts) == (3, 4, 4)
    assert list(Event.objects.values_list("id", flat=True)) == recent
    assert WebhookDelivery.objects.count() == WebhookAttempt.objects.count() == 2
    assert not set(old) & set(WebhookDelivery.objects.values_list("event_id", flat=True))
    again = events_prune()  # idempotent
    assert (again.events, again.deliveries, again.attempts) == (0, 0, 0)


def test_keeps_events_an_endpoint_still_owes(lead, receiver, secret, fast_retries):
    endpoint = endpoint_create(user=lead, url=receiver.url, secret=secret)
    ids = record(3)
    receiver.fail_ids = {f"evt_{ids[1]}"}
    webhooks.endpoint_drain(endpoint.pk)  # the first arrives, the second fails
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)  # disabled meanwhile
    age(40)
    pruned = events_prune(days=30)
    assert pruned.events == 1  # only the delivered one
    assert list(Event.objects.values_list("id", flat=True)) == ids[1:]
    assert WebhookDelivery.objects.filter(event_id=ids[1]).exists()  # its attempts' log went
    receiver.fail_ids = set()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=True, next_attempt_at=None)
    assert webhooks.endpoint_drain(endpoint.pk) == 2  # resumes without a gap
    assert receiver.event_ids() == [ids[0], *ids[1:]]


def test_zero_days_keeps_everything_and_the_command_reports(settings, capsys):
    record(2)
    age(400)
    settings.EVENTS_RETENTION_DAYS = 0
    assert events_prune().events == 0
    assert Event.objects.count() == 2
    call_command("prune_events", "--days", "30")
    assert "Deleted 2 events, 0 deliveries, 0 attempts." in capsys.readouterr().out
    assert Event.objects.count() == 0
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="more than 0"):
        call_command("prune_events", "--days", "0")
