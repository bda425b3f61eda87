"""Celery entry points for claims: ids in, one service call."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotator.claims import archiving
from annotator.enqueue import EVIDENCE_ARCHIVE

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    name=EVIDENCE_ARCHIVE,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def evidence_archive(evidence_id: int) -> str:
    """Fetch and keep one source page (nothing happens if it is archived already)."""
    return archiving.evidence_archive(evidence_id=evidence_id)
