"""Celery entry points for suggestions: ids in, one service call.

Every task here keeps its name from before the move (annotator.tasks.suggestions_*, see
annotator/enqueue.py), so settings route it to the `suggestions` queue and messages queued
by an older version still run.
acks_late and reject_on_worker_lost are on globally: a task whose worker dies is delivered
again, which is safe because a run records each document it stored (see progress.py).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError

from annotator.enqueue import (
    SUGGESTIONS_BATCH,
    SUGGESTIONS_CREATE,
    SUGGESTIONS_RUN,
    SUGGESTIONS_TRAIN,
)
from annotator.suggestions import import_runs, learning, progress, runs

logger = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
EMBEDDED_BROKERS = ("sqla+", "sqlalchemy+", "filesystem://")
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name=SUGGESTIONS_CREATE, **RETRY)
def suggestions_create(
    document_id: int,
    suggester: str | None = None,
    run_id: int | None = None,
    paragraphs: dict | None = None,
) -> int:
    return runs.suggestions_create(
        document_id=document_id, suggester=suggester, run_id=run_id, paragraphs=paragraphs
    )


@shared_task(name=SUGGESTIONS_RUN, **RETRY)
def suggestions_run(run_id: int) -> int:
    """Fan a collection run out into per-document tasks (progress lives on the run row)."""
    return progress.suggestion_run_fan_out(run_id=run_id)


@shared_task(name=SUGGESTIONS_BATCH, **RETRY)
def suggestions_batch(run_id: int) -> int:
    """An import batch's run: its documents in turn, those already done skipped."""
    return import_runs.suggestions_batch(run_id=run_id)


@shared_task(name=SUGGESTIONS_TRAIN, **RETRY)
def suggestions_train(
    collection_id: int | None = None, label: str | None = None, force: bool = False
) -> int | None:
    """Retrain on reviewers' work (or one archive collection); nothing when there is too
    little data or a training is running."""
    try:
        return learning.suggester_train_by_ids(
            collection_id=collection_id, label=label, force=force
        ).version
    except (learning.TooLittleData, ValidationError) as exc:
        logger.info("No training: %s", exc)
        return None


@worker_ready.connect
def recover_interrupted_runs(sender=None, **kwargs) -> None:
    """The embedded brokers (SQLite, filesystem) do not redeliver a killed worker's task: queue
    the unfinished documents of interrupted runs again. Redis and RabbitMQ redeliver."""
    if settings.CELERY_BROKER_URL.startswith(EMBEDDED_BROKERS):
        progress.suggestion_runs_recover()
