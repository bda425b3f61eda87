"""The outbox: an event per change, in the change's transaction, readable with a cursor."""

import pytest
from django.db import transaction

from annotator.annotations.services import (
    annotation_create,
    annotation_delete,
    annotation_restore,
    annotation_update,
)
from annotator.events.services import record_event
from annotator.models import Event
from annotator.review.services import assignment_mark_done, final_annotation_create
from annotator.suggestions.decisions import suggestion_accept, suggestion_reject
from annotator.suggestions.progress import run_document_done
from corpus.importers import import_file
from tests.factories import (
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    api_for,
)

pytestmark = pytest.mark.django_db


def types() -> list[str]:
    return list(Event.objects.order_by("id").values_list("type", flat=True))


def test_annotation_lifecycle_records_events_with_ids(reviewer, document):
    annotation = annotation_create(
        document=document, created_by=reviewer, start=0, end=6, label="sourced"
    )
    annotation = annotation_update(annotation=annotation, user=reviewer, version=1, note="n")
    annotation_delete(annotation=annotation, user=reviewer, version=2)
    annotation_restore(annotation_id=annotation.pk, user=reviewer)
    assert types() == [
        "annotation.created",
        "annotation.updated",
        "annotation.deleted",
        "annotation.restored",
    ]
    first, updated = Event.objects.order_by("id")[:2]
    assert first.version == 1
    assert first.payload["annotation"]["id"] == annotation.pk
    assert first.payload["annotation"]["label"] == "sourced"
    assert updated.payload["annotation"]["note"] == "n"
    assert (first.document_id, first.collection_id, first.owner_id) == (
        document.pk,
        document.collection_id,
        reviewer.pk,
    )


def test_rolled_back_change_records_no_event(reviewer, document):
    with pytest.raises(RuntimeError), transaction.atomic():
        annotation_create(document=document, created_by=reviewer, start=0, end=6, label="sourced")
        raise RuntimeError("rolled back")
    assert types() == []


def test_refused_change_records_no_event(reviewer, document):
    with pytest.raises(Exception, match="Quote"):
        annotation_create(
            document=document, created_by=reviewer, start=0, end=6, label="sourced", quote="x"
        )
    assert types() == []


def test_suggestion_decisions_record_events(reviewer, document):
    accepted = SuggestionFactory(document=document)
    rejected = SuggestionFactory(document=document, start=7, end=10)
    annotation = suggestion_accept(suggestion=accepted, user=reviewer)
    suggestion_reject(suggestion=rejected, user=reviewer)
    assert types() == ["annotation.created", "suggestion.accepted", "suggestion.rejected"]
    event = Event.objects.get(type="suggestion.accepted")
    assert event.payload["annotation_id"] == annotation.pk
    assert event.payload["suggestion"]["id"] == accepted.pk


def test_done_and_reopen_record_review_events_once(reviewer, document):
    assignment_mark_done(document=document, reviewer=reviewer)
    assignment_mark_done(document=document, reviewer=reviewer)  # already done: no new event
    assignment_mark_done(document=document, reviewer=reviewer, done=False)
    assert types() == ["review.done", "review.reopened"]
    assert Event.objects.first().payload["reviewer"] == reviewer.pk


def test_final_set_change_is_an_event(lead, reviewer, document):
    source = AnnotationFactory(document=document, created_by=reviewer)
    final_annotation_create(document=document, decided_by=lead, from_ids=[source.pk])
    assert types() == ["annotation.created", "final_set.changed"]
    final = Event.objects.get(type="final_set.changed")
    assert final.payload["action"] == "created"
    assert final.payload["annotation"]["adjudicated_from"] == [source.pk]


def test_import_records_one_event_per_document(tmp_path, settings):
    settings.SUGGEST_ON_IMPORT = False
    collection = CollectionFactory(slug="wire")
    path = tmp_path / "two.jsonl"
    path.write_text('{"title": "A", "text": "One."}\n{"title": "B", "text": "Two."}\n')
    summary = import_file(path=path, collection=collection)
    events = Event.objects.filter(type="document.imported").order_by("id")
    assert [e.payload["document"]["id"] for e in events] == summary.document_ids
    assert {e.collection_id for e in events} == {collection.pk}


def test_run_finished_is_recorded_once(document):
    from annotator.models import SuggestionRun

    run = SuggestionRun.objects.create(document=document, documents_total=1)
    assert run_document_done(run.pk, document.pk, created=3, failed=False)
    assert not run_document_done(run.pk, document.pk, created=3, failed=False)
    events = Event.objects.filter(type="suggestion_run.finished")
    assert events.count() == 1
    assert events.get().payload["run"]["suggestions_created"] == 3


def test_record_event_for_other_capabilities(lead, document):
    event = record_event("verdict.published", {"verdict": {"id": 7}}, document=document, actor=lead)
    assert event.collection_id == document.collection_id
    assert types() == ["verdict.published"]


# The cursor API


def test_cursor_pages_through_events(lead, document):
    for start in range(5):
        AnnotationFactory(document=document)  # factories bypass services: no events
        record_event("annotation.created", {"n": start}, document=document)
    api = api_for(lead)
    page = api.get("/api/events/?after=0&limit=2").json()
    assert [e["data"]["n"] for e in page["events"]] == [0, 1]
    page = api.get(f"/api/events/?after={page['next']}&limit=10").json()
    assert [e["data"]["n"] for e in page["events"]] == [2, 3, 4]
    empty = api.get(f"/api/events/?after={page['next']}").json()
    assert empty == {"events": [], "next": page["next"]}


def test_cursor_filters_by_type_and_refuses_bad_input(lead, document):
    record_event("annotation.created", {}, document=document)
    record_event("review.done", {}, document=document)
    api = api_for(lead)
    only = api.get("/api/events/?type=review.done").json()["events"]
    assert [e["type"] for e in only] == ["review.done"]
    assert "after" in api.get("/api/events/?after=x").json()
    assert "limit" in api.get("/api/events/?limit=0").json()
    assert "type" in api.get("/api/events/?type=nope").json()


def test_blind_review_hides_others_events_until_done(reviewer, other_reviewer, document):
    collection = document.collection
    collection.blind_review = True
    collection.save()
    annotation_create(document=document, created_by=other_reviewer, start=0, end=6, label="sourced")
    annotation_create(document=document, created_by=reviewer, start=7, end=10, label="sourced")
    api = api_for(reviewer)
    seen = api.get("/api/events/").json()["events"]
    assert [e["data"]["annotation"]["created_by"] for e in seen] == [reviewer.pk]
    assignment_mark_done(document=document, reviewer=reviewer)
    seen = api.get("/api/events/").json()["events"]
    assert len([e for e in seen if e["type"] == "annotation.created"]) == 2


def test_assigned_only_collection_hides_events_of_unassigned_documents(reviewer, lead):
    closed = DocumentFactory(collection=CollectionFactory(slug="closed", assigned_only=True))
    record_event("annotation.created", {}, document=closed)
    assert api_for(reviewer).get("/api/events/").json()["events"] == []
    assert len(api_for(lead).get("/api/events/").json()["events"]) == 1


def test_events_need_a_role(outsider):
    assert api_for(outsider).get("/api/events/").status_code == 403
