"""Retention: events every endpoint has received, and delivery logs, go after N days.

`EVENTS_RETENTION_DAYS` (0 keeps everything). An event is pruned only when it is older than
that and no endpoint, active or disabled, still has it to send (so an endpoint enabled again
resumes without a gap); consumers polling `GET /api/events/` must read within that window.
Attempt logs and finished deliveries older than that go too. Runs from the worker's sweep
thread (at most hourly), the `prune_events` command or the `annotator.events.prune` task;
running it again deletes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotator.events.webhooks import endpoint_events
from annotator.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

CHUNK = 5000


@dataclass
class Pruned:
    events: int = 0
    deliveries: int = 0
    attempts: int = 0


def _still_owed_from() -> int | None:
    """The oldest event id some endpoint still has to send (None: none owes anything)."""
    firsts = [
        first
        for endpoint in WebhookEndpoint.objects.all()
        if (first := endpoint_events(endpoint).values_list("id", flat=True).first()) is not None
    ]
    return min(firsts, default=None)


def events_prune(*, days: float | None = None) -> Pruned:
    days = settings.EVENTS_RETENTION_DAYS if days is None else days
    pruned = Pruned()
    if days <= 0:
        return pruned
    cutoff = timezone.now() - timedelta(days=days)
    pruned.attempts = WebhookAttempt.objects.filter(at__lt=cutoff).delete()[0]
    finished = WebhookDelivery.objects.filter(
        Q(delivered_at__lt=cutoff) | Q(event__isnull=True, created_at__lt=cutoff)
    )
    pruned.deliveries = _chunked(finished)
    old = Event.objects.filter(created_at__lt=cutoff)
    owed = _still_owed_from()
    if owed is not None:
        old = old.filter(id__lt=owed)
    while ids := list(old.values_list("id", flat=True)[:CHUNK]):
        with transaction.atomic():
            deliveries = WebhookDelivery.objects.filter(event_id__in=ids)
            WebhookAttempt.objects.filter(delivery__in=deliveries).delete()
            pruned.deliveries += deliveries.delete()[0]
            pruned.events += Event.objects.filter(id__in=ids).delete()[0]
    return pruned


def _chunked(deliveries) -> int:
    total = 0
    while ids := list(deliveries.values_list("id", flat=True)[:CHUNK]):
        with transaction.atomic():
            WebhookAttempt.objects.filter(delivery_id__in=ids).delete()
            total += WebhookDelivery.objects.filter(id__in=ids).delete()[0]
    return total


_last_run: list[float] = []


def events_prune_if_due(now: float) -> Pruned | None:
    """From the sweep thread: prune at most once an hour."""
    if _last_run and now - _last_run[0] < 3600:
        return None
    _last_run[:] = [now]
    return events_prune()
