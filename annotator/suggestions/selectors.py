"""Reads of suggestions and decisions as a user may see them; precision and acceptance."""

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce

from annotator.annotations.selectors import document_list_for_user
from annotator.models import (
    Assignment,
    Suggestion,
    SuggestionDecision,
    SuggestionRun,
    SuggestionStatus,
)
from annotator.permissions import is_lead
from corpus.models import Document

# Reviewer UI reads (queue, document page, change polling).


def suggestion_open_list(*, user) -> QuerySet:
    """Suggestions still open to the user: nobody closed them and the user has not decided them.

    In a blind-review collection a suggestion stays open to each reviewer until they decide
    it, whatever the others did; in an open collection the first decision closes it.
    """

    mine = SuggestionDecision.objects.filter(suggestion=OuterRef("pk"), reviewer=user)
    # A suggestion on an older revision is not open until the re-anchoring moved it.
    return Suggestion.objects.filter(
        status=SuggestionStatus.PENDING, revision=F("document__revision")
    ).exclude(Exists(mine))


def documents_by_uncertainty(documents: QuerySet, *, user) -> QuerySet:
    """`documents` with the most uncertain first: by the open suggestion (open to `user`) whose
    score is closest to 0.5, where the model is least sure, as `uncertainty` (1 at 0.5, 0 at
    0 or 1); documents without open suggestions last (-1), then by id."""
    gap = Abs(F("score") - Value(0.5))
    closest = (
        suggestion_open_list(user=user)
        .filter(document=OuterRef("pk"))
        .annotate(gap=gap)
        .order_by("gap")
        .values("gap")[:1]
    )
    uncertainty = Coalesce(
        Value(1.0) - Value(2.0) * Subquery(closest, output_field=FloatField()),
        Value(-1.0),
        output_field=FloatField(),
    )
    return documents.annotate(uncertainty=uncertainty).order_by("-uncertainty", "id")


def suggestion_pending_list(*, document: Document, user) -> QuerySet:
    """Suggestions open to the user on a document, in text order."""
    return (
        suggestion_open_list(user=user)
        .filter(document=document)
        .select_related("label")
        .order_by("start", "end", "id")
    )


def suggestion_list_for_user(*, user) -> QuerySet:
    """Suggestions on documents the user may open, as the user sees them (the API's list).

    `viewer_status` and `viewer_decided_at` are the suggestion's state for this user: closed
    for everyone (an open collection's first decision), or decided by the user, or pending.
    `visible_decisions` holds the decisions the user may see: a lead sees all; a reviewer sees
    their own, and others' outside blind review or once they marked the document done.
    """

    mine = SuggestionDecision.objects.filter(suggestion=OuterRef("pk"), reviewer=user)
    closed = ~Q(status=SuggestionStatus.PENDING)
    decisions = suggestion_decision_list_for_user(user=user).select_related("reviewer")
    visible = document_list_for_user(user=user).order_by().values("id")
    return (
        Suggestion.objects.filter(document_id__in=visible)
        .select_related("label", "decided_by")
        .annotate(
            viewer_status=Case(
                When(closed, then=F("status")),
                default=Coalesce(
                    Subquery(mine.values("status")[:1]), Value(SuggestionStatus.PENDING)
                ),
            ),
            viewer_decided_at=Case(
                When(closed, then=F("decided_at")),
                default=Subquery(mine.values("decided_at")[:1]),
            ),
        )
        .prefetch_related(Prefetch("decisions", queryset=decisions, to_attr="visible_decisions"))
    )


def suggestion_pending_list_for_user(*, document: Document, user) -> QuerySet:
    """The API's shape of suggestion_pending_list: the document's suggestions still open to
    the user, in text order, with what suggestion_list_for_user annotates."""
    open_ids = suggestion_open_list(user=user).filter(document=document).values("id")
    return (
        suggestion_list_for_user(user=user)
        .filter(document=document, id__in=open_ids)
        .order_by("start", "end", "id")
    )


def suggestion_decision_list_for_user(*, user) -> QuerySet:
    """Decisions a user may see: a lead sees all; a reviewer their own, and others' outside
    blind review or on documents they marked done (the rule of annotation_list_for_user)."""

    decisions = SuggestionDecision.objects.order_by("decided_at", "id")
    if is_lead(user):
        return decisions
    done = Assignment.objects.filter(reviewer=user, status="done").values("document_id")
    return decisions.filter(
        Q(reviewer=user)
        | Q(suggestion__document__collection__blind_review=False)
        | Q(suggestion__document_id__in=done)
    )


def suggestion_run_list_for_user(*, user) -> QuerySet[SuggestionRun]:
    """Runs, newest first: a lead sees all; others a document's run if they may open it."""
    runs = SuggestionRun.objects.select_related("document", "collection")
    if is_lead(user):
        return runs
    visible = document_list_for_user(user=user).order_by().values("id")
    return runs.filter(document_id__in=visible)


def suggestion_precision_table(*, user) -> list[dict]:
    """Reviewers' verdicts per suggester and label: accepted / decided (two queries).

    Every reviewer's decision counts, so under blind review a suggestion two reviewers
    decided counts twice. Pending are the suggestions nobody has decided yet. A read shared by
    the stats page and the admin; kept beside the writes it summarises. Counted from what
    the user may see (suggestion_decision_list_for_user): a lead counts everything.
    """
    decisions = suggestion_decision_list_for_user(user=user)
    rows: dict[tuple, dict] = {}
    for row in suggestion_acceptance(decisions=decisions):
        rows[(row["suggester"], row["label__slug"])] = {**row, "pending": 0}
    suggestions = Suggestion.objects.all()
    if not is_lead(user):
        visible = document_list_for_user(user=user).order_by().values("id")
        suggestions = suggestions.filter(document_id__in=visible)
    undecided = (
        suggestions.filter(status=SuggestionStatus.PENDING)
        .exclude(Exists(decisions.filter(suggestion=OuterRef("pk"))))
        .order_by()
        .values("suggester", "label__slug", "label__name", "label__badge")
        .annotate(n=Count("id"))
    )
    for row in undecided:
        entry = rows.setdefault(
            (row["suggester"], row["label__slug"]),
            {
                "suggester": row["suggester"],
                "label__slug": row["label__slug"],
                "label__name": row["label__name"],
                "label__badge": row["label__badge"],
                "accepted": 0,
                "rejected": 0,
                "decided": 0,
                "precision": None,
            },
        )
        entry["pending"] = row["n"]
    return [rows[k] for k in sorted(rows)]


def suggestion_acceptance(*, decisions: QuerySet[SuggestionDecision]) -> list[dict]:
    """Per suggester and label: accepted, rejected, decided and precision (accepted/decided).

    Counts reviewers' decisions, so under blind review each reviewer's verdict counts.
    """
    rows = (
        decisions.order_by()
        .values(
            suggester=F("suggestion__suggester"),
            label__slug=F("suggestion__label__slug"),
            label__name=F("suggestion__label__name"),
            label__badge=F("suggestion__label__badge"),
        )
        .annotate(
            accepted=Count("id", filter=Q(status=SuggestionStatus.ACCEPTED)),
            rejected=Count("id", filter=Q(status=SuggestionStatus.REJECTED)),
        )
        .order_by("suggester", "label__slug")
    )
    table = []
    for row in rows:
        decided = row["accepted"] + row["rejected"]
        table.append({**row, "decided": decided, "precision": row["accepted"] / decided})
    return table
