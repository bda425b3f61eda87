"""Celery entry points for re-anchoring: a document id in, one service call."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotator.anchoring import services
from annotator.enqueue import DOCUMENT_FETCH, DOCUMENT_REANCHOR, DOCUMENTS_RECHECK
from corpus import urlimport

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name=DOCUMENT_FETCH, **RETRY)
def document_fetch(fetch_id: int) -> str | None:
    fetch = urlimport.document_fetch_run(fetch_id=fetch_id)
    return fetch.status if fetch else None


@shared_task(name=DOCUMENTS_RECHECK, **RETRY)
def documents_recheck() -> int:
    """The optional periodic schedule (settings.RECHECK_EVERY_HOURS, celery beat)."""
    return len(urlimport.documents_recheck_request())


@shared_task(name=DOCUMENT_REANCHOR, **RETRY)
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
