"""Blind review holds on every page, filter and API, and "done" is final for a reviewer."""

import pytest
from django.urls import reverse

from annotator.models import Annotation, Assignment, AssignmentStatus, SuggestionDecision
from annotator.review.services import assignment_mark_done
from annotator.suggestions.runs import suggestion_run_start
from tests.factories import (
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    api_for,
)

pytestmark = pytest.mark.django_db

SECRET = "only-omar-knows"


@pytest.fixture
def blind_document(db):
    return DocumentFactory(collection=CollectionFactory(slug="blind", blind_review=True))


@pytest.fixture
def theirs(blind_document, other_reviewer):
    return AnnotationFactory(
        document=blind_document,
        created_by=other_reviewer,
        note=SECRET,
        evidence_url="https://example.com/" + SECRET,
    )


def test_edit_form_of_anothers_annotation_is_404_until_done(
    client, reviewer, blind_document, theirs
):
    client.force_login(reviewer)
    url = reverse("annotator-annotation-edit", args=[blind_document.pk, theirs.pk])
    response = client.get(url)
    assert response.status_code == 404
    assert SECRET not in response.content.decode()
    for action in ("edit", "delete"):
        url = reverse(f"annotator-annotation-{action}", args=[blind_document.pk, theirs.pk])
        assert client.post(url, {"version": 1, "label": "disputed"}).status_code == 404
    assignment_mark_done(document=blind_document, reviewer=reviewer)
    assert (
        SECRET
        in client.get(
            reverse("annotator-annotation-edit", args=[blind_document.pk, theirs.pk])
        ).content.decode()
    )


def test_done_is_final_under_blind_review(client, reviewer, blind_document, theirs):
    mine = AnnotationFactory(document=blind_document, created_by=reviewer, start=7, end=9)
    suggestion = SuggestionFactory(document=blind_document, start=10, end=14)
    client.force_login(reviewer)
    done_url = reverse("annotator-document-done", args=[blind_document.pk])
    client.post(done_url, {"done": "1"}, HTTP_HX_REQUEST="true")
    page = client.get(reverse("annotator-document", args=[blind_document.pk])).content.decode()
    assert SECRET in page and "Done (final)" in page and "Reopen" not in page
    # Un-marking is refused, in the UI as in the service.
    response = client.post(done_url, {"done": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "final" in response.content.decode()
    assignment = Assignment.objects.get(document=blind_document, reviewer=reviewer)
    assert assignment.status == AssignmentStatus.DONE
    # Every change is refused with the same message.
    add = client.post(
        reverse("annotator-annotation-add", args=[blind_document.pk]),
        {"start": 0, "end": 6, "quote": blind_document.text[:6], "label": "disputed"},
        HTTP_HX_REQUEST="true",
    )
    assert add.status_code == 422 and "ask a lead to reopen" in add.content.decode()
    api = api_for(reviewer)
    edit = api.patch(f"/api/annotations/{mine.pk}/", {"note": "after", "version": 1}, format="json")
    assert edit.status_code == 400 and "final" in str(edit.json())
    assert api.delete(f"/api/annotations/{mine.pk}/", HTTP_IF_MATCH='"1"').status_code == 400
    assert api.post(f"/api/suggestions/{suggestion.pk}/reject/").status_code == 400
    assert (
        api.post(f"/api/suggestions/{suggestion.pk}/accept/", {}, format="json").status_code == 400
    )
    mine.refresh_from_db()
    assert mine.note == "" and Annotation.objects.filter(created_by=reviewer).count() == 1
    assert not SuggestionDecision.objects.filter(reviewer=reviewer).exists()


def test_done_stays_reversible_outside_blind_review(client, reviewer, document):
    client.force_login(reviewer)
    url = reverse("annotator-document-done", args=[document.pk])
    client.post(url, {"done": "1"}, HTTP_HX_REQUEST="true")
    assert client.post(url, {"done": "0"}, HTTP_HX_REQUEST="true").status_code == 200
    assert Assignment.objects.get(document=document, reviewer=reviewer).status != "done"


def test_stats_page_lists_only_runs_of_documents_the_reviewer_may_open(
    client, reviewer, lead, document, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    hidden = DocumentFactory(
        title="Hidden dossier", collection=CollectionFactory(slug="closed", assigned_only=True)
    )
    suggestion_run_start(document=hidden, created_by=lead)
    suggestion_run_start(document=document, created_by=lead)
    client.force_login(reviewer)
    html = client.get(reverse("suggestions-stats")).content.decode()
    assert document.title in html
    assert "Hidden dossier" not in html
    client.force_login(lead)
    assert "Hidden dossier" in client.get(reverse("suggestions-stats")).content.decode()


def test_stats_precision_counts_only_visible_decisions(
    client, reviewer, other_reviewer, blind_document
):
    from annotator.suggestions.decisions import suggestion_reject

    suggestion_reject(suggestion=SuggestionFactory(document=blind_document), user=other_reviewer)
    client.force_login(reviewer)
    rows = client.get(reverse("suggestions-stats")).context["rows"]
    assert sum(row["rejected"] for row in rows) == 0


def test_has_annotations_filter_respects_blind_review(reviewer, blind_document, theirs):
    api = api_for(reviewer)
    with_work = api.get("/api/documents/?has_annotations=true").json()["results"]
    without = api.get("/api/documents/?has_annotations=false").json()["results"]
    assert blind_document.pk not in [d["id"] for d in with_work]
    assert blind_document.pk in [d["id"] for d in without]
    assignment_mark_done(document=blind_document, reviewer=reviewer)
    with_work = api.get("/api/documents/?has_annotations=true").json()["results"]
    assert blind_document.pk in [d["id"] for d in with_work]


def test_queue_counts_hide_others_work_until_done(client, reviewer, blind_document, theirs):
    from annotator.annotations.queue_selectors import queue_counts

    assert (
        queue_counts(user=reviewer, document_ids=[blind_document.pk])[blind_document.pk]["labels"]
        == {}
    )
    assignment_mark_done(document=blind_document, reviewer=reviewer)
    counts = queue_counts(user=reviewer, document_ids=[blind_document.pk])[blind_document.pk]
    assert counts["labels"] == {"sourced": 1}
