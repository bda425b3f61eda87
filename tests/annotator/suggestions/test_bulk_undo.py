"""Undoing a bulk decision: a constant number of queries, and annotations that gained
evidence, a verdict or an edit since are kept (and said so)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import (
    Annotation,
    Event,
    Evidence,
    Rating,
    Suggestion,
    SuggestionDecision,
    Verdict,
)
from annotator.suggestions.bulk import bulk_decide, bulk_undo
from tests.factories import DocumentFactory, SuggestionFactory, api_for, label


def _accepted(user, n):
    document = DocumentFactory(text="word " * (n + 5))
    for i in range(n):
        SuggestionFactory(
            document=document, start=5 * i, end=5 * i + 4, label=label("sourced"), score=0.9
        )
    bulk = bulk_decide(
        user=user, action="accept", label=label("sourced"), min_score=0.5, document=document
    )
    assert bulk.decided == n
    return document, bulk


def _statements(queries) -> int:
    """Queries, counting an INSERT split into batches once (SQLite allows 999 parameters per
    statement; PostgreSQL inserts the 50 history rows in one)."""
    sql = [q["sql"] for q in queries.captured_queries]
    return sum(
        1
        for i, q in enumerate(sql)
        if not (i and q.startswith("INSERT") and sql[i - 1][:60] == q[:60])
    )


@pytest.mark.django_db
def test_undo_takes_the_same_queries_for_5_and_50_suggestions(reviewer):
    counts = []
    for n in (2, 5, 50):  # the first warms caches
        document, bulk = _accepted(reviewer, n)
        with CaptureQueriesContext(connection) as queries:
            assert bulk_undo(bulk=bulk, user=reviewer).undone == n
        counts.append(_statements(queries))
        assert not Annotation.objects.filter(document=document).exists()
        assert Annotation.history.filter(document_id=document.pk, history_type="-").count() == n
        deleted = Event.objects.filter(document=document, type="annotation.deleted")
        assert deleted.count() == n
        assert set(
            Suggestion.objects.filter(document=document).values_list("status", flat=True)
        ) == {"pending"}
    assert counts[1] == counts[2], counts


@pytest.mark.django_db
def test_undo_keeps_annotations_with_evidence_a_verdict_or_an_edit(reviewer, lead):
    document, bulk = _accepted(reviewer, 4)
    first, second, third, fourth = Annotation.objects.filter(document=document).order_by("start")
    Evidence.objects.create(
        annotation=first, url="https://example.org/a", stance="supports", created_by=reviewer
    )
    rating = Rating.objects.first() or Rating.objects.create(name="False", value=1)
    Verdict.objects.create(
        annotation=second, rating=rating, claim_reviewed="x", proposed_by=reviewer
    )
    Annotation.objects.filter(pk=third.pk).update(version=2, note="checked")

    result = bulk_undo(bulk=bulk, user=reviewer)

    assert result.undone == 1 and result.kept == sorted([first.pk, second.pk, third.pk])
    assert set(Annotation.objects.filter(document=document)) == {first, second, third}
    assert Evidence.objects.filter(annotation=first).exists()
    assert Verdict.objects.filter(annotation=second).exists()
    # The kept annotations keep the decisions that made them; the other suggestion reopens.
    kept = SuggestionDecision.objects.filter(annotation__in=[first, second, third])
    assert kept.count() == 3
    assert Suggestion.objects.get(pk=fourth.suggestion_id).status == "pending"
    assert Suggestion.objects.get(pk=first.suggestion_id).status == "accepted"


@pytest.mark.django_db
def test_api_and_page_say_which_annotations_were_kept(client, reviewer):
    document, bulk = _accepted(reviewer, 2)
    annotation = Annotation.objects.filter(document=document).first()
    Evidence.objects.create(
        annotation=annotation, url="https://example.org/a", stance="refutes", created_by=reviewer
    )
    response = api_for(reviewer).post(f"/api/suggestions/bulk/{bulk.pk}/undo/")
    assert response.status_code == 200
    assert response.json()["undone"] == 1
    assert response.json()["kept_annotations"] == [annotation.pk]

    document, bulk = _accepted(reviewer, 2)
    annotation = Annotation.objects.filter(document=document).first()
    Evidence.objects.create(
        annotation=annotation, url="https://example.org/b", stance="refutes", created_by=reviewer
    )
    client.force_login(reviewer)
    page = client.post(reverse("suggestions-bulk-undo", args=[bulk.pk]), HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 decision taken back" in text and "1 annotation kept" in text


def test_undo_handles_every_row_that_refers_to_an_annotation():
    # bulk_undo deletes annotations without Django's cascade: a new relation must be handled.
    related = {
        f"{r.related_model.__name__}.{r.field.name}"
        for r in Annotation._meta.get_fields(include_hidden=True)
        if r.auto_created and not r.concrete
        if not r.related_model.__name__.startswith("Historical")
    }
    assert related == {
        "Evidence.annotation",
        "Verdict.annotation",
        "SuggestionDecision.annotation",
    }
