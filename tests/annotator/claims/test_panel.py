"""The claim panel: htmx partials to add, edit and remove sources and to carry a verdict;
the sidebar's claim links; blind review; constant queries."""

from __future__ import annotations

import pytest

from annotator.claims.services import evidence_create
from annotator.claims.verdicts import verdict_save
from annotator.models import DeskRule, Evidence, Rating, RuleKind, Verdict
from tests.factories import AnnotationFactory, CollectionFactory, DocumentFactory, label

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def claim(reviewer):
    return AnnotationFactory(created_by=reviewer, label=label("disputed"))


@pytest.fixture
def rita(client, reviewer):
    client.force_login(reviewer)
    return client


def panel_url(claim, suffix=""):
    return f"/claims/annotations/{claim.pk}/{suffix}"


def add_source(client, claim, pages, **fields):
    body = {"url": f"{pages}/article", "stance": "refutes", **fields}
    return client.post(panel_url(claim, "evidence/"), body, **HX)


def test_panel_shows_sources_checklist_and_verdict_form(rita, claim, reviewer, pages):
    DeskRule.objects.create(
        kind=RuleKind.MIN_SOURCES, stances=["refutes"], message="Needs a refuting source"
    )
    response = rita.get(panel_url(claim), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="claim-panel"' in html and "<html" not in html
    assert "No sources yet." in html
    assert "Needs a refuting source" in html and "0 of 1 refutes source(s)" in html
    assert 'id="verdict-propose"' in html


def test_claim_page_works_without_javascript(rita, claim, pages):
    response = rita.get(panel_url(claim))
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    plain = rita.post(panel_url(claim, "evidence/"), {"url": f"{pages}/a", "stance": "origin"})
    assert plain.status_code == 302 and plain["Location"] == panel_url(claim)


def test_add_source_then_edit_and_remove(rita, claim, pages):
    response = add_source(rita, claim, pages, excerpt="only 300 people")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Source added; archiving a copy" in html
    assert "Archiving… (queued)" in html
    assert 'hx-trigger="every 2s"' in html
    evidence = Evidence.objects.get()
    form = rita.get(panel_url(claim, f"evidence/{evidence.pk}/edit/"), **HX)
    assert 'id="edit-url"' in form.content.decode()
    body = {"url": evidence.url, "stance": "context", "note": "Mayor", "version": 1}
    saved = rita.post(panel_url(claim, f"evidence/{evidence.pk}/edit/"), body, **HX)
    assert "Source saved." in saved.content.decode()
    stale = rita.post(panel_url(claim, f"evidence/{evidence.pk}/edit/"), body, **HX)
    assert stale.status_code == 409
    assert "changed meanwhile (now version 2)" in stale.content.decode()
    gone = rita.post(panel_url(claim, f"evidence/{evidence.pk}/delete/"), {"version": 2}, **HX)
    assert "Source removed." in gone.content.decode()
    assert not Evidence.objects.exists()


def test_refused_source_names_the_reason(rita, claim, pages, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    response = add_source(rita, claim, pages)
    assert response.status_code == 422
    assert "which is not a public address" in response.content.decode()
    missing = rita.post(panel_url(claim, "evidence/"), {"stance": "refutes"}, **HX)
    assert missing.status_code == 422
    assert "url: This field is required." in missing.content.decode()


def test_archived_copy_is_shown_with_hash(rita, claim, reviewer, pages):
    from annotator.claims import archiving

    evidence = evidence_create(
        annotation=claim, user=reviewer, url=f"{pages}/article", stance="refutes"
    )
    archiving.evidence_archive(evidence_id=evidence.pk)
    evidence.refresh_from_db()
    html = rita.get(panel_url(claim, "evidence/list/"), **HX).content.decode()
    assert evidence.archive_sha256 in html
    assert f"/claims/evidence/{evidence.pk}/archive.warc.gz" in html
    assert "every 2s" not in html


def test_reviewer_proposes_lead_publishes(client, rita, claim, reviewer, lead):
    rating = Rating.objects.get(name="Mostly false")
    DeskRule.objects.create(
        kind=RuleKind.FIELD_FILLED, field="explanation", message="Needs an explanation"
    )
    body = {"rating": rating.pk, "claim_reviewed": "1,200 evacuated", "propose": "1"}
    proposed = rita.post(panel_url(claim, "verdict/"), body, **HX)
    assert "Verdict proposed for review." in proposed.content.decode()
    assert 'id="verdict-publish"' not in proposed.content.decode()
    client.force_login(lead)
    move = {"to": "published", "version": 2}
    refused = client.post(panel_url(claim, "verdict/move/"), move, **HX)
    assert refused.status_code == 422
    assert (
        "Cannot publish yet: Needs an explanation (explanation is empty)."
        in refused.content.decode()
    )
    Verdict.objects.update(explanation="Only 300 left.")
    published = client.post(panel_url(claim, "verdict/move/"), move, **HX)
    assert "Verdict published." in published.content.decode()
    assert Verdict.objects.get().state == "published"


def test_reviewer_cannot_publish(rita, claim, reviewer):
    verdict_save(annotation=claim, user=reviewer, rating="False", claim_reviewed="x", propose=True)
    response = rita.post(panel_url(claim, "verdict/move/"), {"to": "published", "version": 2}, **HX)
    assert response.status_code == 403
    assert "Only a lead publishes verdicts" in response.content.decode()


def test_blind_review_hides_the_panel(client, reviewer, other_reviewer, pages):
    collection = CollectionFactory(blind_review=True)
    claim = AnnotationFactory(document=DocumentFactory(collection=collection), created_by=reviewer)
    client.force_login(other_reviewer)
    assert client.get(panel_url(claim), **HX).status_code == 404
    assert add_source(client, claim, pages).status_code == 404
    assert client.post(panel_url(claim, "verdict/"), {"rating": 1}, **HX).status_code == 404


def test_outsider_is_refused(client, outsider, claim):
    client.force_login(outsider)
    assert client.get(panel_url(claim), **HX).status_code == 403


def test_panel_queries_are_constant(rita, claim, reviewer, django_assert_num_queries):
    def fill(n):
        while Evidence.objects.count() < n:
            Evidence.objects.create(
                annotation=claim, created_by=reviewer, url="https://example.org/", stance="context"
            )

    fill(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        rita.get(panel_url(claim), **HX)
    fill(12)
    with django_assert_num_queries(len(one.captured_queries)):
        assert rita.get(panel_url(claim), **HX).content.decode().count('class="ev-row') == 12


def test_sidebar_links_each_claim_with_its_summary(rita, claim, reviewer):
    Evidence.objects.create(
        annotation=claim, created_by=reviewer, url="https://example.org/", stance="refutes"
    )
    Evidence.objects.create(
        annotation=claim, created_by=reviewer, url="https://example.org/2", stance="context"
    )
    verdict_save(
        annotation=claim, user=reviewer, rating="Mostly false", claim_reviewed="x", propose=True
    )
    html = rita.get(f"/documents/{claim.document_id}/").content.decode()
    assert (
        f'<a class="claim-open" href="/claims/annotations/{claim.pk}/" data-claim="{claim.pk}">'
        "Claim · 2 sources · Mostly false, in review</a>"
    ) in html
    assert 'id="claim-panel"' in html


def test_document_page_queries_do_not_grow_with_evidence(rita, reviewer, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    document = DocumentFactory()
    claims = [
        AnnotationFactory(document=document, created_by=reviewer, start=i, end=i + 3)
        for i in range(0, 30, 3)
    ]
    url = f"/documents/{document.pk}/"
    rita.get(url)  # the first visit starts the reviewer's assignment
    with CaptureQueriesContext(connection) as bare:
        rita.get(url)
    for claim in claims:
        for n in range(3):
            Evidence.objects.create(
                annotation=claim, created_by=reviewer, url=f"https://e.org/{n}", stance="context"
            )
        verdict_save(annotation=claim, user=reviewer, rating="False", claim_reviewed="x")
    with django_assert_num_queries(len(bare.captured_queries)):
        html = rita.get(url).content.decode()
    assert html.count("Claim · 3 sources · False, draft") == 10


def test_document_page_with_200_claims_of_5_sources_keeps_its_query_count(
    rita, reviewer, django_assert_num_queries
):
    """The benchmark's page (tests/benchmarks/bench_claims.py), as a test: 200 claims each
    with 5 sources and a verdict cost the queries of the same page without them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotator.models import Annotation

    document = DocumentFactory(text="Claim text here. " * 800)
    step = len(document.text) // 200
    claims = Annotation.objects.bulk_create(
        Annotation(
            document=document,
            revision=document.revision,
            start=i * step,
            end=i * step + 10,
            quote=document.text[i * step : i * step + 10],
            label=label("disputed"),
            created_by=reviewer,
        )
        for i in range(200)
    )
    url = f"/documents/{document.pk}/"
    rita.get(url)  # the first visit starts the reviewer's assignment
    with CaptureQueriesContext(connection) as bare:
        rita.get(url)
    Evidence.objects.bulk_create(
        Evidence(annotation=a, created_by=reviewer, url=f"https://e.org/{n}", stance="refutes")
        for a in claims
        for n in range(5)
    )
    rating = Rating.objects.get(name="Mostly false")
    Verdict.objects.bulk_create(
        Verdict(annotation=a, rating=rating, claim_reviewed="x", proposed_by=reviewer)
        for a in claims
    )
    with django_assert_num_queries(len(bare.captured_queries)):
        html = rita.get(url).content.decode()
    assert html.count("Claim · 5 sources · Mostly false, draft") == 200
