"""Agreement, adjudication and claims on a document whose text was revised.

Two reviewers tag the same three sentences; the article then gets a paragraph above them,
one sentence edited and one deleted. Spans re-anchored to the new text are compared there,
orphans are left out of agreement and counted, the final set refers to the current revision
and a claim's evidence and verdict stay on their re-anchored annotation.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotator.anchoring.services import anchor_discard, anchor_replace, document_reanchor
from annotator.annotations.services import annotation_create
from annotator.models import Annotation, Assignment, AssignmentStatus
from annotator.models.claims import Evidence, Rating, Verdict
from annotator.review.services import (
    agreement_report_refresh,
    document_spans,
    final_annotation_create,
)
from corpus.services import document_update
from tests.factories import DocumentFactory, label

KEPT = "The minister said unemployment fell last year"
EDITED = "Officials said 12 people died in the storm"
DELETED = "The mayor claimed the city was fully prepared"
OLD = f"Storm report\n\n{KEPT}.\n\n{EDITED} on Tuesday.\n\n{DELETED} for the disaster.\n"
NEW = (
    "Storm report\n\nEditor's note: corrected on Wednesday.\n\n"
    f"{KEPT}.\n\nOfficials said 14 people died in the storm on Tuesday.\n"
)


def _tag(document, user, quote, slug="sourced"):
    start = document.text.index(quote)
    return annotation_create(
        document=document,
        created_by=user,
        start=start,
        end=start + len(quote),
        label=label(slug),
    )


@pytest.fixture
def two_reviewers(db, reviewer, other_reviewer):
    """Both reviewers tag the three sentences (done), then the text is revised and re-anchored."""
    document = DocumentFactory(text=OLD)
    spans = {
        user.username: [_tag(document, user, q) for q in (KEPT, EDITED, DELETED)]
        for user in (reviewer, other_reviewer)
    }
    for user in (reviewer, other_reviewer):
        Assignment.objects.create(document=document, reviewer=user, status=AssignmentStatus.DONE)
    document_update(document=document, text=NEW)
    return document, spans


def test_spans_not_re_anchored_yet_are_left_out_not_compared_at_stale_offsets(two_reviewers):
    document, _ = two_reviewers
    # The re-anchoring task has not run: every span still refers to revision 1.
    spans = document_spans(document=document)
    assert (spans.revision, spans.excluded) == (2, 6)
    assert all(not s for s in spans.coders.values())


def test_agreement_compares_re_anchored_spans_on_the_new_revision_orphans_counted(
    two_reviewers, reviewer
):
    document, _ = two_reviewers
    document_reanchor(document_id=document.pk)
    spans = document_spans(document=document)
    assert (spans.revision, spans.excluded) == (2, 2)  # each reviewer's deleted sentence
    kept_start = NEW.index(KEPT)
    edited_start = NEW.index("Officials said 14")
    for coder in spans.coders.values():
        assert sorted(coder) == [
            (kept_start, kept_start + len(KEPT), "sourced"),
            (edited_start, edited_start + len(EDITED), "sourced"),
        ]
    report = agreement_report_refresh(collection_id=document.collection_id).data
    assert report["overall"]["spans_excluded"] == 2
    assert report["overall"]["f1_exact"] == 1.0  # the same re-anchored spans, compared there
    (row,) = report["documents"]
    assert (row["revision"], row["spans"], row["spans_excluded"]) == (2, 4, 2)


def test_orphan_placed_again_by_a_reviewer_counts_again(two_reviewers, reviewer):
    document, spans = two_reviewers
    document_reanchor(document_id=document.pk)
    orphan = Annotation.objects.get(pk=spans[reviewer.username][2].pk)
    assert orphan.anchor_state == "orphan"
    start = NEW.index("Storm report")
    anchor_replace(annotation=orphan, user=reviewer, start=start, end=start + 12)
    assert document_spans(document=document).excluded == 1


def test_final_set_refers_to_the_current_revision(two_reviewers, reviewer, lead):
    document, spans = two_reviewers
    document_reanchor(document_id=document.pk)
    document.refresh_from_db()
    kept, edited, deleted = (Annotation.objects.get(pk=a.pk) for a in spans[reviewer.username])
    final = final_annotation_create(
        document=document, decided_by=lead, from_ids=[kept.pk], revision=2
    )
    assert (final.revision, final.quote, final.is_final) == (2, KEPT, True)
    assert edited.anchor_state == "text_changed"
    from_edited = final_annotation_create(document=document, decided_by=lead, from_ids=[edited.pk])
    assert from_edited.quote == "Officials said 14 people died in the storm"
    with pytest.raises(ValidationError, match="not placed on revision 2"):
        final_annotation_create(document=document, decided_by=lead, from_ids=[deleted.pk])
    # Offsets a lead read on revision 1's page are refused, not saved against other text.
    with pytest.raises(ValidationError, match="this page showed 1"):
        final_annotation_create(
            document=document, decided_by=lead, start=0, end=5, label="sourced", revision=1
        )
    assert set(Annotation.objects.filter(is_final=True).values_list("revision", flat=True)) == {2}


def test_claim_evidence_and_verdict_stay_on_the_re_anchored_annotation(db, reviewer):
    document = DocumentFactory(text=OLD)
    claim = _tag(document, reviewer, EDITED, "disputed")
    orphan = _tag(document, reviewer, DELETED, "disputed")
    rating, _ = Rating.objects.get_or_create(name="False", defaults={"value": 1})
    for annotation in (claim, orphan):
        Evidence.objects.create(
            annotation=annotation,
            url="https://example.org/report",
            stance="refutes",
            excerpt="The report counts 14 deaths.",
            created_by=reviewer,
        )
    Verdict.objects.create(
        annotation=claim, rating=rating, claim_reviewed=EDITED, proposed_by=reviewer
    )
    document_update(document=document, text=NEW)
    document_reanchor(document_id=document.pk)
    claim.refresh_from_db()
    assert (claim.anchor_state, claim.revision) == ("text_changed", 2)
    assert claim.evidence.get().excerpt == "The report counts 14 deaths."
    assert claim.verdict.rating == rating
    # An orphaned claim keeps its evidence; discarding it would delete them, so it is refused.
    orphan.refresh_from_db()
    assert orphan.anchor_state == "orphan" and orphan.evidence.count() == 1
    with pytest.raises(ValidationError, match="1 evidence item"):
        anchor_discard(annotation=orphan, user=reviewer)
    assert Annotation.objects.filter(pk=orphan.pk).exists()


def test_compare_page_says_which_revision_and_lists_spans_left_out(client, two_reviewers, lead):
    document, spans = two_reviewers
    document_reanchor(document_id=document.pk)
    client.force_login(lead)
    url = reverse("review-compare", args=[document.pk])
    page = client.get(url).content.decode()
    assert "Comparing on revision 2 of the text" in page
    assert "2 spans not on this revision, not compared" in page
    assert page.count('data-elsewhere="') == 2
    assert page.count('data-anchor="text_changed"') == 2
    assert page.count('name="revision" value="2"') >= 3
    # A form posted from a page that showed revision 1 is refused with the reason.
    kept = next(iter(spans.values()))[0]
    response = client.post(
        reverse("review-final-add", args=[document.pk]),
        {"from_ids": [kept.pk], "revision": 1},
        follow=True,
    )
    assert "this page showed 1" in response.content.decode()
    assert not Annotation.objects.filter(is_final=True).exists()
