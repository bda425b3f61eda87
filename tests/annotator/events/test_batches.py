"""Batched delivery: one connection, a constant number of queries per batch, the same
order, retry and disable rules as one by one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.events import webhooks
from annotator.events.endpoints import endpoint_create
from annotator.events.services import record_event
from annotator.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(lead, receiver, secret, fast_retries):
    return endpoint_create(user=lead, url=receiver.url, secret=secret)


def record(n: int) -> list[int]:
    document = DocumentFactory()
    return [record_event("annotation.created", {"n": i}, document=document).pk for i in range(n)]


def batch_queries(endpoint_id: int) -> tuple[int, int]:
    """(events that arrived, queries) of one batch under the drainer's lease."""
    token = webhooks.lease_take(endpoint_id)
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    with CaptureQueriesContext(connection) as queries:
        arrived, _ = webhooks._deliver_batch(endpoint, token)
    webhooks._lease_release(endpoint_id, token)
    return arrived, len(queries)


@pytest.mark.parametrize("count", [3, 60])
def test_a_batch_costs_the_same_queries_whatever_its_size(endpoint, receiver, count):
    ids = record(count)
    arrived, queries = batch_queries(endpoint.pk)
    assert arrived == count
    # events, deliveries tried before, new deliveries; then in one transaction (savepoint
    # and release inside the test's transaction): attempts, deliveries, endpoint.
    assert queries == 8
    assert receiver.event_ids() == ids
    assert WebhookAttempt.objects.filter(ok=True).count() == count
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("succeeded", 1)}
    endpoint.refresh_from_db()
    assert endpoint.cursor == ids[-1]


def test_batch_size_bounds_a_batch_and_the_drain_goes_on(endpoint, receiver, settings):
    settings.WEBHOOK_BATCH_SIZE = 4
    ids = record(10)
    assert webhooks.endpoint_drain(endpoint.pk) == 10
    assert receiver.event_ids() == ids
    assert len(set(receiver.requests)) == len(receiver.requests) == 10  # each once


def test_a_failure_inside_a_batch_keeps_what_arrived_and_stops(endpoint, receiver):
    ids = record(5)
    receiver.fail_ids = {f"evt_{ids[2]}"}
    assert webhooks.endpoint_drain(endpoint.pk) == 2
    assert receiver.requests == [f"evt_{i}" for i in ids[:3]]  # nothing after the failure
    endpoint.refresh_from_db()
    assert (endpoint.cursor, endpoint.failures) == (ids[1], 1)
    assert endpoint.failing_since is not None and endpoint.next_attempt_at is not None
    failed = WebhookDelivery.objects.get(event_id=ids[2])
    assert (failed.status, failed.attempts) == ("pending", 1)
    receiver.fail_ids = set()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(next_attempt_at=None)
    assert webhooks.endpoint_drain(endpoint.pk) == 3
    assert receiver.event_ids() == ids
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("succeeded", 2)
    endpoint.refresh_from_db()
    assert (endpoint.failures, endpoint.failing_since) == (0, None)


def test_connection_is_reused_across_a_batch(endpoint, receiver):
    record(20)
    webhooks.endpoint_drain(endpoint.pk)
    assert len(receiver.event_ids()) == 20
    assert receiver.connections_opened == 1
