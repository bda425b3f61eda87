"""The review workflow through the API: assignments, done/reopen, progress."""

import pytest

from annotator.models import Assignment, Event
from tests.factories import CollectionFactory, DocumentFactory, api_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def collection():
    collection = CollectionFactory(slug="desk")
    DocumentFactory.create_batch(4, collection=collection)
    return collection


def test_lead_assigns_single_bulk_and_round_robin(lead, reviewer, other_reviewer, collection):
    api = api_for(lead)
    first = collection.documents.order_by("id").first()
    response = api.post(
        "/api/assignments/", {"document": first.pk, "reviewer": "rita"}, format="json"
    )
    assert response.status_code == 201 and response.json()["reviewer"] == "rita"
    response = api.post(
        "/api/assignments/",
        {"collection": "desk", "reviewers": ["rita", "omar"], "k": 1},
        format="json",
    )
    # Every document gets one reviewer; the first already has rita.
    assert response.json() == {"created": 3}
    ids = list(collection.documents.values_list("id", flat=True)[:2])
    response = api.post(
        "/api/assignments/", {"documents": ids, "reviewers": ["omar"]}, format="json"
    )
    assert response.status_code == 201
    per_doc = Assignment.objects.filter(document_id__in=ids).values_list("reviewer__username")
    assert {name for (name,) in per_doc} == {"rita", "omar"}


def test_assign_input_errors_name_the_field(lead, reviewer, collection):
    api = api_for(lead)
    bad = api.post("/api/assignments/", {"documents": [999999], "reviewers": ["rita"]})
    assert bad.status_code == 400 and "documents" in bad.json()
    bad = api.post("/api/assignments/", {"collection": "desk", "reviewers": ["nobody"]})
    assert bad.status_code == 400 and "reviewers" in bad.json()
    bad = api.post(
        "/api/assignments/", {"collection": "desk", "reviewers": ["rita"], "k": 5}, format="json"
    )
    assert bad.status_code == 400 and "k" in bad.json()
    assert api.get("/api/assignments/?status=nope").status_code == 400


def test_reviewers_see_own_assignments_and_cannot_assign(
    lead, reviewer, other_reviewer, collection
):
    api_for(lead).post(
        "/api/assignments/", {"collection": "desk", "reviewers": ["rita", "omar"]}, format="json"
    )
    mine = api_for(reviewer).get("/api/assignments/").json()["results"]
    assert {row["reviewer"] for row in mine} == {"rita"} and len(mine) == 4
    assert len(api_for(lead).get("/api/assignments/?reviewer=omar").json()["results"]) == 4
    refused = api_for(reviewer).post(
        "/api/assignments/", {"collection": "desk", "reviewers": ["rita"]}, format="json"
    )
    assert refused.status_code == 403
    row = mine[0]["id"]
    assert api_for(reviewer).delete(f"/api/assignments/{row}/").status_code == 403
    assert api_for(lead).delete(f"/api/assignments/{row}/").status_code == 204


def test_api_work_starts_the_assignment(lead, reviewer, collection):
    document = collection.documents.first()
    api_for(lead).post(
        "/api/assignments/", {"document": document.pk, "reviewer": "rita"}, format="json"
    )
    api = api_for(reviewer)
    response = api.post(
        "/api/annotations/",
        {"document": document.pk, "start": 0, "end": 6, "label": "sourced"},
        format="json",
    )
    assert response.status_code == 201
    assert Assignment.objects.get(document=document, reviewer=reviewer).status == "in_progress"


def test_done_is_final_under_blind_review_until_a_lead_reopens(lead, reviewer, collection):
    collection.blind_review = True
    collection.save()
    document = collection.documents.first()
    api = api_for(reviewer)
    done = api.post(f"/api/documents/{document.pk}/done/")
    assert done.status_code == 200 and done.json()["status"] == "done"
    refused = api.post(f"/api/documents/{document.pk}/reopen/")
    assert refused.status_code == 400 and "final" in str(refused.json())
    write = api.post(
        "/api/annotations/",
        {"document": document.pk, "start": 0, "end": 6, "label": "sourced"},
        format="json",
    )
    assert write.status_code == 400
    reopened = api_for(lead).post(
        f"/api/documents/{document.pk}/reopen/", {"reviewer": "rita"}, format="json"
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "in_progress"
    assert list(Event.objects.values_list("type", flat=True)) == ["review.done", "review.reopened"]
    assert Event.objects.last().actor_id == lead.pk


def test_reviewer_cannot_reopen_someone_else(reviewer, other_reviewer, collection):
    document = collection.documents.first()
    api_for(other_reviewer).post(f"/api/documents/{document.pk}/done/")
    response = api_for(reviewer).post(
        f"/api/documents/{document.pk}/reopen/", {"reviewer": "omar"}, format="json"
    )
    assert response.status_code == 403


def test_hidden_document_is_404(reviewer):
    closed = DocumentFactory(collection=CollectionFactory(slug="closed", assigned_only=True))
    assert api_for(reviewer).post(f"/api/documents/{closed.pk}/done/").status_code == 404


def test_progress_per_collection_and_reviewer(lead, reviewer, other_reviewer, collection):
    api_for(lead).post(
        "/api/assignments/", {"collection": "desk", "reviewers": ["rita", "omar"]}, format="json"
    )
    document = collection.documents.first()
    api_for(reviewer).post(f"/api/documents/{document.pk}/done/")
    progress = api_for(lead).get("/api/progress/?collection=desk").json()
    rows = {row["username"]: row for row in progress["reviewers"]}
    assert rows["rita"]["done"] == 1 and rows["rita"]["assigned"] == 3
    assert rows["omar"]["done"] == 0
    assert progress["documents"]["any_done"] == 1
    own = api_for(reviewer).get("/api/progress/?collection=desk").json()["reviewers"]
    assert [row["username"] for row in own] == ["rita"]
    assert api_for(lead).get("/api/progress/").status_code == 400
