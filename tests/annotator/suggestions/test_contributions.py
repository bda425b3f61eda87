"""One suggestion per span and label: each suggester's contribution is kept, and a re-run of
one suggester replaces its own contribution only."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from annotator.models import Suggestion
from annotator.suggestions.runs import _suggestions_store, suggestions_create
from annotator.suggestions.suggesters.base import SpanSuggestion
from tests.factories import SuggestionFactory, api_for, label


def _store(document, results):
    return _suggestions_store(
        document_id=document.pk,
        text=document.text,
        revision=document.revision,
        blind=False,
        results=results,
        run_id=None,
        error="",
    )


@pytest.mark.django_db
def test_rerun_of_the_rules_keeps_the_learned_contribution(client, reviewer, document):
    # The real `sourced` rules find the attribution; the learned model proposes the same span.
    suggestions_create(document_id=document.pk, suggester="sourced")
    rule = Suggestion.objects.filter(document=document, suggester="sourced").first()
    assert rule is not None and rule.contributions["sourced"]["rationale"] == rule.rationale
    span = SpanSuggestion(rule.start, rule.end, "sourced", 0.93, "strongest words: said.")
    _store(document, [("learned", "4", [span])])
    before = Suggestion.objects.filter(document=document).count()

    suggestions_create(document_id=document.pk, suggester="sourced")

    assert Suggestion.objects.filter(document=document).count() == before
    row = Suggestion.objects.get(document=document, start=rule.start, end=rule.end)
    assert set(row.contributions) == {"learned", "sourced"}
    assert row.contributions["learned"] == {
        "score": 0.93,
        "rationale": "strongest words: said.",
        "version": "4",
    }
    assert row.suggester == "learned+sourced" and row.score == 0.93
    assert row.suggester_version == "4"
    # The rationale list on the document page and in the API shows every suggester's reason.
    client.force_login(reviewer)
    page = client.get(reverse("annotator-document", args=[document.pk])).content.decode()
    assert "learned: strongest words: said." in page
    assert escape(f"sourced: {rule.rationale}") in page
    data = api_for(reviewer).get(f"/api/suggestions/{row.pk}/").json()
    assert set(data["contributions"]) == {"learned", "sourced"}
    assert data["rationale"].split("\n") == [
        "learned: strongest words: said.",
        f"sourced: {rule.rationale}",
    ]


@pytest.mark.django_db
def test_a_suggester_that_no_longer_proposes_a_span_leaves_the_others(labels, document):
    both = [
        ("learned", "4", [SpanSuggestion(0, 6, "sourced", 0.9, "words")]),
        ("sourced", "3", [SpanSuggestion(0, 6, "sourced", 0.6, "cue: said")]),
    ]
    _store(document, both)
    _store(document, [("learned", "5", [])])  # the new model does not propose it
    row = Suggestion.objects.get(document=document)
    assert row.suggester == "sourced" and row.score == 0.6 and row.rationale == "cue: said"
    assert list(row.contributions) == ["sourced"]
    _store(document, [("sourced", "3", [])])  # nobody proposes it any more
    assert not Suggestion.objects.filter(document=document).exists()


@pytest.mark.django_db
def test_a_suggestion_stored_before_contributions_is_read_back(labels, document):
    SuggestionFactory(
        document=document,
        start=0,
        end=6,
        label=label("sourced"),
        score=0.8,
        suggester="learned+sourced",
        suggester_version="2",
        rationale="learned: words\nsourced: cue: said",
        contributions={},
    )
    _store(document, [("learned", "3", [SpanSuggestion(0, 6, "sourced", 0.7, "new words")])])
    row = Suggestion.objects.get(document=document)
    assert row.contributions["sourced"]["rationale"] == "cue: said"
    assert row.rationale == "learned: new words\nsourced: cue: said"
