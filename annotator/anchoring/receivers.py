"""Signal receivers: a document's new revision queues the re-anchoring of its spans."""

from __future__ import annotations

from corpus.signals import document_revised


def reanchor_on_revision(sender, document, revision, **kwargs) -> None:
    from annotator.anchoring.services import reanchor_queue

    reanchor_queue(document_id=document.pk)


def connect() -> None:
    document_revised.connect(reanchor_on_revision, dispatch_uid="anchoring-reanchor")
