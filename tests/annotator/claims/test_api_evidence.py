"""Evidence through the API, nested under its annotation: shape, permissions, blind review,
versions, 4xx naming what was wrong, constant queries."""

from __future__ import annotations

import pytest

from annotator.models import Assignment, Evidence
from tests.factories import AnnotationFactory, CollectionFactory, DocumentFactory, api_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(reviewer):
    return AnnotationFactory(created_by=reviewer)


def url_of(claim, evidence=None, suffix=""):
    base = f"/api/annotations/{claim.pk}/evidence/"
    return base + (f"{evidence}/" if evidence else "") + suffix


def post(client, claim, pages, **fields):
    body = {"url": f"{pages}/article", "stance": "refutes", **fields}
    return client.post(url_of(claim), body, format="json")


def test_add_list_and_read_evidence(claim, reviewer, pages):
    api = api_for(reviewer)
    response = post(api, claim, pages, excerpt="only 300 people", published_on="2024-03-05")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["annotation"] == claim.pk
    assert body["created_by"] == "rita"
    assert body["published_on"] == "2024-03-05"
    assert body["archive"]["status"] == "queued"
    assert body["archive"]["warc"] is None
    listed = api.get(url_of(claim)).json()
    assert [item["id"] for item in listed["results"]] == [body["id"]]
    detail = api.get(url_of(claim, body["id"]))
    assert detail["ETag"] == '"1"'


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"stance": "maybe"}, "stance", '"maybe" is not a valid choice.'),
        ({"url": "ftp://example.org/x"}, "url", "The source URL must be an http or https URL."),
        ({"published_on": "yesterday"}, "published_on", "Date has wrong format."),
    ],
)
def test_bad_input_is_a_400_naming_the_field(claim, reviewer, pages, fields, field, message):
    response = post(api_for(reviewer), claim, pages, **fields)
    assert response.status_code == 400
    assert response.json()[field][0].startswith(message)


def test_local_address_refused_in_production(claim, reviewer, pages, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    response = post(api_for(reviewer), claim, pages)
    assert response.status_code == 400
    assert "not a public address" in response.json()["url"][0]


def test_edit_needs_the_version_and_stale_is_409(claim, reviewer, pages):
    api = api_for(reviewer)
    evidence_id = post(api, claim, pages).json()["id"]
    assert api.patch(url_of(claim, evidence_id), {"note": "x"}, format="json").status_code == 428
    ok = api.patch(
        url_of(claim, evidence_id), {"note": "Mayor's count", "version": 1}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    stale = api.patch(url_of(claim, evidence_id), {"note": "late", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["version"] == 2
    assert Evidence.objects.get().note == "Mayor's count"


def test_another_reviewer_cannot_change_it_but_a_lead_can(
    claim, reviewer, other_reviewer, lead, pages
):
    evidence_id = post(api_for(reviewer), claim, pages).json()["id"]
    url = url_of(claim, evidence_id)
    other = api_for(other_reviewer)
    assert other.get(url).status_code == 200
    assert other.patch(url, {"note": "mine", "version": 1}, format="json").status_code == 403
    assert other.delete(url, HTTP_IF_MATCH='"1"').status_code == 403
    assert api_for(lead).delete(url, HTTP_IF_MATCH='"1"').status_code == 204
    assert not Evidence.objects.exists()
    assert [r.history_type for r in Evidence.history.order_by("history_id")] == ["+", "-"]


def test_outsider_and_anonymous_are_refused(claim, outsider, pages):
    assert post(api_for(outsider), claim, pages).status_code == 403
    from rest_framework.test import APIClient

    assert APIClient().get(url_of(claim)).status_code == 401


def test_blind_review_hides_evidence_on_others_claims(reviewer, other_reviewer, pages):
    collection = CollectionFactory(blind_review=True)
    claim = AnnotationFactory(document=DocumentFactory(collection=collection), created_by=reviewer)
    evidence_id = post(api_for(reviewer), claim, pages).json()["id"]
    other = api_for(other_reviewer)
    assert other.get(url_of(claim)).status_code == 404
    assert other.get(url_of(claim, evidence_id)).status_code == 404
    assert post(other, claim, pages).status_code == 404
    Assignment.objects.create(document=claim.document, reviewer=other_reviewer, status="done")
    assert other.get(url_of(claim)).status_code == 200


def test_evidence_of_another_claim_is_404(claim, reviewer, pages):
    api = api_for(reviewer)
    evidence_id = post(api, claim, pages).json()["id"]
    elsewhere = AnnotationFactory(created_by=reviewer)
    assert api.get(url_of(elsewhere, evidence_id)).status_code == 404


def test_retry_archiving(claim, reviewer, pages):
    api = api_for(reviewer)
    evidence_id = post(api, claim, pages).json()["id"]
    Evidence.objects.filter(pk=evidence_id).update(archive_status="failed", archive_error="x")
    response = api.post(url_of(claim, evidence_id, "archive/"))
    assert response.status_code == 202
    assert response.json()["archive"]["status"] == "queued"
    assert Evidence.objects.get().archive_status == "queued"


def test_list_queries_do_not_grow(claim, reviewer, pages, django_assert_num_queries):
    api = api_for(reviewer)
    for count in (3, 20):
        while Evidence.objects.count() < count:
            post(api, claim, pages)
        # token, roles, annotation, count, page of evidence with their authors
        with django_assert_num_queries(5):
            assert len(api.get(url_of(claim)).json()["results"]) == count
