"""Signal receivers: imported documents become events (corpus never imports annotator)."""

from __future__ import annotations

from corpus.signals import documents_created


def documents_imported(sender, document_ids: list[int], collection, **kwargs) -> None:
    """Sent inside the import's transaction, so the events commit with the documents."""
    from annotator.events.services import documents_imported_events

    documents_imported_events(document_ids=list(document_ids), collection=collection)


def connect() -> None:
    documents_created.connect(documents_imported, dispatch_uid="annotator-events-import")
