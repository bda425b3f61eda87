"""Faults with real worker processes: a worker killed mid-run, concurrent publishers, a bad
message. On the embedded SQLite broker by default, on Redis with
CELERY_BROKER_URL=redis://127.0.0.1:6379/<n> (CI runs both)."""

from __future__ import annotations

import collections
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.conf import settings

from annotator.models import RunStatus, Suggestion, SuggestionRun, SuggestionRunDocument
from annotator.suggestions.runs import suggestion_run_start
from tests.annotator.suggestions.test_worker import run_state, wait_for
from tests.annotator.workers import RULES
from tests.factories import CollectionFactory, DocumentFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TEXT = "Officials said the troops arrived. Six were reportedly missing after a heroic sacrifice."
SLOW = RULES + ",tests.annotator.worker_suggester"
EMBEDDED = settings.CELERY_BROKER_URL.startswith("sqla+")


def collection_of(count: int):
    collection = CollectionFactory()
    documents = [
        DocumentFactory(collection=collection, text=f"Doc {i:03d}\n{TEXT}") for i in range(count)
    ]
    return collection, documents


def test_killed_worker_mid_run_each_document_once_and_counts_true(workers):
    """Kill the worker a third of the way through a collection run, start another: every
    document is suggested, none is computed twice except the one the kill interrupted, the
    counts equal what is stored, and the run succeeds only with its last document."""
    count = 24
    collection, documents = collection_of(count)
    workers.control.write_text("sleep 0.25")
    run = suggestion_run_start(collection=collection)
    first = workers.start(SLOW)
    wait_for(lambda: run_state(run.pk).documents_done >= 8, 90, workers, "8 documents")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    interrupted = run_state(run.pk)
    assert interrupted.finished_at is None and interrupted.status == RunStatus.RUNNING
    done_before = interrupted.documents_done
    assert 8 <= done_before < count

    workers.start(SLOW)
    wait_for(lambda: run_state(run.pk).finished_at, 120, workers, "the run to finish")
    finished = run_state(run.pk)
    per_document = collections.Counter(
        Suggestion.objects.filter(run=run, suggester="worker-test").values_list(
            "document_id", flat=True
        )
    )
    assert finished.status == RunStatus.SUCCEEDED, workers.logs()
    assert (finished.documents_total, finished.documents_done) == (count, count)
    assert SuggestionRunDocument.objects.filter(run=run).count() == count
    assert per_document == {document.pk: 1 for document in documents}
    assert finished.suggestions_created == Suggestion.objects.filter(run=run).count()
    assert finished.suggestions_created == 4 * count  # three rule labels + worker-test
    calls = collections.Counter((workers.tmp_path / "control.calls").read_text().splitlines())
    assert set(calls) == {f"Doc {i:03d}" for i in range(count)}
    # At most the document being computed when the worker was killed is computed again.
    assert sum(calls.values()) <= count + 1, calls


PUBLISHER = """
import sys, django
django.setup()
from annotator.enqueue import SUGGESTIONS_CREATE, task
run_id, ids = int(sys.argv[1]), [int(i) for i in sys.argv[2].split(",")]
for doc_id in ids:
    task(SUGGESTIONS_CREATE).apply_async(kwargs={"document_id": doc_id, "run_id": run_id})
print("published", len(ids))
"""


def test_concurrent_publishers_while_a_worker_consumes_lose_nothing(workers):
    """Four processes queue 30 documents each while a worker consumes: every one arrives."""
    count, publishers = 120, 4
    collection, documents = collection_of(count)
    # Queued, not running: a starting worker's recovery would queue it all again itself.
    run = SuggestionRun.objects.create(collection=collection, documents_total=count)
    worker = workers.start(RULES)
    wait_for(lambda: " ready." in workers.logs(), 60, workers, "the worker to be ready")
    env = workers.env(RULES)
    ids = [document.pk for document in documents]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(run.pk), ",".join(map(str, ids[i::publishers]))],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(publishers)
    ]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0 and "published 30" in out, err[-2000:]
    wait_for(lambda: run_state(run.pk).finished_at, 120, workers, "every document")
    finished = run_state(run.pk)
    assert (finished.status, finished.documents_done) == (RunStatus.SUCCEEDED, count)
    assert set(
        SuggestionRunDocument.objects.filter(run=run).values_list("document_id", flat=True)
    ) == set(ids)
    assert worker.poll() is None, workers.logs()
    assert "Unrecoverable error" not in workers.logs()


@pytest.mark.skipif(not EMBEDDED, reason="writes into the embedded broker's SQLite file")
def test_undecodable_messages_are_dropped_and_the_worker_carries_on(workers):
    broker_file = settings.CELERY_BROKER_URL.split("sqlite:///", 1)[1]
    worker = workers.start(RULES)
    first = suggestion_run_start(document=DocumentFactory(text=TEXT))
    wait_for(lambda: run_state(first.pk).finished_at, 60, workers, "the first run")
    with sqlite3.connect(broker_file, timeout=30) as db:
        (queue_id,) = db.execute("SELECT id FROM kombu_queue WHERE name = 'suggestions'").fetchone()
        for payload in ('{"body": "half-writ', "[1, 2]", "not json at all"):
            db.execute(
                "INSERT INTO kombu_message (visible, timestamp, payload, version, queue_id)"
                " VALUES (1, '2000-01-01 00:00:00', ?, 1, ?)",
                (payload, queue_id),
            )
    second = suggestion_run_start(document=DocumentFactory(text=TEXT))
    wait_for(lambda: run_state(second.pk).finished_at, 60, workers, "the run after them")
    assert run_state(second.pk).status == RunStatus.SUCCEEDED
    time.sleep(0.5)
    assert worker.poll() is None, workers.logs()
    assert workers.logs().count("Dropped undecodable message") == 3
    with sqlite3.connect(broker_file, timeout=30) as db:
        assert db.execute("SELECT count(*) FROM kombu_message").fetchone() == (0,)


PUTTER = """
import sys, django
django.setup()
from annotator.celery import app
first, count = int(sys.argv[1]), int(sys.argv[2])
with app.connection_for_write() as conn:
    queue = conn.SimpleQueue("fault-test")
    for number in range(first, first + count):
        queue.put({"n": number, "pad": "x" * 2000})
    queue.close()
"""


def test_broker_under_concurrent_publishers_delivers_every_message_whole(workers):
    """Four processes publish 100 messages each while this one consumes: every message
    arrives once and decodes (kombu's filesystem transport lost 3 of 200 here)."""
    from annotator.celery import app

    env = workers.env(RULES)
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue("fault-test")
        queue.clear()
        putters = [
            subprocess.Popen(
                [sys.executable, "-c", PUTTER, str(i * 100), "100"],
                cwd=settings.BASE_DIR,
                env=env,
                stderr=subprocess.PIPE,
            )
            for i in range(4)
        ]
        received, errors = collections.Counter(), []
        idle_since = time.monotonic()
        while len(received) < 400 and time.monotonic() - idle_since < 20:
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                continue
            except Exception as exc:  # a message read before it was written
                errors.append(repr(exc))
                continue
            received[message.payload["n"]] += 1
            message.ack()
            idle_since = time.monotonic()
        queue.close()
    for putter in putters:
        assert putter.wait(timeout=60) == 0, putter.stderr.read()[-2000:]
    assert errors == []
    assert received == collections.Counter(range(400))
