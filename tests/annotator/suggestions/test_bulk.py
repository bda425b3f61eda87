"""Bulk decisions (document and collection, page and API, preview, undo) and one suggestion per
span and label when several suggesters propose it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import (
    Annotation,
    Assignment,
    Event,
    Suggestion,
    SuggestionBulkDecision,
    SuggestionDecision,
    SuggestionStatus,
)
from annotator.suggestions.bulk import bulk_decide, bulk_preview, bulk_undo
from annotator.suggestions.runs import _suggestions_store
from annotator.suggestions.suggesters.base import SpanSuggestion
from tests.factories import (
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    api_for,
    label,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def _suggestions(document, n, score=0.8, slug="sourced"):
    """n suggestions on distinct spans of the document."""
    return [
        SuggestionFactory(
            document=document,
            start=i,
            end=i + 3,
            label=label(slug),
            score=score,
            suggester="sourced",
        )
        for i in range(n)
    ]


def _bulk(user, document, action="accept", min_score=0.5):
    return bulk_decide(
        user=user, action=action, label=label("sourced"), min_score=min_score, document=document
    )


@pytest.mark.django_db
def test_preview_counts_by_label_and_minimum_score(reviewer, document):
    _suggestions(document, 3, score=0.8)
    SuggestionFactory(document=document, start=10, end=14, label=label("sourced"), score=0.3)
    SuggestionFactory(document=document, start=20, end=24, label=label("disputed"), score=0.9)
    count = bulk_preview(user=reviewer, label=label("sourced"), min_score=0.5, document=document)
    assert count == 3
    assert (
        bulk_preview(user=reviewer, label=label("sourced"), min_score=0.0, document=document) == 4
    )


@pytest.mark.django_db
def test_bulk_accept_makes_annotations_history_decisions_and_events(reviewer, document):
    chosen = _suggestions(document, 3)
    low = SuggestionFactory(document=document, start=30, end=34, label=label("sourced"), score=0.2)
    bulk = _bulk(reviewer, document)
    assert bulk.decided == 3
    annotations = Annotation.objects.filter(document=document, created_by=reviewer)
    assert sorted(a.suggestion_id for a in annotations) == sorted(s.pk for s in chosen)
    assert all(a.history.count() == 1 for a in annotations)
    assert set(
        Suggestion.objects.filter(pk__in=[s.pk for s in chosen]).values_list("status", flat=True)
    ) == {"accepted"}
    low.refresh_from_db()
    assert low.status == SuggestionStatus.PENDING
    assert SuggestionDecision.objects.filter(bulk=bulk, reviewer=reviewer).count() == 3
    types = list(Event.objects.filter(document=document).values_list("type", flat=True))
    assert types.count("annotation.created") == 3 and types.count("suggestion.accepted") == 3


@pytest.mark.django_db
def test_bulk_accept_takes_constant_queries(reviewer):
    counts = []
    for n in (1, 2, 12):  # the first warms caches
        document = DocumentFactory(text="x" * 100)
        _suggestions(document, n)
        with CaptureQueriesContext(connection) as queries:
            assert _bulk(reviewer, document).decided == n
        counts.append(len(queries))
    assert counts[1] == counts[2]


@pytest.mark.django_db
def test_bulk_reject_on_a_collection_takes_constant_queries(reviewer):
    counts = []
    for n in (1, 2, 5):  # the first warms caches
        collection = CollectionFactory()
        for i in range(n):
            _suggestions(DocumentFactory(collection=collection, text=f"{'y' * 50} {i}"), 2)
        with CaptureQueriesContext(connection) as queries:
            bulk = bulk_decide(
                user=reviewer,
                action="reject",
                label=label("sourced"),
                min_score=0.5,
                collection=collection,
            )
        assert bulk.decided == 2 * n
        counts.append(len(queries))
    assert counts[1] == counts[2]
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_undo_takes_back_decisions_and_annotations(reviewer, document):
    chosen = _suggestions(document, 2)
    bulk = _bulk(reviewer, document)
    assert bulk_undo(bulk=bulk, user=reviewer).undone == 2
    assert not Annotation.objects.filter(document=document).exists()
    assert not SuggestionDecision.objects.exists()
    assert set(
        Suggestion.objects.filter(pk__in=[s.pk for s in chosen]).values_list("status", flat=True)
    ) == {"pending"}
    assert Annotation.history.filter(history_type="-").count() == 2
    with pytest.raises(Exception, match="already undone"):
        bulk_undo(bulk=bulk, user=reviewer)


@pytest.mark.django_db
def test_bulk_skips_decided_spans_already_annotated_and_final_blind_work(reviewer, other_reviewer):
    blind = CollectionFactory(blind_review=True)
    done_doc = DocumentFactory(collection=blind)
    _suggestions(done_doc, 2)
    Assignment.objects.create(document=done_doc, reviewer=reviewer, status="done")
    open_doc = DocumentFactory(collection=blind)
    _suggestions(open_doc, 2)
    bulk = bulk_decide(
        user=reviewer, action="accept", label=label("sourced"), min_score=0.5, collection=blind
    )
    assert bulk.decided == 2  # the document whose work is final is left alone
    # Blind review: the suggestions stay open to the other reviewer, who decides on their own.
    assert (
        bulk_preview(user=other_reviewer, label=label("sourced"), min_score=0.5, collection=blind)
        == 4
    )
    assert bulk_preview(user=reviewer, label=label("sourced"), min_score=0.5, collection=blind) == 0


@pytest.mark.django_db
def test_page_preview_confirm_and_undo(client, reviewer, document):
    _suggestions(document, 2)
    client.force_login(reviewer)
    preview = client.get(
        reverse("suggestions-bulk-document-preview", args=[document.pk]),
        {"label": "sourced", "min_score": "0.5"},
        **HTMX,
    )
    assert preview.status_code == 200 and "2 open suggestions" in preview.content.decode()
    done = client.post(
        reverse("suggestions-bulk-document", args=[document.pk]),
        {"label": "sourced", "min_score": "0.5", "action": "accept"},
        **HTMX,
    )
    assert done.status_code == 200 and "suggestions-ready" in done["HX-Trigger"]
    assert Annotation.objects.filter(document=document).count() == 2
    bulk = SuggestionBulkDecision.objects.get()
    undone = client.post(reverse("suggestions-bulk-undo", args=[bulk.pk]), **HTMX)
    assert undone.status_code == 200 and "2 decisions taken back" in undone.content.decode()
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_page_names_bad_input(client, reviewer, document):
    client.force_login(reviewer)
    url = reverse("suggestions-bulk-document", args=[document.pk])
    bad = client.post(url, {"label": "sourced", "min_score": "7", "action": "accept"}, **HTMX)
    assert bad.status_code == 422 and "min_score" in bad.content.decode()
    unknown = client.post(url, {"label": "nope", "min_score": "0.5", "action": "accept"}, **HTMX)
    assert unknown.status_code == 422 and "nope" in unknown.content.decode()


@pytest.mark.django_db
def test_collection_page_loads_the_panel(client, lead):
    collection = CollectionFactory()
    client.force_login(lead)
    page = client.get(reverse("review-collection", args=[collection.slug]))
    assert (
        reverse("suggestions-bulk-collection-preview", args=[collection.slug])
        in page.content.decode()
    )
    panel = client.get(
        reverse("suggestions-bulk-collection-preview", args=[collection.slug]), **HTMX
    )
    assert panel.status_code == 200 and 'name="min_score"' in panel.content.decode()


@pytest.mark.django_db
def test_api_preview_decide_undo_and_errors(reviewer, outsider, document):
    _suggestions(document, 3)
    api = api_for(reviewer)
    url = "/api/suggestions/bulk/"
    scope = {"label": "sourced", "min_score": 0.5, "document": document.pk}
    assert api.get(url, scope).json() == {"count": 3}
    made = api.post(url, {**scope, "action": "reject"}, format="json")
    # API work moves the reviewer's assignment like the page does.
    assert Assignment.objects.get(document=document, reviewer=reviewer).status == "in_progress"
    assert made.status_code == 201 and made.json()["decided"] == 3
    assert api.get(url, scope).json() == {"count": 0}
    undo = api.post(f"{url}{made.json()['id']}/undo/")
    assert undo.status_code == 200 and undo.json()["undone"] == 3
    assert undo.json()["kept_annotations"] == []
    assert api.post(f"{url}{made.json()['id']}/undo/").status_code == 409
    missing = api.post(
        url, {"label": "sourced", "min_score": 0.5, "action": "accept"}, format="json"
    )
    assert missing.status_code == 400 and "document" in str(missing.json())
    assert api.post(url, {**scope, "min_score": 2}, format="json").status_code == 400
    assert api_for(outsider).get(url, scope).status_code == 403


@pytest.mark.django_db
def test_one_suggestion_per_span_and_label_keeps_every_rationale(labels, document):
    text = document.text
    results = [
        ("sourced", "3", [SpanSuggestion(0, 6, "sourced", 0.6, "cue: said")]),
        ("learned", "2", [SpanSuggestion(0, 6, "sourced", 0.9, "terms: officials")]),
    ]
    common = {"document_id": document.pk, "text": text, "revision": document.revision}
    assert _suggestions_store(**common, blind=False, results=results, run_id=None, error="") == 1
    merged = Suggestion.objects.get(document=document)
    assert merged.score == 0.9 and merged.suggester == "learned+sourced"
    assert merged.rationale == "learned: terms: officials\nsourced: cue: said"
    # A later run of one of them replaces its own contribution only, not adds a second row.
    again = [("learned", "2", [SpanSuggestion(0, 6, "sourced", 0.7, "terms: x")])]
    _suggestions_store(**common, blind=False, results=again, run_id=None, error="")
    row = Suggestion.objects.get(document=document)
    assert row.suggester == "learned+sourced" and row.score == 0.7
    assert row.rationale == "learned: terms: x\nsourced: cue: said"
    # Another suggester's proposal of an open span is folded into it.
    more = [("propaganda", "1", [SpanSuggestion(0, 6, "sourced", 0.95, "loaded")])]
    _suggestions_store(**common, blind=False, results=more, run_id=None, error="")
    row = Suggestion.objects.get(document=document)
    assert row.suggester == "learned+propaganda+sourced" and row.score == 0.95
    assert row.rationale == "learned: terms: x\npropaganda: loaded\nsourced: cue: said"
