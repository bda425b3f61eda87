"""Events benchmark (a script, not a pytest module):

    .venv/bin/python tests/benchmarks/bench_events.py [--creates 400] [--events 10000]

Builds a throwaway test database (SQLite in $DATA_DIR, default /tmp/bench-events-data, or the
PostgreSQL named by DATABASE_URL, as test_<name>), then prints:
- annotation_create (the service, its own transaction): p50/p95 with the event written and
  with event writing switched off, interleaved create by create (target: at most +1 ms p50);
- N events waiting in the outbox, delivered by one real worker (solo pool, the configured
  broker) to a signature-verifying receiver on 127.0.0.1: events per second;
- then --paced events committed at --rate events/s in transactions of 10 while the worker
  delivers: the delay from commit to arrival (p50, p95). One endpoint is delivered in order
  by one drainer at a time, so more workers do not speed up one endpoint (they do several).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATA_DIR", "/tmp/bench-events-data")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402

settings.DEBUG = False
settings.FETCH_ALLOW_PRIVATE = True
os.environ.update(FETCH_ALLOW_PRIVATE="1", WEBHOOK_SWEEP_SECONDS="1")

from django.db import connection, transaction  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def bench_create(count: int) -> None:
    from annotator.annotations import services
    from tests.factories import DocumentFactory, UserFactory

    user = UserFactory(username="bench", role="reviewer")
    text = "word " * (count * 2 + 10)
    documents = {"with": DocumentFactory(text=text), "without": DocumentFactory(text=text)}
    saved = services.annotation_event
    times: dict[str, list[float]] = {"with": [], "without": []}
    for i in range(count):
        # Interleaved create by create, so load from other processes hits both sides alike.
        for side in ("without", "with") if i % 2 else ("with", "without"):
            services.annotation_event = saved if side == "with" else (lambda *a, **k: None)
            began = time.perf_counter()
            services.annotation_create(
                document=documents[side],
                created_by=user,
                start=i * 5,
                end=i * 5 + 4,
                label="sourced",
            )
            times[side].append((time.perf_counter() - began) * 1000)
    services.annotation_event = saved
    for side in ("without", "with"):
        print(
            f"annotation_create {side} event: p50 {statistics.median(times[side]):.2f} ms, "
            f"p95 {percentile(times[side], 0.95):.2f} ms ({count} creates)"
        )
    delta = statistics.median(times["with"]) - statistics.median(times["without"])
    print(f"event cost on annotation_create: {delta:+.2f} ms p50")


def commit_events(document, count: int, per_transaction: int, pace: float = 0) -> dict:
    """Commit `count` events; with `pace`, one transaction every `pace` seconds.
    Returns {event id: commit time}."""
    from annotator.events.services import record_event

    committed: dict[int, float] = {}
    for first in range(0, count, per_transaction):
        began = time.monotonic()
        with transaction.atomic():
            ids = [
                record_event("annotation.created", {"n": n}, document=document).pk
                for n in range(first, min(count, first + per_transaction))
            ]
        committed.update(dict.fromkeys(ids, time.time()))
        if pace:
            time.sleep(max(0.0, pace - (time.monotonic() - began)))
    return committed


def bench_delivery(total: int, paced: int, rate: int) -> None:
    """(1) Throughput: `total` events wait in the outbox, then one worker delivers them all.
    (2) Delay: `paced` events committed at `rate` events/s (transactions of 10) while the
    worker delivers: commit to arrival at the receiver, p50 and p95."""
    from annotator.events.endpoints import endpoint_create, secret_new
    from annotator.models import WebhookEndpoint
    from tests.annotator.events.receiver import Receiver
    from tests.annotator.workers import Workers, purge_queues
    from tests.factories import DocumentFactory, UserFactory

    lead = UserFactory(username="bench-lead", role="lead")
    secret = secret_new()
    receiver = Receiver(secret)
    arrivals: dict[int, float] = {}
    original = receiver.handle

    def handle(handler, body):
        original(handler, body)
        if receiver.received:
            arrivals.setdefault(receiver.received[-1]["id"], time.time())

    receiver.handle = handle
    endpoint = endpoint_create(user=lead, url=receiver.url, secret=secret)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    document = DocumentFactory()
    purge_queues()
    workers = Workers(Path(tempfile.mkdtemp()))
    workers.start()
    try:
        backlog = commit_events(document, total, 100)
        time.sleep(5)  # the worker starts
        began = time.time()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=True)  # the sweep finds it
        deadline = time.monotonic() + 900
        while len(receiver.received) < total and time.monotonic() < deadline:
            time.sleep(0.2)
        backlog_got = receiver.event_ids()
        done = max(arrivals.values(), default=began)
        paced_committed = commit_events(document, paced, 10, pace=10 / rate)
        deadline = time.monotonic() + 300
        while len(receiver.received) < total + paced and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        workers.stop()
        receiver.stop()
    got = receiver.event_ids()
    in_order = got == sorted(got) and len(set(got)) == len(got)
    expected = sorted([*backlog, *paced_committed])
    print(
        f"{len(backlog_got)}/{total} waiting events delivered by 1 worker: "
        f"{len(backlog_got) / (done - began):.0f} events/s (from enabling the endpoint to the "
        f"last arrival, sweep interval included)"
    )
    delays = [(arrivals[i] - paced_committed[i]) * 1000 for i in paced_committed if i in arrivals]
    print(
        f"{len(delays)}/{paced} events committed at {rate}/s: commit to arrival p50 "
        f"{statistics.median(delays):.0f} ms, p95 {percentile(delays, 0.95):.0f} ms"
    )
    print(f"all {len(got)} events once and in order: {in_order and got == expected}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creates", type=int, default=400)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--paced", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=50, help="events/s in the delay part")
    args = parser.parse_args()
    print(f"database: {connection.vendor}, broker: {settings.CELERY_BROKER_URL.split(':')[0]}")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        bench_create(args.creates)
        bench_delivery(args.events, args.paced, args.rate)
        print(f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
