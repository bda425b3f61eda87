"""Celery entry points for re-anchoring: a document id in, one service call."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotator.anchoring import services
from annotator.enqueue import DOCUMENT_REANCHOR

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    name=DOCUMENT_REANCHOR,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def document_reanchor(document_id: int) -> dict | None:
    summary = services.document_reanchor(document_id=document_id)
    if summary is None:
        return None
    return {
        "revision": summary.revision,
        "anchored": summary.count("anchored"),
        "text_changed": summary.count("text_changed"),
        "orphan": summary.count("orphan"),
        "suggestions_moved": summary.suggestions_moved,
        "suggestions_dropped": summary.suggestions_dropped,
    }
