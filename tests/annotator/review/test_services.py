import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotator.annotations.queue_selectors import document_fingerprint, queue_counts
from annotator.annotations.selectors import annotation_list, document_list_for_user
from annotator.annotations.services import annotation_create, annotation_update
from annotator.api.exports import iter_records
from annotator.models import (
    AgreementReport,
    Annotation,
    Assignment,
    AssignmentStatus,
    Suggestion,
    SuggestionStatus,
)
from annotator.review.services import (
    agreement_report_refresh,
    assignment_create,
    assignment_mark_done,
    assignment_start,
    collection_assign_round_robin,
    documents_assign,
    final_annotation_create,
    final_annotation_delete,
)
from annotator.review.tasks import agreement_report_refresh as agreement_task
from annotator.suggestions.decisions import suggestion_accept, suggestion_reject
from annotator.suggestions.runs import suggestions_create
from annotator.suggestions.selectors import suggestion_pending_list, suggestion_precision_table
from tests.factories import (
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    UserFactory,
    label,
)


@pytest.fixture
def third_reviewer(db):
    return UserFactory(username="tara", role="reviewer")


def _tag(document, user, word, label):
    start = document.text.index(word)
    return annotation_create(
        document=document, created_by=user, start=start, end=start + len(word), label=label
    )


def test_lead_assigns_document_once(lead, reviewer, document):
    first = assignment_create(document=document, reviewer=reviewer, assigned_by=lead)
    again = assignment_create(document=document, reviewer=reviewer, assigned_by=lead)
    assert first.pk == again.pk
    assert first.assigned_by == lead and first.status == AssignmentStatus.ASSIGNED
    assert first.history.count() == 1


def test_reviewer_cannot_assign(reviewer, other_reviewer, document):
    with pytest.raises(PermissionDenied):
        assignment_create(document=document, reviewer=other_reviewer, assigned_by=reviewer)
    assert not Assignment.objects.exists()


def test_user_without_role_cannot_be_assigned(lead, outsider, document):
    with pytest.raises(ValidationError, match="otto"):
        assignment_create(document=document, reviewer=outsider, assigned_by=lead)


def test_round_robin_gives_each_document_k_distinct_reviewers(
    lead, reviewer, other_reviewer, third_reviewer
):
    collection = CollectionFactory()
    documents = DocumentFactory.create_batch(6, collection=collection)
    reviewers = [reviewer, other_reviewer, third_reviewer]
    created = collection_assign_round_robin(
        collection=collection, reviewers=reviewers, k=2, assigned_by=lead
    )
    assert created == 12
    for document in documents:
        assigned = set(document.assignments.values_list("reviewer_id", flat=True))
        assert len(assigned) == 2
    loads = [Assignment.objects.filter(reviewer=r).count() for r in reviewers]
    assert loads == [4, 4, 4]
    assert Assignment.history.count() == 12  # every assignment is traceable
    # Running it again fills nothing; raising k fills only the gap.
    assert (
        collection_assign_round_robin(
            collection=collection, reviewers=reviewers, k=2, assigned_by=lead
        )
        == 0
    )
    assert (
        collection_assign_round_robin(
            collection=collection, reviewers=reviewers, k=3, assigned_by=lead
        )
        == 6
    )


def test_round_robin_refuses_k_larger_than_reviewers(lead, reviewer):
    collection = CollectionFactory()
    DocumentFactory(collection=collection)
    with pytest.raises(ValidationError, match="between 1 and 1"):
        collection_assign_round_robin(
            collection=collection, reviewers=[reviewer], k=2, assigned_by=lead
        )
    assert not Assignment.objects.exists()


def test_documents_assign_skips_existing(lead, reviewer, other_reviewer):
    documents = DocumentFactory.create_batch(2)
    assignment_create(document=documents[0], reviewer=reviewer, assigned_by=lead)
    created = documents_assign(
        documents=documents, reviewers=[reviewer, other_reviewer], assigned_by=lead
    )
    assert created == 3
    assert Assignment.objects.count() == 4


def test_assigned_only_collection_shows_reviewer_only_their_documents(lead, reviewer):
    collection = CollectionFactory(assigned_only=True)
    mine, other = DocumentFactory.create_batch(2, collection=collection)
    assignment_create(document=mine, reviewer=reviewer, assigned_by=lead)
    assert list(document_list_for_user(user=reviewer)) == [mine]
    assert set(document_list_for_user(user=lead)) == {mine, other}


def test_blind_review_hides_others_work_until_done(lead, reviewer, other_reviewer):
    document = DocumentFactory(collection=CollectionFactory(blind_review=True))
    mine = _tag(document, reviewer, "troops", "sourced")
    theirs = _tag(document, other_reviewer, "denied", "disputed")
    assert list(annotation_list(document=document, user=reviewer)) == [mine]
    assert set(annotation_list(document=document, user=lead)) == {mine, theirs}
    assignment_mark_done(document=document, reviewer=reviewer)
    assert set(annotation_list(document=document, user=reviewer)) == {mine, theirs}


def test_lead_adjudicates_by_pick_edit_and_add(lead, reviewer, other_reviewer, document):
    a = _tag(document, reviewer, "troops arrived", "sourced")
    b = _tag(document, other_reviewer, "troops", "disputed")
    picked = final_annotation_create(document=document, decided_by=lead, from_ids=[a.pk, b.pk])
    assert (picked.quote, picked.label.slug, picked.is_final) == ("troops arrived", "sourced", True)
    assert picked.adjudicated_from == [a.pk, b.pk]
    assert picked.created_by == lead
    edited = final_annotation_create(
        document=document, decided_by=lead, from_ids=[b.pk], label="propaganda"
    )
    assert (edited.quote, edited.label.slug) == ("troops", "propaganda")
    start = document.text.index("ministry")
    added = final_annotation_create(
        document=document, decided_by=lead, start=start, end=start + 8, label="disputed"
    )
    assert added.adjudicated_from == []
    # The reviewers' own annotations stay untouched.
    assert Annotation.objects.filter(is_final=False).count() == 2
    exported = [r["id"] for r in iter_records(Annotation.objects.filter(is_final=True))]
    assert sorted(exported) == sorted([picked.pk, edited.pk, added.pk])


def test_adjudication_refuses_duplicates_and_foreign_ids(lead, reviewer, document):
    a = _tag(document, reviewer, "troops", "sourced")
    final_annotation_create(document=document, decided_by=lead, from_ids=[a.pk])
    with pytest.raises(ValidationError, match="already has"):
        final_annotation_create(document=document, decided_by=lead, from_ids=[a.pk])
    elsewhere = _tag(DocumentFactory(), reviewer, "troops", "sourced")
    with pytest.raises(ValidationError, match=str(elsewhere.pk)):
        final_annotation_create(document=document, decided_by=lead, from_ids=[elsewhere.pk])
    with pytest.raises(ValidationError, match="needs start, end and label"):
        final_annotation_create(document=document, decided_by=lead)
    assert Annotation.objects.filter(is_final=True).count() == 1


def test_reviewer_cannot_adjudicate_or_touch_final(lead, reviewer, document):
    a = _tag(document, reviewer, "troops", "sourced")
    with pytest.raises(PermissionDenied):
        final_annotation_create(document=document, decided_by=reviewer, from_ids=[a.pk])
    final = final_annotation_create(document=document, decided_by=lead, from_ids=[a.pk])
    with pytest.raises(PermissionDenied):
        annotation_update(annotation=final, user=reviewer, version=None, label="disputed")
    with pytest.raises(PermissionDenied):
        final_annotation_delete(annotation=final, user=reviewer)
    final_annotation_delete(annotation=final, user=lead)
    assert not Annotation.objects.filter(is_final=True).exists()


def test_agreement_report_is_cached_and_idempotent(lead, reviewer, other_reviewer, document):
    _tag(document, reviewer, "troops", "sourced")
    _tag(document, other_reviewer, "troops", "disputed")
    _tag(document, other_reviewer, "denied", "disputed")
    agreement_task(document.collection_id)  # the Celery task, run in-process
    agreement_task(document.collection_id)
    report = AgreementReport.objects.get()
    overall = report.data["overall"]
    assert overall["documents_compared"] == 1
    assert overall["reviewers"] == ["omar", "rita"]
    assert overall["f1_exact"] == 0.0
    assert report.data["documents"][0]["id"] == document.pk
    assert agreement_report_refresh(collection_id=999_999) is None


def test_final_spans_do_not_count_as_a_reviewer(lead, reviewer, other_reviewer, document):
    a = _tag(document, reviewer, "troops", "sourced")
    _tag(document, other_reviewer, "troops", "sourced")
    final_annotation_create(document=document, decided_by=lead, from_ids=[a.pk])
    report = agreement_report_refresh(collection_id=document.collection_id)
    assert report.data["overall"]["reviewers"] == ["omar", "rita"]
    assert report.data["overall"]["f1_exact"] == 1.0


def test_done_reviewer_without_spans_counts_as_tagging_nothing(reviewer, other_reviewer, document):
    _tag(document, reviewer, "troops", "sourced")
    assignment_mark_done(document=document, reviewer=other_reviewer)
    report = agreement_report_refresh(collection_id=document.collection_id)
    assert report.data["overall"]["documents_compared"] == 1
    assert report.data["overall"]["f1_overlap"] == 0.0


# Blind review and suggestions: each reviewer decides on their own.


def _suggest(document, word, label_slug="disputed", suggester="disputed"):
    start = document.text.index(word)
    return SuggestionFactory(
        document=document,
        start=start,
        end=start + len(word),
        label=label(label_slug),
        suggester=suggester,
    )


def test_blind_review_keeps_a_suggestion_open_to_each_reviewer(lead, reviewer, other_reviewer):
    document = DocumentFactory(collection=CollectionFactory(blind_review=True))
    suggestion = _suggest(document, "denied")
    accepted = suggestion_accept(suggestion=suggestion, user=reviewer)
    # The other reviewer still has it open; the one who decided does not.
    assert list(suggestion_pending_list(document=document, user=other_reviewer)) == [suggestion]
    assert list(suggestion_pending_list(document=document, user=reviewer)) == []
    suggestion_reject(suggestion=suggestion, user=other_reviewer)
    assert list(suggestion_pending_list(document=document, user=other_reviewer)) == []
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.PENDING and suggestion.decided_by is None
    decisions = {d.reviewer: (d.status, d.annotation) for d in suggestion.decisions.all()}
    assert decisions == {reviewer: ("accepted", accepted), other_reviewer: ("rejected", None)}
    with pytest.raises(ValidationError, match="You already accepted"):
        suggestion_reject(suggestion=suggestion, user=reviewer)
    assert suggestion.decisions.count() == 2
    # The lead has not decided it either, so it is still open to them.
    assert list(suggestion_pending_list(document=document, user=lead)) == [suggestion]


def test_open_collection_first_decision_closes_the_suggestion(reviewer, other_reviewer, document):
    suggestion = _suggest(document, "denied")
    suggestion_reject(suggestion=suggestion, user=reviewer)
    assert list(suggestion_pending_list(document=document, user=other_reviewer)) == []
    with pytest.raises(ValidationError, match="already rejected"):
        suggestion_accept(suggestion=suggestion, user=other_reviewer)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("rejected", reviewer)
    assert list(suggestion.decisions.values_list("reviewer", "status")) == [
        (reviewer.pk, "rejected")
    ]


def test_blind_review_polling_and_counts_do_not_show_others_decisions(reviewer, other_reviewer):
    document = DocumentFactory(collection=CollectionFactory(blind_review=True))
    first, second = _suggest(document, "denied"), _suggest(document, "troops", "sourced", "sourced")
    before = document_fingerprint(document=document, user=other_reviewer)
    suggestion_accept(suggestion=first, user=reviewer)
    suggestion_reject(suggestion=second, user=reviewer)
    assert document_fingerprint(document=document, user=other_reviewer) == before
    assert queue_counts(user=other_reviewer, document_ids=[document.pk])[document.pk]["open"] == 2
    assert queue_counts(user=reviewer, document_ids=[document.pk])[document.pk]["open"] == 0
    assert document_fingerprint(document=document, user=reviewer) != before


def test_new_run_under_blind_review_keeps_decided_suggestions_and_others_spans(
    reviewer, other_reviewer
):
    document = DocumentFactory(
        collection=CollectionFactory(blind_review=True),
        text="Pyongyang reportedly sent troops. Officials said so, according to Reuters.",
    )

    def run():
        for name in ("disputed", "sourced"):
            suggestions_create(document_id=document.pk, suggester=name)

    run()
    disputed = Suggestion.objects.get(document=document, label__slug="disputed")
    sourced = Suggestion.objects.get(document=document, label__slug="sourced")
    suggestion_reject(suggestion=disputed, user=reviewer)
    # The reviewer tags the sourced span by hand: that must not take it from the other one.
    _tag(document, reviewer, sourced.quote, "sourced")
    run()
    assert Suggestion.objects.filter(document=document).count() == 2
    kept = Suggestion.objects.get(document=document, label__slug="disputed")
    assert kept.pk == disputed.pk and kept.decisions.count() == 1
    open_to_other = suggestion_pending_list(document=document, user=other_reviewer)
    assert [s.label.slug for s in open_to_other] == ["disputed", "sourced"]
    assert [s.label.slug for s in suggestion_pending_list(document=document, user=reviewer)] == [
        "sourced"
    ]


def test_precision_counts_each_reviewers_decision(reviewer, other_reviewer, lead):
    document = DocumentFactory(collection=CollectionFactory(blind_review=True))
    both, nobody = _suggest(document, "denied"), _suggest(document, "troops")
    suggestion_accept(suggestion=both, user=reviewer)
    suggestion_reject(suggestion=both, user=other_reviewer)
    [row] = suggestion_precision_table(user=lead)
    assert (row["suggester"], row["label__slug"]) == ("disputed", "disputed")
    assert (row["accepted"], row["rejected"], row["decided"], row["pending"]) == (1, 1, 2, 1)
    assert row["precision"] == 0.5
    assert nobody.decisions.count() == 0


def test_reopening_a_started_document_writes_nothing(reviewer, document, django_assert_num_queries):
    first = assignment_start(document=document, reviewer=reviewer)
    assert first.status == AssignmentStatus.IN_PROGRESS and first.started_at is not None
    with django_assert_num_queries(1):  # one read; no write lock taken on SQLite
        again = assignment_start(document=document, reviewer=reviewer)
    assert again.pk == first.pk and again.started_at == first.started_at
