"""The claims page of a collection (filters, counts, blind review, constant queries) and the
lead's queue of verdicts to publish (checklist, publish, conflicts)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.claims.verdicts import verdict_save
from annotator.models import DeskRule, Evidence, Rating, RuleKind, Verdict
from tests.factories import AnnotationFactory, CollectionFactory, DocumentFactory, label

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def source(claim, user, stance="refutes", archived=False):
    return Evidence.objects.create(
        annotation=claim,
        created_by=user,
        url=f"https://example.org/{Evidence.objects.count()}",
        stance=stance,
        archive_status="archived" if archived else "queued",
    )


def claim_in(document, user, slug="disputed", start=0):
    return AnnotationFactory(
        document=document, created_by=user, label=label(slug), start=start, end=start + 6
    )


@pytest.fixture
def desk(db):
    return CollectionFactory(slug="desk", name="Desk")


@pytest.fixture
def claims(desk, reviewer, other_reviewer):
    """Four claims in the desk collection: sources only, a draft, one in review, a bare tag."""
    document = DocumentFactory(collection=desk, title="Dam report")
    sourced = claim_in(document, reviewer, start=0)
    source(sourced, reviewer)
    drafted = claim_in(document, reviewer, "propaganda", start=10)
    verdict_save(annotation=drafted, user=reviewer, rating="False", claim_reviewed="drafted")
    proposed = claim_in(document, other_reviewer, start=20)
    source(proposed, other_reviewer, archived=True)
    verdict_save(
        annotation=proposed,
        user=other_reviewer,
        rating="Mostly false",
        claim_reviewed="proposed",
        propose=True,
    )
    bare = claim_in(document, reviewer, start=30)
    return {"sourced": sourced, "drafted": drafted, "proposed": proposed, "bare": bare}


def rows(response) -> list[int]:
    html = response.content.decode()
    return sorted(
        int(part.split('"')[0]) for part in html.split('class="claim-row" data-claim="')[1:]
    )


def test_lists_claims_with_sources_or_verdicts_and_counts(client, lead, claims):
    client.force_login(lead)
    response = client.get("/claims/collections/desk/")
    assert response.status_code == 200
    assert rows(response) == sorted(c.pk for k, c in claims.items() if k != "bare")
    html = response.content.decode()
    assert '<strong id="claims-count">3</strong> claims' in html
    assert "Draft 1" in html and "In review 1" in html and "No verdict 1" in html
    assert ">Disputed (2)</option>" in html and ">Propaganda (1)</option>" in html
    assert ">omar (1)</option>" in html and ">rita (2)</option>" in html
    assert "(1 archived)" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("label=propaganda", ["drafted"]),
        ("state=in_review", ["proposed"]),
        ("state=none", ["sourced"]),
        ("reviewer=rita", ["sourced", "drafted"]),
        ("label=disputed&reviewer=rita", ["sourced"]),
        ("state=published", []),
    ],
)
def test_filters(client, lead, claims, query, expected):
    client.force_login(lead)
    response = client.get(f"/claims/collections/desk/?{query}", **HX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()  # the htmx partial alone
    assert rows(response) == sorted(claims[name].pk for name in expected)
    assert ("No claims match." in response.content.decode()) == (not expected)


def test_rating_filter_and_counts_of_the_other_facets(client, lead, claims):
    client.force_login(lead)
    rating = Rating.objects.get(name="Mostly false")
    html = client.get(f"/claims/collections/desk/?rating={rating.pk}").content.decode()
    assert '<strong id="claims-count">1</strong> claim' in html
    # Each facet counts what its own values would show with the other filters kept.
    assert f'<option value="{rating.pk}" selected>Mostly false (1)</option>' in html
    assert ">False (1)</option>" in html
    assert ">Disputed (1)</option>" in html and "Propaganda" not in html


@pytest.mark.parametrize(
    ("query", "named"), [("rating=abc", "rating"), ("state=done", "state"), ("page=0", "page")]
)
def test_bad_filter_is_a_400_naming_it(client, lead, claims, query, named):
    client.force_login(lead)
    response = client.get(f"/claims/collections/desk/?{query}")
    assert response.status_code == 400
    assert f"Bad filter: {named}:" in response.content.decode()


def test_unknown_collection_is_404_and_outsider_403(client, lead, outsider):
    client.force_login(lead)
    assert client.get("/claims/collections/nope/").status_code == 404
    client.force_login(outsider)
    assert client.get("/claims/").status_code == 403


def test_index_lists_every_collection_with_counts(client, lead, claims):
    other = DocumentFactory(collection=CollectionFactory(slug="wire", name="Wire"))
    source(claim_in(other, lead), lead)
    client.force_login(lead)
    html = client.get("/claims/").content.decode()
    assert '<a href="/claims/collections/desk/">Desk</a> <span class="muted">(3)</span>' in html
    assert '<a href="/claims/collections/wire/">Wire</a> <span class="muted">(1)</span>' in html
    assert len(rows(client.get("/claims/"))) == 4


def test_blind_review_shows_reviewers_only_their_own(
    client, desk, reviewer, other_reviewer, claims
):
    desk.blind_review = True
    desk.save()
    client.force_login(other_reviewer)
    response = client.get("/claims/collections/desk/")
    assert rows(response) == [claims["proposed"].pk]
    assert "rita" not in response.content.decode()


def test_queries_do_not_grow_with_claims(client, lead, desk, reviewer):
    document = DocumentFactory(collection=desk)
    client.force_login(lead)

    def add(n):
        for i in range(n):
            claim = claim_in(document, reviewer)
            source(claim, reviewer, archived=bool(i % 2))
            verdict_save(annotation=claim, user=reviewer, rating="False", claim_reviewed="x")

    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get("/claims/collections/desk/")
    add(20)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/claims/collections/desk/")
    assert len(rows(response)) == 22
    assert len(many.captured_queries) == len(few.captured_queries)


def test_queue_and_review_pages_link_to_the_claims_page(client, lead, desk, claims):
    client.force_login(lead)
    assert 'href="/claims/collections/desk/"' in client.get("/").content.decode()
    assert (
        'href="/claims/collections/desk/"'
        in client.get("/review/collections/desk/").content.decode()
    )
    assert 'href="/claims/">Claims</a>' in client.get("/").content.decode()


# The lead's queue of verdicts to publish ---------------------------------------------------


@pytest.fixture
def rules(desk):
    DeskRule.objects.create(
        collection=desk,
        label=label("disputed"),
        kind=RuleKind.MIN_SOURCES,
        stances=["refutes", "context"],
        message="A disputed claim needs a refuting or context source",
    )
    DeskRule.objects.create(
        collection=desk, kind=RuleKind.FIELD_FILLED, field="explanation", message="Explain it"
    )


def test_reviewer_cannot_open_the_queue(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/claims/to-publish/")
    assert response.status_code == 403


def test_queue_shows_in_review_verdicts_with_their_checklist(client, lead, claims, rules):
    client.force_login(lead)
    html = " ".join(client.get("/claims/to-publish/").content.decode().split())
    assert f'id="pv-{claims["proposed"].pk}"' in html
    assert f'id="pv-{claims["drafted"].pk}"' not in html  # drafts are not waiting
    assert "Passed:</span> A disputed claim needs a refuting or context source" in html
    assert "Missing:</span> Explain it" in html
    assert 'class="primary publish-button"' in html


def test_publish_from_the_queue_enforces_the_rules(client, lead, claims, rules):
    client.force_login(lead)
    url = f"/claims/to-publish/{claims['proposed'].pk}/"
    version = Verdict.objects.get(annotation=claims["proposed"]).version
    refused = client.post(url, {"version": version}, **HX)
    assert refused.status_code == 422
    assert "Cannot publish yet: Explain it (explanation is empty)." in refused.content.decode()
    Verdict.objects.filter(annotation=claims["proposed"]).update(explanation="Only 300 left.")
    published = client.post(url, {"version": version}, **HX)
    assert published.status_code == 200
    assert "Published: Mostly false · proposed" in published.content.decode()
    assert "Nothing waits to be published." in published.content.decode()
    verdict = Verdict.objects.get(annotation=claims["proposed"])
    assert (verdict.state, verdict.published_by) == ("published", lead)


def test_publish_with_a_stale_version_is_409(client, lead, claims):
    client.force_login(lead)
    url = f"/claims/to-publish/{claims['proposed'].pk}/"
    response = client.post(url, {"version": 99}, **HX)
    assert response.status_code == 409
    assert "changed meanwhile" in response.content.decode()
    assert client.post(url, {}, **HX).status_code == 422


def test_publish_without_javascript_goes_back_to_the_queue(client, lead, claims):
    client.force_login(lead)
    version = Verdict.objects.get(annotation=claims["proposed"]).version
    response = client.post(
        f"/claims/to-publish/{claims['proposed'].pk}/", {"version": version, "collection": "desk"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/claims/to-publish/?collection=desk"


def test_queue_bad_collection_is_a_400(client, lead):
    client.force_login(lead)
    assert client.get("/claims/to-publish/?collection=a%20b").status_code == 400


def test_queue_queries_do_not_grow_with_verdicts(client, lead, desk, reviewer, rules):
    document = DocumentFactory(collection=desk)
    client.force_login(lead)

    def propose(n):
        for _ in range(n):
            claim = claim_in(document, reviewer)
            source(claim, reviewer)
            verdict_save(
                annotation=claim, user=reviewer, rating="False", claim_reviewed="x", propose=True
            )

    propose(2)
    with CaptureQueriesContext(connection) as few:
        client.get("/claims/to-publish/")
    propose(15)
    with CaptureQueriesContext(connection) as many:
        html = client.get("/claims/to-publish/").content.decode()
    assert html.count('class="primary publish-button"') == 17
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_verdicts_address_opens_its_claim(client, lead, other_reviewer, desk, claims):
    verdict = Verdict.objects.get(annotation=claims["drafted"])
    client.force_login(lead)
    response = client.get(f"/claims/verdicts/{verdict.pk}/")
    assert response["Location"] == f"/claims/annotations/{claims['drafted'].pk}/"
    desk.blind_review = True
    desk.save()
    client.force_login(other_reviewer)
    assert client.get(f"/claims/verdicts/{verdict.pk}/").status_code == 404
