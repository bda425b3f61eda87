"""Celery entry points of event delivery: ids in, one call into webhooks.py.

The worker also runs the sweep in a thread (every WEBHOOK_SWEEP_SECONDS): it delivers
whatever is due straight from the outbox, so events committed while the broker was down,
and retries whose time has come, go out without any queued message and without celery beat;
hourly it also prunes what retention allows (retention.py).
"""

from __future__ import annotations

import logging
import threading
import time

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections

from annotator.enqueue import (
    EVENTS_DISPATCH,
    EVENTS_PRUNE,
    EVENTS_SWEEP,
    WEBHOOK_DELIVERY_SEND_AGAIN,
    WEBHOOK_TEST_SEND,
)
from annotator.events import retention, webhooks

logger = logging.getLogger(__name__)


@shared_task(name=EVENTS_DISPATCH)
def events_dispatch() -> int:
    """Queued after a commit that recorded events: deliver what is due, endpoint by endpoint
    (an endpoint another worker is draining is skipped; it picks up the new events)."""
    return webhooks.events_sweep()


@shared_task(name=EVENTS_SWEEP)
def events_sweep() -> int:
    """The same, for a scheduler (celery beat, cron) when the worker's sweep is off."""
    return webhooks.events_sweep()


@shared_task(name=EVENTS_PRUNE)
def events_prune() -> dict[str, int]:
    """Retention, for a scheduler; the worker's sweep thread also runs it hourly."""
    return vars(retention.events_prune())


@shared_task(name=WEBHOOK_TEST_SEND)
def webhook_test_send(endpoint_id: int) -> None:
    webhooks.endpoint_test_send(endpoint_id=endpoint_id)


@shared_task(name=WEBHOOK_DELIVERY_SEND_AGAIN)
def webhook_delivery_send_again(delivery_id: int) -> None:
    webhooks.delivery_send_again(delivery_id=delivery_id)


_stop = threading.Event()


def _sweep_forever(interval: float) -> None:
    while not _stop.wait(interval):
        try:
            close_old_connections()
            webhooks.events_sweep()
            retention.events_prune_if_due(time.monotonic())
        except Exception:  # a database hiccup: log it and try again next round
            logger.exception("Event sweep failed")


@worker_ready.connect
def start_sweep(**kwargs) -> None:
    interval = settings.WEBHOOK_SWEEP_SECONDS
    if interval > 0:
        _stop.clear()
        threading.Thread(
            target=_sweep_forever, args=(interval,), name="event-sweep", daemon=True
        ).start()


@worker_shutdown.connect
def stop_sweep(**kwargs) -> None:
    _stop.set()
