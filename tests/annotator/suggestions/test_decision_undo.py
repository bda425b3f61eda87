import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotator.models import Annotation, Suggestion, SuggestionDecision
from annotator.suggestions.decisions import (
    suggestion_accept,
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
    suggestion_decision_undo(suggestion=suggestion, user=reviewer)
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
