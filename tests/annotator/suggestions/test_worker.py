"""A real Celery worker process (solo pool) on the configured broker and the test database.

Runs on the embedded SQLite broker by default and on Redis with
CELERY_BROKER_URL=redis://127.0.0.1:6379/0 (CI runs both).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from annotator.models import RunStatus, Suggestion, SuggestionRun
from annotator.suggestions.runs import suggestion_run_start
from tests.annotator.workers import RULES, Workers, database_url
from tests.factories import DocumentFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TEXT = "Officials said the troops arrived. Six were reportedly missing after a heroic sacrifice."


def wait_for(predicate, timeout: float, workers: Workers, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"Timed out after {timeout}s waiting for {what}.\nWorker logs:\n{workers.logs()}")


def run_state(run_id: int) -> SuggestionRun:
    return SuggestionRun.objects.get(pk=run_id)


def test_worker_makes_suggestions_for_a_queued_run(workers):
    document = DocumentFactory(text=TEXT)
    run = suggestion_run_start(document=document)
    workers.start()
    wait_for(lambda: run_state(run.pk).status == RunStatus.SUCCEEDED, 60, workers, "the run")
    labels = set(Suggestion.objects.filter(document=document).values_list("label__slug", flat=True))
    assert labels == {"sourced", "disputed", "propaganda"}
    assert run_state(run.pk).task_id


def test_a_worker_started_without_queues_runs_suggestions(workers):
    document = DocumentFactory(text=TEXT)
    run = suggestion_run_start(document=document)
    workers.start(queues=None)
    wait_for(lambda: run_state(run.pk).status == RunStatus.SUCCEEDED, 60, workers, "the run")
    assert Suggestion.objects.filter(document=document).exists()


def test_killed_worker_loses_nothing(workers):
    workers.control.write_text("sleep 30")
    suggesters = RULES + ",tests.annotator.worker_suggester"
    document = DocumentFactory(text=TEXT)
    run = suggestion_run_start(document=document)
    first = workers.start(suggesters)
    wait_for(
        lambda: run_state(run.pk).status == RunStatus.RUNNING, 60, workers, "the task to start"
    )
    time.sleep(0.5)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert not Suggestion.objects.filter(document=document).exists()

    workers.control.write_text("")
    workers.start(suggesters)
    wait_for(lambda: run_state(run.pk).status == RunStatus.SUCCEEDED, 60, workers, "redelivery")
    rows = list(
        Suggestion.objects.filter(document=document).values_list("suggester", "start", "end")
    )
    assert ("worker-test", 0, 5) in rows, (
        rows,
        list(SuggestionRun.objects.values()),
        document.pk,
        workers.logs(),
    )
    assert Suggestion.objects.filter(document=document, suggester="sourced").count() == 1


def test_failing_suggester_marks_the_run_failed(workers):
    workers.control.write_text("fail")
    document = DocumentFactory(text=TEXT)
    run = suggestion_run_start(document=document)
    workers.start(RULES + ",tests.annotator.worker_suggester")
    wait_for(lambda: run_state(run.pk).finished_at, 60, workers, "the failure")
    failed = run_state(run.pk)
    assert failed.status == RunStatus.FAILED
    assert "worker-test: RuntimeError: worker-test suggester failed on purpose" in failed.error
    assert failed.finished_at is not None
    # The other suggesters still ran and the document is untouched otherwise.
    assert Suggestion.objects.filter(document=document, suggester="sourced").exists()


def test_broker_down_is_reported_quickly_by_a_fresh_process(tmp_path):
    """Another process with the broker on a closed port: SuggestionsUnavailable within seconds."""
    document = DocumentFactory(text=TEXT)
    script = (
        "import django, time; django.setup()\n"
        "from annotator.suggestions.runs import suggestion_run_start, SuggestionsUnavailable\n"
        "from corpus.models import Document\n"
        f"doc = Document.objects.get(pk={document.pk})\n"
        "t = time.monotonic()\n"
        "try:\n    suggestion_run_start(document=doc)\nexcept SuggestionsUnavailable as e:\n"
        "    print('UNAVAILABLE', round(time.monotonic() - t, 1), e)\n"
    )
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        DATA_DIR=str(settings.DATA_DIR),
        CELERY_BROKER_URL="redis://127.0.0.1:9/0",
        DJANGO_SETTINGS_MODULE="annotator.settings",
        PYTHONPATH=str(settings.BASE_DIR),
    )
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )
    assert "UNAVAILABLE" in out.stdout, out.stderr[-2000:]
    assert time.monotonic() - started < 20
    run = SuggestionRun.objects.get(document=document)
    assert run.status == RunStatus.FAILED and "cannot be reached" in run.error
