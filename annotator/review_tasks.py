"""Celery entry points of the review workflow: ids in, one service call."""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="annotator.review_tasks.agreement_report_refresh",
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, TimeoutError),
    retry_backoff=2,
    max_retries=5,
)
def agreement_report_refresh(collection_id: int) -> None:
    """Recompute and cache a collection's agreement; safe to run twice or on a gone id."""
    from annotator.services.reviews import agreement_report_refresh as refresh

    refresh(collection_id=collection_id)
