"""Re-anchoring on a new revision (the task body), and a reviewer's decisions on the result."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotator.anchoring.services import (
    anchor_confirm,
    anchor_discard,
    anchor_replace,
    document_reanchor,
)
from annotator.annotations.selectors import annotation_list
from annotator.annotations.services import annotation_create
from annotator.models import Annotation, Suggestion, SuggestionStatus
from annotator.suggestions.decisions import suggestion_accept
from annotator.suggestions.selectors import suggestion_pending_list
from corpus.services import document_update
from tests.annotator.anchoring.conftest import NEW, OLD, span
from tests.factories import DocumentFactory, SuggestionFactory


def test_unchanged_span_sits_on_the_same_words(revised):
    document, same, *_ = revised
    assert document.text[same.start : same.end] == same.quote == "Rescue teams from שלום arrived"
    assert (same.revision, same.anchor_state) == (2, "anchored")
    assert same.anchor_method in ("diff", "quote") and same.anchor_confidence > 0.5


def test_edited_span_moves_to_the_edited_words_flagged(revised):
    document, _, edited, *_ = revised
    assert edited.quote == "Officials said 14 people died in the storm"
    assert document.text[edited.start : edited.end] == edited.quote
    assert (edited.revision, edited.anchor_state, edited.anchor_method) == (
        2,
        "text_changed",
        "fuzzy",
    )


def test_deleted_span_is_an_orphan_kept_on_its_old_revision(revised):
    document, *_, deleted, summary = revised
    assert (deleted.anchor_state, deleted.revision) == ("orphan", 1)
    old_text = document.revisions.get(number=1).text
    assert old_text[deleted.start : deleted.end] == deleted.quote
    assert summary.count("orphan") == 1
    # Not shown on the current text.
    assert deleted.pk not in {a.pk for a in annotation_list(document=document)}


def test_history_records_every_move(revised):
    _, same, edited, deleted, _ = revised
    reasons = list(
        Annotation.history.filter(id=edited.pk)
        .order_by("history_id")
        .values_list("history_change_reason", "quote")
    )
    assert reasons[-1] == ("re-anchored to revision 2", edited.quote)
    assert reasons[0][1] == "Officials said 12 people died in the storm"
    assert Annotation.history.filter(id=deleted.pk, anchor_state="orphan").exists()


def test_running_twice_changes_nothing(revised):
    document, *_ = revised
    before = Annotation.history.count()
    summary = document_reanchor(document_id=document.pk)
    # Only the orphan is tried again (its text may come back); it stays one, unrecorded.
    assert [p.state for p in summary.placements.values()] == ["orphan"]
    assert Annotation.history.count() == before


def test_orphan_returns_when_its_text_comes_back(revised):
    document, *_, deleted, _ = revised
    document_update(document=document, text=OLD)
    document_reanchor(document_id=document.pk)
    deleted.refresh_from_db()
    assert (deleted.anchor_state, deleted.revision) == ("anchored", 3)
    assert document.text == OLD or deleted.quote in OLD


def test_gone_document_is_a_no_op(db):
    assert document_reanchor(document_id=987654) is None


def test_stale_suggestions_move_or_are_dropped_and_never_tag_wrong_text(db, reviewer, settings):
    settings.SUGGEST_ON_IMPORT = False
    document = DocumentFactory(text=OLD)
    kept = SuggestionFactory(
        document=document,
        start=OLD.index("heroic goalkeeper"),
        end=OLD.index("heroic goalkeeper") + len("heroic goalkeeper"),
        quote="heroic goalkeeper",
    )
    start = OLD.index("fully prepared")
    dropped = SuggestionFactory(
        document=document, start=start, end=start + len("fully prepared"), quote="fully prepared"
    )
    document_update(document=document, text=NEW)
    document.refresh_from_db()
    # Before the re-anchoring runs, the stale suggestion is neither listed nor acceptable.
    assert not suggestion_pending_list(document=document, user=reviewer).exists()
    with pytest.raises(ValidationError, match="revised after this suggestion"):
        suggestion_accept(suggestion=kept, user=reviewer)
    summary = document_reanchor(document_id=document.pk)
    assert (summary.suggestions_moved, summary.suggestions_dropped) == (1, 1)
    assert not Suggestion.objects.filter(pk=dropped.pk).exists()
    annotation = suggestion_accept(suggestion=Suggestion.objects.get(pk=kept.pk), user=reviewer)
    assert annotation.quote == "heroic goalkeeper"
    assert document.text[annotation.start : annotation.end] == "heroic goalkeeper"
    assert annotation.revision == 2
    assert Suggestion.objects.get(pk=kept.pk).status == SuggestionStatus.ACCEPTED


def test_annotation_on_a_stale_copy_of_the_document_is_refused(db, reviewer):
    document = DocumentFactory(text=OLD)
    stale = type(document).objects.get(pk=document.pk)
    document_update(document=document, text=NEW)
    with pytest.raises(ValidationError) as exc:
        annotation_create(document=stale, created_by=reviewer, start=0, end=5, label="sourced")
    assert "revised" in exc.value.message_dict["revision"][0]


def test_reviewer_confirms_replaces_and_discards(revised, reviewer):
    document, _, edited, deleted, _ = revised
    confirmed = anchor_confirm(annotation=edited, user=reviewer)
    assert (confirmed.anchor_state, confirmed.anchor_method) == ("anchored", "reviewer")
    start = document.text.index("Editor's note")
    placed = anchor_replace(annotation=deleted, user=reviewer, start=start, end=start + 13)
    assert (placed.quote, placed.revision, placed.anchor_state) == ("Editor's note", 2, "anchored")
    with pytest.raises(ValidationError):
        anchor_discard(annotation=placed, user=reviewer)  # anchored spans are not discarded here
    orphan = span(document, "Storm hits", created_by=reviewer, anchor_state="orphan")
    anchor_discard(annotation=orphan, user=reviewer)
    assert not Annotation.objects.filter(pk=orphan.pk).exists()
    assert Annotation.history.filter(
        id=orphan.pk, history_change_reason="discarded after a revision"
    ).exists()


def test_replace_checks_the_span_on_the_server(revised, reviewer):
    document, *_, deleted, _ = revised
    with pytest.raises(ValidationError):
        anchor_replace(annotation=deleted, user=reviewer, start=0, end=5, quote="other")
    with pytest.raises(ValidationError):
        anchor_replace(annotation=deleted, user=reviewer, start=0, end=len(document.text) + 1)


def test_other_reviewer_cannot_decide(revised, other_reviewer):
    _, _, edited, *_ = revised
    with pytest.raises(PermissionDenied):
        anchor_confirm(annotation=edited, user=other_reviewer)
