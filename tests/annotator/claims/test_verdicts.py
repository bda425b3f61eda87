"""Verdicts: the rating scale, the states, who may move them, the desk's rules on publish."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotator.claims import rules
from annotator.claims.services import ClaimConflict
from annotator.claims.verdicts import verdict_checklist, verdict_save, verdict_transition
from annotator.models import DeskRule, Evidence, Rating, RuleKind, Verdict
from tests.factories import AnnotationFactory, CollectionFactory, DocumentFactory, label

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(reviewer):
    document = DocumentFactory(collection=CollectionFactory(slug="desk"))
    return AnnotationFactory(document=document, created_by=reviewer, label=label("disputed"))


@pytest.fixture
def desk_rules(claim):
    collection = claim.document.collection
    return [
        DeskRule.objects.create(
            collection=collection,
            label=label("disputed"),
            kind=RuleKind.MIN_SOURCES,
            stances=["refutes", "context"],
            min_count=1,
            message="A disputed claim needs at least one refuting or context source",
        ),
        DeskRule.objects.create(
            collection=collection,
            kind=RuleKind.ALL_ARCHIVED,
            message="Every source has an archived copy",
        ),
        DeskRule.objects.create(
            kind=RuleKind.FIELD_FILLED,
            field="explanation",
            message="A published verdict needs an explanation",
        ),
    ]


def source(claim, user, stance, status="archived"):
    return Evidence.objects.create(
        annotation=claim,
        created_by=user,
        url="https://example.org/a",
        stance=stance,
        archive_status=status,
    )


def test_the_scale_is_seeded_in_order():
    scale = list(Rating.objects.values_list("name", "value", "best", "worst"))
    assert scale == [
        ("True", 5, 5, 1),
        ("Mostly true", 4, 5, 1),
        ("Half true", 3, 5, 1),
        ("Mostly false", 2, 5, 1),
        ("False", 1, 5, 1),
        ("Unverifiable", None, 5, 1),
    ]


def propose(claim, reviewer, **fields):
    fields = {"rating": "Mostly false", "claim_reviewed": "1,200 evacuated", **fields}
    return verdict_save(annotation=claim, user=reviewer, propose=True, **fields)


def test_reviewer_proposes_and_lead_publishes(claim, reviewer, lead, desk_rules):
    source(claim, reviewer, "refutes")
    verdict = propose(claim, reviewer, explanation="Only 300 left, the mayor said.")
    assert (verdict.state, verdict.rating.name) == ("in_review", "Mostly false")
    with pytest.raises(PermissionDenied, match="Only a lead publishes"):
        verdict_transition(verdict=verdict, user=reviewer, to="published", version=None)
    published = verdict_transition(verdict=verdict, user=lead, to="published", version=2)
    assert (published.state, published.published_by) == ("published", lead)
    assert published.published_at is not None
    states = [r.state for r in Verdict.history.filter(id=verdict.pk).order_by("history_id")]
    assert states == ["draft", "in_review", "published"]


def test_publish_names_every_missing_rule(claim, reviewer, lead, desk_rules):
    source(claim, reviewer, "supports", status="failed")
    verdict = propose(claim, reviewer)
    with pytest.raises(ValidationError) as error:
        verdict_transition(verdict=verdict, user=lead, to="published", version=None)
    assert error.value.messages == [
        "Cannot publish yet: A disputed claim needs at least one refuting or context source "
        "(0 of 1 context or refutes source(s)); Every source has an archived copy (0 of 1 "
        "archived); A published verdict needs an explanation (explanation is empty)."
    ]
    assert Verdict.objects.get().state == "in_review"


def test_checklist_shows_passed_and_failed(claim, reviewer, desk_rules):
    source(claim, reviewer, "context")
    source(claim, reviewer, "supports", status="queued")
    verdict = propose(claim, reviewer, explanation="Explained.")
    checks = verdict_checklist(verdict=verdict, annotation=claim)
    assert [(c.message[:20], c.passed, c.detail) for c in checks] == [
        ("A disputed claim nee", True, "1 of 1 context or refutes source(s)"),
        ("Every source has an ", False, "1 of 2 archived"),
        ("A published verdict ", True, "filled in"),
    ]


def test_rules_follow_label_collection_and_active(reviewer, desk_rules):
    other_collection = AnnotationFactory(created_by=reviewer, label=label("disputed"))
    sourced = AnnotationFactory(
        document=desk_rules[0].collection.documents.first(), created_by=reviewer, start=7, end=12
    )
    assert [c.rule for c in verdict_checklist(verdict=None, annotation=other_collection)] == [
        desk_rules[2]
    ]
    assert [c.rule for c in verdict_checklist(verdict=None, annotation=sourced)] == desk_rules[1:]
    DeskRule.objects.filter(pk=desk_rules[2].pk).update(active=False)
    assert verdict_checklist(verdict=None, annotation=other_collection) == []


def test_back_to_draft_needs_a_reason_and_a_lead_once_published(claim, reviewer, lead):
    verdict = propose(claim, reviewer)
    with pytest.raises(ValidationError, match="Say why"):
        verdict_transition(verdict=verdict, user=reviewer, to="draft", version=None)
    published = verdict_transition(verdict=verdict, user=lead, to="published", version=None)
    with pytest.raises(PermissionDenied):
        verdict_transition(verdict=published, user=reviewer, to="draft", version=None, reason="x")
    with pytest.raises(ValidationError, match="send it back to draft"):
        verdict_save(annotation=claim, user=lead, explanation="changed")
    draft = verdict_transition(
        verdict=published, user=lead, to="draft", version=None, reason="New data from the mayor"
    )
    assert (draft.state, draft.reason, draft.published_at) == (
        "draft",
        "New data from the mayor",
        None,
    )


def test_impossible_moves_and_stale_versions(claim, reviewer, lead):
    verdict = verdict_save(
        annotation=claim, user=reviewer, rating="False", claim_reviewed="A claim"
    )
    with pytest.raises(ValidationError, match="cannot go from Draft to Published"):
        verdict_transition(verdict=verdict, user=lead, to="published", version=None)
    with pytest.raises(ClaimConflict):
        verdict_transition(verdict=verdict, user=reviewer, to="in_review", version=7)
    with pytest.raises(ClaimConflict):
        verdict_save(annotation=claim, user=reviewer, version=7, explanation="x")


def test_other_reviewer_cannot_change_a_proposal(claim, reviewer, other_reviewer):
    verdict = propose(claim, reviewer)
    with pytest.raises(PermissionDenied):
        verdict_save(annotation=claim, user=other_reviewer, explanation="mine")
    with pytest.raises(PermissionDenied):
        verdict_transition(
            verdict=verdict, user=other_reviewer, to="draft", version=None, reason="x"
        )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"rating": "Pants on fire"}, "rating", "Unknown rating 'Pants on fire'"),
        ({"claim_reviewed": "  "}, "claim_reviewed", "Say in one sentence"),
        ({"claim_reviewed": "x" * 501}, "claim_reviewed", "At most 500 characters."),
        ({"colour": "red"}, "colour", "Unknown field."),
    ],
)
def test_bad_fields_are_named(claim, reviewer, fields, field, message):
    with pytest.raises(ValidationError) as error:
        verdict_save(
            annotation=claim,
            user=reviewer,
            **{"rating": "False", "claim_reviewed": "A claim", **fields},
        )
    assert error.value.message_dict[field][0].startswith(message)


def test_missing_message_is_empty_when_all_pass(claim, reviewer, desk_rules):
    source(claim, reviewer, "refutes")
    verdict = propose(claim, reviewer, explanation="Why")
    assert rules.missing_message(verdict_checklist(verdict=verdict, annotation=claim)) == ""


def test_rule_rows_are_validated():
    rule = DeskRule(kind=RuleKind.FIELD_FILLED, message="m", stances=["maybe"])
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert set(error.value.message_dict) == {"stances"}
    rule.stances = []
    with pytest.raises(ValidationError, match="Choose the field"):
        rule.full_clean()
