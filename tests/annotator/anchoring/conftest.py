"""A document revised under three annotations: one unchanged, one edited, one deleted."""

import pytest

from annotator.anchoring.services import document_reanchor
from corpus.services import document_update
from tests.factories import AnnotationFactory, DocumentFactory

OLD = (
    "Storm hits the coast 🌊\n\n"
    "Officials said 12 people died in the storm on Tuesday, according to the governor.\n\n"
    "The mayor claimed the city was fully prepared for the disaster.\n\n"
    "Rescue teams from שלום arrived in the evening, the heroic goalkeeper among them."
)
NEW = (
    "Storm hits the coast 🌊\n\n"
    "Editor's note: this story was corrected on Wednesday.\n\n"
    "Officials said 14 people died in the storm on Tuesday, according to the governor.\n\n"
    "Rescue teams from שלום arrived in the evening, the heroic goalkeeper among them."
)


def span(document, quote, **kwargs):
    start = document.text.index(quote)
    return AnnotationFactory(
        document=document, start=start, end=start + len(quote), quote=quote, **kwargs
    )


@pytest.fixture
def revised(db, reviewer):
    document = DocumentFactory(text=OLD)
    same = span(document, "Rescue teams from שלום arrived", created_by=reviewer)
    edited = span(document, "Officials said 12 people died in the storm", created_by=reviewer)
    deleted = span(document, "The mayor claimed the city was fully prepared", created_by=reviewer)
    document_update(document=document, text=NEW)
    summary = document_reanchor(document_id=document.pk)
    for annotation in (same, edited, deleted):
        annotation.refresh_from_db()
    return document, same, edited, deleted, summary
