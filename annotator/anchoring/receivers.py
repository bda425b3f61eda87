"""Signal receivers: a document's new revision queues the re-anchoring of its spans."""

from __future__ import annotations

from django.db import transaction

from corpus.signals import document_revised, fetches_requested


def reanchor_on_revision(sender, document, revision, **kwargs) -> None:
    from annotator.anchoring.services import reanchor_queue

    reanchor_queue(document_id=document.pk)


def fetch_on_request(sender, fetch_ids: list[int], **kwargs) -> None:
    """Queue one task per URL once the request's transaction commits."""
    from annotator.enqueue import DOCUMENT_FETCH, task

    ids = list(fetch_ids)
    transaction.on_commit(lambda: [task(DOCUMENT_FETCH).delay(i) for i in ids])


def connect() -> None:
    document_revised.connect(reanchor_on_revision, dispatch_uid="anchoring-reanchor")
    fetches_requested.connect(fetch_on_request, dispatch_uid="anchoring-fetch")
