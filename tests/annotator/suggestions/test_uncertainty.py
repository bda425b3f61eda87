"""Documents ordered by model uncertainty: the queue page and the API."""

import re

import pytest

from annotator.suggestions.decisions import suggestion_reject
from annotator.suggestions.selectors import documents_by_uncertainty
from corpus.models import Document
from tests.factories import CollectionFactory, DocumentFactory, SuggestionFactory, api_for


@pytest.fixture
def ranked(reviewer):
    """Documents whose most uncertain open suggestion scores 0.5, 0.45, 0.9, and none."""
    collection = CollectionFactory(slug="news")
    sure, unsure, fairly, none, decided = (
        DocumentFactory(collection=collection, title=title)
        for title in ("Sure", "Unsure", "Fairly", "None", "Decided")
    )
    SuggestionFactory(document=sure, score=0.9)
    SuggestionFactory(document=sure, score=0.99, start=7, end=10)
    SuggestionFactory(document=unsure, score=0.5)
    SuggestionFactory(document=fairly, score=0.45)
    SuggestionFactory(document=fairly, score=0.05, start=7, end=10)
    # A suggestion the reviewer already decided no longer makes its document uncertain.
    suggestion_reject(suggestion=SuggestionFactory(document=decided, score=0.5), user=reviewer)
    SuggestionFactory(document=decided, score=0.95, start=7, end=10)
    return [unsure, fairly, sure, decided, none]


def test_documents_by_uncertainty_puts_scores_nearest_one_half_first(ranked, reviewer):
    ordered = list(documents_by_uncertainty(Document.objects.all(), user=reviewer))
    assert ordered == ranked
    assert [round(d.uncertainty, 2) for d in ordered] == [1.0, 0.9, 0.2, 0.1, -1.0]


def test_queue_orders_by_uncertainty_on_request(
    client, reviewer, ranked, django_assert_max_num_queries
):
    client.force_login(reviewer)
    with django_assert_max_num_queries(10):
        html = client.get("/", {"order": "uncertainty"}).content.decode()
    shown = [int(pk) for pk in re.findall(r'<tr class="queue-row" data-document="(\d+)"', html)]
    assert shown == [d.pk for d in ranked]
    assert '<option value="uncertainty" selected>' in html
    # Without the request (or with an unknown order) the queue stays in collection order.
    for params in ({}, {"order": "bogus"}):
        html = client.get("/", params).content.decode()
        shown = [int(pk) for pk in re.findall(r'<tr class="queue-row" data-document="(\d+)"', html)]
        assert shown == sorted(d.pk for d in ranked)


def test_api_lists_documents_by_uncertainty(reviewer, ranked):
    api = api_for(reviewer)
    response = api.get("/api/documents/", {"ordering": "-uncertainty"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [d.pk for d in ranked]
    response = api.get("/api/documents/", {"ordering": "uncertainty"})
    assert [row["id"] for row in response.json()["results"]] == [d.pk for d in reversed(ranked)]
