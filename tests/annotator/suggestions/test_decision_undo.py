import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotator.annotations.services import AnnotationConflict, annotation_update
from annotator.models import Annotation, Event, Suggestion, SuggestionDecision
from annotator.suggestions.decisions import (
    suggestion_accept,
    suggestion_accept_restore,
    suggestion_decision_undo,
    suggestion_reject,
)
from tests.factories import DocumentFactory, SuggestionFactory

TEXT = "The ministry denied the report on Tuesday."


@pytest.fixture
def suggestion(db):
    document = DocumentFactory(text=TEXT)
    start = TEXT.index("denied the report")
    return SuggestionFactory(document=document, start=start, end=start + 17)


def test_undo_of_an_accept_deletes_its_annotation_and_reopens(suggestion, reviewer):
    annotation = suggestion_accept(suggestion=suggestion, user=reviewer)
    suggestion_decision_undo(suggestion=suggestion, user=reviewer, version=annotation.version)
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    assert Annotation.history.filter(id=annotation.pk, history_type="-").exists()
    assert Suggestion.objects.get(pk=suggestion.pk).status == "pending"
    assert not SuggestionDecision.objects.exists()
    # open again: the same reviewer may decide again
    suggestion_reject(suggestion=suggestion, user=reviewer)


def test_undo_without_a_decision_is_refused(suggestion, reviewer):
    with pytest.raises(ValidationError, match="not accepted or rejected"):
        suggestion_decision_undo(suggestion=suggestion, user=reviewer)


def test_undo_takes_back_only_the_users_own_decision(suggestion, reviewer, other_reviewer):
    suggestion_reject(suggestion=suggestion, user=reviewer)
    with pytest.raises(ValidationError):
        suggestion_decision_undo(suggestion=suggestion, user=other_reviewer)
    assert Suggestion.objects.get(pk=suggestion.pk).status == "rejected"


def test_undo_view_answers_the_workspace_and_422_when_nothing_to_undo(client, suggestion, reviewer):
    client.force_login(reviewer)
    url = reverse("annotator-suggestion-undo", args=[suggestion.document_id, suggestion.pk])
    refused = client.post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    suggestion_reject(suggestion=suggestion, user=reviewer)
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="s-{suggestion.pk}"' in response.content.decode()
    assert "Decision undone." in response.content.decode()


def test_undo_records_suggestion_reopened(suggestion, reviewer):
    annotation = suggestion_accept(suggestion=suggestion, user=reviewer)
    suggestion_decision_undo(suggestion=suggestion, user=reviewer, version=annotation.version)
    event = Event.objects.filter(type="suggestion.reopened").get()
    assert event.payload["suggestion"]["id"] == suggestion.pk
    assert event.payload["annotation_id"] == annotation.pk
    assert event.payload["previous"] == "accepted"
    assert event.owner_id == event.actor_id == reviewer.pk
    suggestion_reject(suggestion=suggestion, user=reviewer)
    suggestion_decision_undo(suggestion=suggestion, user=reviewer)
    assert list(
        Event.objects.filter(type="suggestion.reopened").values_list("payload__previous", flat=True)
    ) == ["accepted", "rejected"]


def test_undo_of_an_accept_checks_the_version(suggestion, reviewer):
    annotation = suggestion_accept(suggestion=suggestion, user=reviewer)
    with pytest.raises(ValidationError, match="version"):
        suggestion_decision_undo(suggestion=suggestion, user=reviewer)
    annotation_update(annotation=annotation, user=reviewer, version=1, note="checked")
    with pytest.raises(AnnotationConflict):
        suggestion_decision_undo(suggestion=suggestion, user=reviewer, version=1)
    assert Annotation.objects.filter(pk=annotation.pk).exists()
    assert not Event.objects.filter(type="suggestion.reopened").exists()


def test_redo_restores_the_same_annotation(suggestion, reviewer, other_reviewer):
    annotation = suggestion_accept(suggestion=suggestion, user=reviewer)
    suggestion_decision_undo(suggestion=suggestion, user=reviewer, version=annotation.version)
    with pytest.raises(ValidationError, match="annotation"):
        suggestion_accept_restore(
            suggestion=suggestion, user=other_reviewer, annotation_id=annotation.pk
        )
    again = suggestion_accept_restore(
        suggestion=suggestion, user=reviewer, annotation_id=annotation.pk
    )
    assert again.pk == annotation.pk and Annotation.objects.count() == 1
    decision = SuggestionDecision.objects.get()
    assert decision.annotation_id == annotation.pk and decision.status == "accepted"
    assert Suggestion.objects.get(pk=suggestion.pk).status == "accepted"
    assert Event.objects.filter(type="suggestion.accepted").count() == 2
    assert Event.objects.filter(type="annotation.restored").count() == 1
    with pytest.raises(ValidationError, match="already"):
        suggestion_accept_restore(suggestion=suggestion, user=reviewer, annotation_id=annotation.pk)


def test_undo_view_409_on_a_changed_annotation_and_422_naming_the_field(
    client, suggestion, reviewer
):
    client.force_login(reviewer)
    args = [suggestion.document_id, suggestion.pk]
    undo = reverse("annotator-suggestion-undo", args=args)
    restore = reverse("annotator-suggestion-accept-restore", args=args)
    annotation = suggestion_accept(suggestion=suggestion, user=reviewer)
    annotation_update(annotation=annotation, user=reviewer, version=1, note="checked")
    for body, field in [({"version": "abc"}, "version"), ({}, "version")]:
        refused = client.post(undo, body, HTTP_HX_REQUEST="true")
        assert refused.status_code == 422 and field in refused.content.decode()
    conflict = client.post(undo, {"version": 1}, HTTP_HX_REQUEST="true")
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert 'id="flash"' in html and "changed meanwhile (now version 2)" in html
    assert Annotation.objects.filter(pk=annotation.pk).exists()
    assert client.post(undo, {"version": 2}, HTTP_HX_REQUEST="true").status_code == 200
    for body in [{}, {"annotation": "x"}, {"annotation": 0}]:
        refused = client.post(restore, body, HTTP_HX_REQUEST="true")
        assert refused.status_code == 422 and "annotation" in refused.content.decode()
    redone = client.post(restore, {"annotation": annotation.pk}, HTTP_HX_REQUEST="true")
    assert redone.status_code == 200
    assert f'id="a-{annotation.pk}"' in redone.content.decode()
    assert Annotation.objects.get().pk == annotation.pk
