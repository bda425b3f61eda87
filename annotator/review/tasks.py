"""Celery entry points of the review workflow: ids in, one service call."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotator.enqueue import AGREEMENT_REPORT_REFRESH
from annotator.review.services import agreement_report_refresh as refresh


@shared_task(
    name=AGREEMENT_REPORT_REFRESH,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, TimeoutError),
    retry_backoff=2,
    max_retries=5,
)
def agreement_report_refresh(collection_id: int) -> None:
    """Recompute and cache a collection's agreement; safe to run twice or on a gone id."""
    refresh(collection_id=collection_id)
