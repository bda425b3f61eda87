"""A real worker delivers webhooks to a real receiver on 127.0.0.1 that verifies signatures.

The receiver is down, then answers 500, then is slow, then recovers: every event arrives
exactly once and in order. Changes made while the broker cannot be reached lose nothing: the
worker's sweep finds their events in the outbox.
"""

import contextlib
import time

import pytest
from django.db import transaction

from annotator.annotations.services import annotation_create, annotation_update
from annotator.celery import app
from annotator.events.endpoints import endpoint_create, secret_new
from annotator.models import Event, WebhookAttempt
from annotator.review.services import assignment_mark_done
from annotator.suggestions.decisions import suggestion_accept
from tests.annotator.events.receiver import Receiver
from tests.annotator.workers import Workers, purge_queues
from tests.factories import DocumentFactory, SuggestionFactory, UserFactory

WORKER_ENV = {
    "FETCH_ALLOW_PRIVATE": "1",
    "WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "WEBHOOK_RETRY_MAX_SECONDS": "1",
    "WEBHOOK_SWEEP_SECONDS": "0.5",
    "WEBHOOK_TIMEOUT": "2",
}


@contextlib.contextmanager
def broker_unreachable():
    """Publishing from this process fails as it does when the broker is down."""
    saved = app.conf.broker_url, app.conf.broker_write_url
    app.conf.broker_url = app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_write_url = saved
        app._pool = None
        app.amqp._producer_pool = None


def wait_for(condition, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _tag(document, user, word: str):
    start = document.text.index(word)
    return annotation_create(
        document=document, created_by=user, start=start, end=start + len(word), label="sourced"
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_every_event_once_in_order_through_outages(tmp_path, monkeypatch, settings, caplog):
    settings.FETCH_ALLOW_PRIVATE = True
    for name, value in WORKER_ENV.items():
        monkeypatch.setenv(name, value)
    lead = UserFactory(username="lena", role="lead")
    reviewer = UserFactory(username="rita", role="reviewer")
    secret = secret_new()
    receiver = Receiver(secret)
    endpoint = endpoint_create(user=lead, url=receiver.url, secret=secret)
    document = DocumentFactory()
    purge_queues()
    workers = Workers(tmp_path)
    workers.start()
    try:
        receiver.stop()  # down
        annotation = _tag(document, reviewer, "Officials")
        annotation_update(annotation=annotation, user=reviewer, version=1, note="checked")
        assert wait_for(lambda: WebhookAttempt.objects.filter(ok=False).exists()), workers.logs()
        receiver.start()
        receiver.mode = "fail"  # up, answering 500
        suggestion_accept(suggestion=SuggestionFactory(document=document), user=reviewer)
        assert wait_for(lambda: len(receiver.requests) >= 2), workers.logs()
        receiver.mode, receiver.slow_seconds = "slow", 0.5  # slow, within the timeout
        with broker_unreachable(), transaction.atomic():
            _tag(document, reviewer, "troops")  # committed; its dispatch cannot be queued
        assert "delivery not queued" in caplog.text
        time.sleep(1)
        receiver.mode = "ok"  # recovered
        assignment_mark_done(document=document, reviewer=reviewer)
        expected = list(Event.objects.order_by("id").values_list("id", flat=True))
        assert wait_for(lambda: len(receiver.received) >= len(expected)), (
            receiver.dump() + workers.logs()
        )
        time.sleep(1.5)  # anything sent twice would arrive meanwhile
    finally:
        workers.stop()
        receiver.stop()
    assert len(expected) == 6  # created, updated, created + accepted, created, review.done
    assert receiver.event_ids() == expected
    assert receiver.bad_signatures == 0
    endpoint.refresh_from_db()
    assert endpoint.cursor == expected[-1] and endpoint.failures == 0
    assert WebhookAttempt.objects.filter(ok=False).count() >= 2
