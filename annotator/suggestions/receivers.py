"""Signal receivers: queue suggestions for imported documents; retrain after N decisions."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from corpus.signals import documents_created

logger = logging.getLogger(__name__)


def queue_suggestions_for_import(sender, document_ids: list[int], collection, **kwargs) -> None:
    """Sent inside the import's transaction, once per collection and batch: one run for the
    batch, queued after it commits."""
    if not settings.SUGGEST_ON_IMPORT or not document_ids:
        return
    ids = list(document_ids)
    transaction.on_commit(lambda: _start_run(ids, collection))


def _start_run(document_ids: list[int], collection) -> None:
    from annotator.suggestions.import_runs import suggestion_batch_start
    from annotator.suggestions.runs import SuggestionsUnavailable

    try:
        suggestion_batch_start(document_ids=document_ids, collection=collection)
    except SuggestionsUnavailable as exc:
        # Importing must not fail because the broker is down; the run shows the error.
        logger.warning("No suggestions for imported documents: %s", exc)


def retrain_after_decisions(sender, instance, created=False, **kwargs) -> None:
    if created:
        transaction.on_commit(queue_retrain_if_due)


# After queueing a training, no other is queued for this long (the training itself also
# refuses to start while another runs, and counts decisions from when it started).
RETRAIN_DEBOUNCE_SECONDS = 300


def queue_retrain_if_due() -> None:
    from django.core.cache import cache

    from annotator.enqueue import SUGGESTIONS_TRAIN, task
    from annotator.suggestions.learning import suggester_retrain_due

    try:
        if suggester_retrain_due() and cache.add(
            "annotator:retrain-queued", 1, RETRAIN_DEBOUNCE_SECONDS
        ):
            task(SUGGESTIONS_TRAIN).apply_async(retry=False)
    except Exception as exc:  # a decision must never fail because training cannot be queued
        logger.warning("Could not queue retraining: %s", exc)


def connect() -> None:
    from annotator.models import SuggestionDecision

    documents_created.connect(queue_suggestions_for_import, dispatch_uid="annotator-suggest-import")
    post_save.connect(
        retrain_after_decisions, sender=SuggestionDecision, dispatch_uid="annotator-retrain"
    )
