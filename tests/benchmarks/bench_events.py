"""Events benchmark (a script, not a pytest module):

    .venv/bin/python tests/benchmarks/bench_events.py [--creates 400] [--events 10000]

Builds a throwaway test database (SQLite in $DATA_DIR, default /tmp/bench-events-data, or the
PostgreSQL named by DATABASE_URL, as test_<name>), then prints:
- annotation_create (the service, its own transaction): p50/p95 with the event written and
  with event writing switched off (target: at most +1 ms p50);
- N events committed in transactions of 10 while one real worker (solo pool, the configured
  broker) delivers them to a signature-verifying receiver on 127.0.0.1: events per second and
  the delay from commit to arrival (p50, p95). One endpoint is delivered in order by one
  drainer at a time, so more workers do not speed up one endpoint (they do several).
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

    def run(label: str) -> list[float]:
        document = DocumentFactory(text=text)
        times = []
        for i in range(count):
            began = time.perf_counter()
            services.annotation_create(
                document=document, created_by=user, start=i * 5, end=i * 5 + 4, label="sourced"
            )
            times.append((time.perf_counter() - began) * 1000)
        print(
            f"annotation_create {label}: p50 {statistics.median(times):.2f} ms, "
            f"p95 {percentile(times, 0.95):.2f} ms ({count} creates)"
        )
        return times

    saved = services.annotation_event
    results = {}
    for _ in range(2):  # alternate, so neither side profits from a warm cache alone
        services.annotation_event = lambda *a, **k: None
        results.setdefault("without", []).extend(run("without event"))
        services.annotation_event = saved
        results.setdefault("with", []).extend(run("with event"))
    delta = statistics.median(results["with"]) - statistics.median(results["without"])
    print(f"event cost on annotation_create: {delta:+.2f} ms p50")


def bench_delivery(total: int) -> None:
    from annotator.events.endpoints import endpoint_create, secret_new
    from annotator.events.services import record_event
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
    endpoint_create(user=lead, url=receiver.url, secret=secret)
    document = DocumentFactory()
    purge_queues()
    workers = Workers(Path(tempfile.mkdtemp()))
    workers.start()
    committed: dict[int, float] = {}
    try:
        time.sleep(5)  # the worker starts
        for first in range(0, total, 10):
            with transaction.atomic():
                ids = [
                    record_event("annotation.created", {"n": n}, document=document).pk
                    for n in range(first, min(total, first + 10))
                ]
            now = time.time()
            committed.update(dict.fromkeys(ids, now))
        deadline = time.monotonic() + 600
        while len(receiver.received) < total and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        workers.stop()
        receiver.stop()
    got = receiver.event_ids()
    delays = [(arrivals[i] - committed[i]) * 1000 for i in got if i in committed and i in arrivals]
    span = max(arrivals.values()) - min(arrivals.values()) if arrivals else 0
    in_order = got == sorted(got) and len(set(got)) == len(got)
    print(
        f"{len(got)}/{total} events delivered by 1 worker, in order and once: {in_order}; "
        f"{len(got) / span if span else 0:.0f} events/s; commit to arrival p50 "
        f"{statistics.median(delays):.0f} ms, p95 {percentile(delays, 0.95):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creates", type=int, default=400)
    parser.add_argument("--events", type=int, default=10000)
    args = parser.parse_args()
    print(f"database: {connection.vendor}, broker: {settings.CELERY_BROKER_URL.split(':')[0]}")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        bench_create(args.creates)
        bench_delivery(args.events)
        print(f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
