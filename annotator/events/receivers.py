"""Signal receivers: imported and revised documents become events (corpus never imports
annotator). Both signals are sent inside the change's transaction, so the events commit
with the documents and revisions, or not at all."""

from __future__ import annotations

from corpus.signals import document_revised, documents_created


def documents_imported(sender, document_ids: list[int], collection, **kwargs) -> None:
    from annotator.events.services import documents_imported_events

    documents_imported_events(document_ids=list(document_ids), collection=collection)


def document_revised_recorded(sender, document, revision, **kwargs) -> None:
    from annotator.events.services import document_revised_event

    document_revised_event(document, revision)


def connect() -> None:
    documents_created.connect(documents_imported, dispatch_uid="annotator-events-import")
    document_revised.connect(document_revised_recorded, dispatch_uid="annotator-events-revised")
