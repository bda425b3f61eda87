"""Races, impossible dates, deep JSON, version preconditions and duplicates: 4xx, never 500."""

import pytest

from annotator.api.annotations import AnnotationViewSet
from annotator.models import Annotation, SuggestionDecision, SuggestionStatus
from annotator.suggestions.decisions import suggestion_accept
from tests.factories import AnnotationFactory, SuggestionFactory, UserFactory, api_for, label

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(reviewer):
    return api_for(reviewer)


@pytest.fixture
def lost_race(monkeypatch):
    """Another request deletes the annotation right after this one has read it."""
    original = AnnotationViewSet.get_object

    def get_object(self):
        annotation = original(self)
        Annotation.objects.filter(pk=annotation.pk).delete()
        return annotation

    monkeypatch.setattr(AnnotationViewSet, "get_object", get_object)


# Races


def test_patch_after_concurrent_delete_is_404(api, reviewer, document, lost_race):
    annotation = AnnotationFactory(document=document, created_by=reviewer)
    response = api.patch(
        f"/api/annotations/{annotation.pk}/", {"note": "x", "version": 1}, format="json"
    )
    assert response.status_code == 404
    assert "deleted meanwhile" in response.json()["detail"]


def test_second_of_two_deletes_is_404(api, reviewer, document, lost_race):
    annotation = AnnotationFactory(document=document, created_by=reviewer)
    response = api.delete(f"/api/annotations/{annotation.pk}/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_ui_edit_or_delete_after_concurrent_delete_is_409(
    client, reviewer, document, monkeypatch, action
):
    from annotator.annotations import views

    annotation = AnnotationFactory(document=document, created_by=reviewer)
    original = views._annotation_for_user

    def read_then_lose(request, document_id, annotation_id):
        result = original(request, document_id, annotation_id)
        Annotation.objects.filter(pk=annotation_id).delete()
        return result

    monkeypatch.setattr(views, "_annotation_for_user", read_then_lose)
    client.force_login(reviewer)
    url = f"/documents/{document.pk}/annotations/{annotation.pk}/{action}/"
    data = {"version": 1, "label": "disputed", "note": "", "evidence_url": ""}
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "deleted meanwhile" in response.content.decode()


# Bad input


def test_impossible_published_at_is_400_naming_the_field(lead):
    api = api_for(lead)
    payload = {"title": "T", "text": "Some text here.", "published_at": "2024-02-30"}
    response = api.post("/api/documents/", payload, format="json")
    assert response.status_code == 400
    assert "published_at" in response.json()
    document = api.post("/api/documents/", {"text": "Other text."}, format="json").json()
    doc_id = document["id"]
    response = api.patch(f"/api/documents/{doc_id}/", {"published_at": "2023-13-01"}, format="json")
    assert response.status_code == 400 and "published_at" in response.json()


def test_impossible_import_created_at_is_400_naming_the_field(lead, document):
    import json

    record = {
        "document_sha256": document.sha256,
        "start": 0,
        "end": 6,
        "quote": document.text[:6],
        "label": "sourced",
        "created_by": "rita",
        "created_at": "2024-02-30T10:00:00+00:00",
    }
    response = api_for(lead).post(
        "/api/import/annotations/", json.dumps(record), content_type="application/x-ndjson"
    )
    assert response.status_code == 400
    assert "created_at" in json.dumps(response.json())


@pytest.mark.parametrize("depth", [100_000, 500, 65])
def test_deeply_nested_json_is_400(api, depth):
    body = "[" * depth + "]" * depth
    response = api.post("/api/annotations/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


def test_deeply_nested_import_line_is_400(lead):
    body = "[" * 100_000
    response = api_for(lead).post(
        "/api/import/annotations/", body, content_type="application/x-ndjson"
    )
    assert response.status_code == 400
    assert "nested deeper" in str(response.json()["errors"])


def test_ordinary_nesting_still_parses(lead):
    metadata = {"a": {"b": {"c": [1, [2, [3]]]}}}
    response = api_for(lead).post(
        "/api/documents/", {"text": "Nested meta.", "metadata": metadata}, format="json"
    )
    assert response.status_code == 201, response.content


# Versions and duplicates


def test_patch_and_delete_without_version_are_428(api, reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=reviewer)
    url = f"/api/annotations/{annotation.pk}/"
    for response in (
        api.patch(url, {"note": "overwrite"}, format="json"),
        api.patch(url, {"note": "overwrite"}, format="json", HTTP_IF_MATCH="*"),
        api.delete(url),
    ):
        assert response.status_code == 428
        assert "version" in response.json()["detail"]
    annotation.refresh_from_db()
    assert annotation.note == ""
    assert api.patch(url, {"note": "ok"}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    assert api.delete(url, HTTP_IF_MATCH='"2"').status_code == 204


def test_exact_duplicate_is_409_naming_the_existing_annotation(api, reviewer, document):
    payload = {"document": document.pk, "start": 0, "end": 6, "label": "sourced"}
    first = api.post("/api/annotations/", payload, format="json").json()
    response = api.post("/api/annotations/", payload, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["existing"]["id"] == first["id"]
    assert str(first["id"]) in body["detail"]
    # Another label, another span, or another reviewer is not a duplicate.
    assert (
        api.post("/api/annotations/", {**payload, "label": "disputed"}, format="json").status_code
        == 201
    )
    assert api.post("/api/annotations/", {**payload, "end": 7}, format="json").status_code == 201
    other = api_for(UserFactory(username="omar2", role="reviewer"))
    assert other.post("/api/annotations/", payload, format="json").status_code == 201
    assert (
        Annotation.objects.filter(
            created_by=reviewer, start=0, end=6, label__slug="sourced"
        ).count()
        == 1
    )


def test_edit_into_a_duplicate_is_409(api, reviewer, document):
    AnnotationFactory(document=document, created_by=reviewer, start=0, end=6)
    moved = AnnotationFactory(document=document, created_by=reviewer, start=0, end=7)
    response = api.patch(f"/api/annotations/{moved.pk}/", {"end": 6, "version": 1}, format="json")
    assert response.status_code == 409


def test_ui_duplicate_is_409_with_message(client, reviewer, document):
    AnnotationFactory(document=document, created_by=reviewer, start=0, end=6)
    client.force_login(reviewer)
    data = {"start": 0, "end": 6, "quote": document.text[:6], "label": "sourced"}
    response = client.post(f"/documents/{document.pk}/annotations/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "already have this sourced span" in response.content.decode()
    assert Annotation.objects.count() == 1


def test_restore_relinks_the_accepting_decision(api, reviewer, document):
    suggestion = SuggestionFactory(document=document, start=0, end=6, label=label("sourced"))
    annotation = suggestion_accept(suggestion=suggestion, user=reviewer)
    decision = SuggestionDecision.objects.get(suggestion=suggestion, reviewer=reviewer)
    assert decision.annotation_id == annotation.pk
    assert api.delete(f"/api/annotations/{annotation.pk}/", HTTP_IF_MATCH='"1"').status_code == 204
    decision.refresh_from_db()
    assert decision.annotation_id is None
    from annotator.annotations.services import annotation_restore

    restored = annotation_restore(annotation_id=annotation.pk, user=reviewer)
    decision.refresh_from_db()
    assert decision.annotation_id == restored.pk == annotation.pk
    assert decision.status == SuggestionStatus.ACCEPTED
