"""Claims leaving and coming back: ClaimReview JSON-LD (checked by pyld), evidence and
verdicts in the JSONL and W3C exports, and the import round trip."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.http import StreamingHttpResponse
from django.utils import timezone
from pyld import jsonld

from annotator.claims.transfer import with_claims_json
from annotator.claims.verdicts import verdict_save, verdict_transition
from annotator.models import Annotation, Evidence, Verdict
from corpus.models import Collection, Document
from tests.factories import AnnotationFactory, CollectionFactory, DocumentFactory, api_for, label

pytestmark = pytest.mark.django_db

# No network here: the schema.org context is served locally. This stand-in maps every term
# into the schema.org vocabulary and URLs to IRIs, as the published context does.
SCHEMA_CONTEXT = {
    "@context": {
        "@vocab": "http://schema.org/",
        "url": {"@id": "http://schema.org/url", "@type": "@id"},
        "datePublished": {"@id": "http://schema.org/datePublished", "@type": "Date"},
    }
}


def local_loader(url, options=None):
    assert url.rstrip("/") in {"https://schema.org", "http://schema.org"}, url
    return {"contextUrl": None, "documentUrl": url, "document": SCHEMA_CONTEXT}


def body(response) -> str:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def published(reviewer, lead):
    document = DocumentFactory(
        title="Dam report",
        source_url="https://news.example/dam",
        published_at=datetime.datetime(2024, 3, 5, 9, 0, tzinfo=datetime.UTC),
        collection=CollectionFactory(slug="desk"),
    )
    claim = AnnotationFactory(document=document, created_by=reviewer, label=label("disputed"))
    Evidence.objects.create(
        annotation=claim, created_by=reviewer, url="https://origin.example/post", stance="origin"
    )
    Evidence.objects.create(
        annotation=claim,
        created_by=reviewer,
        url="https://mayor.example/count",
        title="Mayor's count",
        stance="refutes",
        archive_status="archived",
        archive_sha256="a" * 64,
        archive_http_status=200,
        archived_at=timezone.now(),
        excerpt_found=True,
    )
    verdict = verdict_save(
        annotation=claim,
        user=reviewer,
        rating="Mostly false",
        claim_reviewed="1,200 people were evacuated from the valley",
        explanation="The mayor counted 300.",
        claim_author="The ministry",
        propose=True,
    )
    return verdict_transition(verdict=verdict, user=lead, to="published", version=None)


def test_claimreview_has_every_google_property(published, lead):
    items = json.loads(body(api_for(lead).get("/api/export/claimreview/")))
    assert len(items) == 1
    item = items[0]
    # Required by Google: claimReviewed, reviewRating (alternateName), url.
    assert item["@context"] == "https://schema.org"
    assert item["@type"] == "ClaimReview"
    assert item["claimReviewed"] == "1,200 people were evacuated from the valley"
    assert item["url"] == f"http://127.0.0.1:8000/claims/verdicts/{published.pk}/"
    assert item["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Mostly false",
        "ratingValue": 2,
        "bestRating": 5,
        "worstRating": 1,
    }
    # Recommended: author, datePublished, itemReviewed (Claim: appearance, author,
    # datePublished, firstAppearance).
    assert item["author"] == {
        "@type": "Organization",
        "name": "Claim annotator desk",
        "url": "http://127.0.0.1:8000/",
    }
    assert item["datePublished"] == published.published_at.date().isoformat()
    assert item["itemReviewed"] == {
        "@type": "Claim",
        "appearance": {
            "@type": "CreativeWork",
            "url": "https://news.example/dam",
            "headline": "Dam report",
        },
        "firstAppearance": {"@type": "CreativeWork", "url": "https://origin.example/post"},
        "author": {"@type": "Person", "name": "The ministry"},
        "datePublished": "2024-03-05",
    }


def test_claimreview_is_valid_json_ld(published, lead):
    items = json.loads(body(api_for(lead).get("/api/export/claimreview/")))
    expanded = jsonld.expand(items, {"documentLoader": local_loader})
    review = expanded[0]
    assert review["@type"] == ["http://schema.org/ClaimReview"]
    rating = review["http://schema.org/reviewRating"][0]
    assert rating["http://schema.org/alternateName"] == [{"@value": "Mostly false"}]
    claim = review["http://schema.org/itemReviewed"][0]
    assert claim["http://schema.org/appearance"][0]["http://schema.org/url"] == [
        {"@id": "https://news.example/dam"}
    ]


def test_only_published_verdicts_leave(published, lead, reviewer):
    other = AnnotationFactory(created_by=reviewer, start=7, end=12)
    verdict_save(annotation=other, user=reviewer, rating="True", claim_reviewed="x", propose=True)
    api = api_for(lead)
    assert len(json.loads(body(api.get("/api/export/claimreview/")))) == 1
    assert json.loads(body(api.get("/api/export/claimreview/?collection=elsewhere"))) == []
    verdict_transition(verdict=published, user=lead, to="draft", version=None, reason="Recheck")
    assert json.loads(body(api.get("/api/export/claimreview/"))) == []


def test_claimreview_bad_filter_is_a_400(lead):
    response = api_for(lead).get("/api/export/claimreview/?published_since=yesterday")
    assert response.status_code == 400
    assert "published_since" in response.json()


def test_claimreview_follows_blind_review(published, other_reviewer):
    Collection.objects.filter(slug="desk").update(blind_review=True)
    assert json.loads(body(api_for(other_reviewer).get("/api/export/claimreview/"))) == []


def test_jsonl_carries_evidence_and_verdict(published, lead):
    text = body(api_for(lead).get("/api/export/annotations/?format=jsonl"))
    record = json.loads(text.splitlines()[0])
    assert [e["stance"] for e in record["evidence"]] == ["origin", "refutes"]
    assert record["evidence"][1]["archive"]["sha256"] == "a" * 64
    assert record["verdict"]["rating"] == "Mostly false"
    assert record["verdict"]["state"] == "published"


def test_json_text_path_splices_claims(published):
    # PostgreSQL writes each record as JSON text; the claims are spliced into it.
    annotation_id = published.annotation_id
    texts = [f'{{"id" : {annotation_id}, "quote" : "x"}}', '{"id" : 999999, "quote" : "y"}']
    first, second = (json.loads(t) for t in with_claims_json(texts))
    assert first["quote"] == "x" and len(first["evidence"]) == 2
    assert first["verdict"]["claim_reviewed"].startswith("1,200")
    assert second == {"id": 999999, "quote": "y", "evidence": [], "verdict": None}


def test_w3c_carries_sources_as_linking_bodies_with_stance(published, lead):
    page = json.loads(body(api_for(lead).get("/api/export/annotations/?format=w3c")))
    bodies = page["items"][0]["body"]
    links = [b for b in bodies if b.get("purpose") == "linking"]
    assert [(b["id"], b["stance"]) for b in links] == [
        ("https://origin.example/post", "origin"),
        ("https://mayor.example/count", "refutes"),
    ]
    assessing = [b for b in bodies if b.get("purpose") == "assessing"]
    assert assessing[0]["value"].startswith("Mostly false: 1,200")


def test_round_trip_keeps_evidence_and_verdicts(published, lead):
    api = api_for(lead)
    exported = body(api.get("/api/export/annotations/?format=jsonl&include_text=1"))
    Annotation.objects.all().delete()
    Document.objects.all().delete()
    get_user_model().objects.exclude(pk=lead.pk).delete()
    assert not Evidence.objects.exists() and not Verdict.objects.exists()
    response = api.post(
        "/api/import/annotations/", exported.encode(), content_type="application/x-ndjson"
    )
    assert response.status_code == 201, response.content
    again = body(api.get("/api/export/annotations/?format=jsonl&include_text=1"))
    strip = lambda r: {k: v for k, v in r.items() if k not in {"id", "document_id"}}  # noqa: E731
    before = [strip(json.loads(line)) for line in exported.splitlines()]
    after = [strip(json.loads(line)) for line in again.splitlines()]
    for old, new in zip(before, after, strict=True):
        for item in old["evidence"]:
            item.pop("created_at")
        for item in new["evidence"]:
            item.pop("created_at")
    for old, new in zip(before, after, strict=True):
        assert {k: new[k] for k in new if new[k] != old.get(k)} == {}
    assert after == before
    assert Evidence.objects.get(stance="refutes").history.count() == 1


def test_import_names_bad_claim_fields(lead, published):
    api = api_for(lead)
    exported = body(api.get("/api/export/annotations/?format=jsonl&include_text=1"))
    record = json.loads(exported.splitlines()[0])
    record["evidence"][0]["stance"] = "maybe"
    record["verdict"]["rating"] = "Pants on fire"
    response = api.post(
        "/api/import/annotations/",
        json.dumps(record).encode(),
        content_type="application/x-ndjson",
    )
    assert response.status_code == 400
    errors = response.json()["errors"][0]["errors"]
    assert "stance must be one of" in json.dumps(errors)


def test_claimreview_since_with_a_far_offset_is_read_as_utc(lead):
    """PostgreSQL refuses offsets past ±15:59 ("time zone displacement out of range")."""
    response = api_for(lead).get(
        "/api/export/claimreview/?published_since=0089-07-13T15%3A31%3A44%2B20%3A00"
    )
    assert response.status_code == 200
    assert json.loads(body(response)) == []


def test_imported_sources_are_archived_like_new_ones_and_keep_their_copy(
    client, published, lead, pages, eager, django_capture_on_commit_callbacks
):
    """A source exported while still queued is archived after the import (as one added in
    the panel); one already archived keeps its record and is not fetched again."""
    api = api_for(lead)
    exported = body(api.get("/api/export/annotations/?format=jsonl&include_text=1"))
    record = json.loads(exported)
    queued = next(e for e in record["evidence"] if e["archive"]["status"] == "queued")
    queued["url"] = f"{pages}/article"
    Annotation.objects.all().delete()
    Document.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(
            "/api/import/annotations/",
            json.dumps(record).encode(),
            content_type="application/x-ndjson",
        )
    assert response.status_code == 201, response.content
    assert len(callbacks) >= 1
    fetched = Evidence.objects.get(stance="origin")
    assert (fetched.archive_status, len(fetched.archive_sha256)) == ("archived", 64)
    assert fetched.title == "Ministry revises evacuation count"
    kept = Evidence.objects.get(stance="refutes")
    assert (kept.archive_status, kept.archive_sha256, kept.archive_file.name) == (
        "archived",
        "a" * 64,
        "",
    )
    client.force_login(lead)
    html = client.get(f"/claims/annotations/{kept.annotation_id}/").content.decode()
    assert "imported record: the WARC file stays where it was made" in html
