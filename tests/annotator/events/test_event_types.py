"""Every event type the issue lists is emitted by a real change, and only when it commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from annotator.claims.verdicts import verdict_save, verdict_transition
from annotator.events.services import EventType
from annotator.models import Event
from corpus.services import document_update
from tests.factories import AnnotationFactory, CollectionFactory, DocumentFactory, label

pytestmark = pytest.mark.django_db


def types() -> list[str]:
    return list(Event.objects.order_by("id").values_list("type", flat=True))


def test_a_new_revision_is_an_event_with_its_number(lead):
    document = DocumentFactory(collection=CollectionFactory(slug="wire"), text="Old text.")
    Event.objects.all().delete()
    document_update(document=document, text="New text.", revised_by=lead)
    event = Event.objects.get()
    assert event.type == "document.revised"
    assert event.payload["revision"]["number"] == 2
    assert (event.document_id, event.collection_id, event.actor_id) == (
        document.pk,
        document.collection_id,
        lead.pk,
    )
    document_update(document=document, title="Same text, new title")
    assert Event.objects.count() == 1  # no new revision, no event


def test_a_rolled_back_revision_emits_nothing(lead):
    document = DocumentFactory(text="Old text.")
    Event.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        document_update(document=document, text="New text.", revised_by=lead)
        raise RuntimeError
    assert types() == []


@pytest.fixture
def proposed(reviewer):
    claim = AnnotationFactory(created_by=reviewer, label=label("disputed"))
    return verdict_save(
        annotation=claim, user=reviewer, propose=True, rating="False", claim_reviewed="A claim"
    )


def test_publishing_and_taking_back_a_verdict_are_events(proposed, lead):
    assert types() == []  # a draft and a proposal stay inside the desk
    verdict = verdict_transition(verdict=proposed, user=lead, to="published", version=None)
    verdict = verdict_transition(
        verdict=verdict, user=lead, to="draft", version=None, reason="Wrong rating"
    )
    assert types() == ["verdict.published", "verdict.unpublished"]
    published, taken_back = Event.objects.order_by("id")
    assert published.payload["verdict"]["id"] == verdict.pk
    assert published.payload["verdict"]["rating"] == "False"
    assert published.payload["verdict"]["published_at"]
    assert taken_back.payload["verdict"]["reason"] == "Wrong rating"
    assert published.owner_id == proposed.proposed_by_id
    assert published.actor_id == lead.pk


def test_a_rolled_back_publication_emits_nothing(proposed, lead):
    with pytest.raises(RuntimeError), transaction.atomic():
        verdict_transition(verdict=proposed, user=lead, to="published", version=None)
        raise RuntimeError
    assert types() == []


def test_every_listed_type_has_an_emitter():
    """The types the issue lists are all known (each has its emitting test in this folder)."""
    listed = {
        "annotation.created",
        "annotation.updated",
        "annotation.deleted",
        "annotation.restored",
        "suggestion.accepted",
        "suggestion.rejected",
        "suggestion_run.finished",
        "document.imported",
        "document.revised",
        "review.done",
        "review.reopened",
        "final_set.changed",
        "verdict.published",
    }
    assert listed <= set(EventType.values)
