"""Reads shared by pages, the API and tasks."""

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from corpus.models import Document

from .models import Annotation, Assignment, Label, Suggestion, SuggestionDecision, SuggestionStatus
from .permissions import is_lead


def label_list() -> list[Label]:
    return list(Label.objects.all())


def document_list_for_user(*, user) -> QuerySet[Document]:
    """Documents a user may open: all of them, except in collections limited to assignments."""
    documents = Document.objects.select_related("collection")
    if is_lead(user):
        return documents
    assigned = Assignment.objects.filter(reviewer=user).values("document_id")
    return documents.exclude(collection__assigned_only=True) | documents.filter(
        collection__assigned_only=True, id__in=assigned
    )


def document_for_user(*, document_id: int, user) -> Document:
    """The document if the user may open it; 404 otherwise."""
    return get_object_or_404(document_list_for_user(user=user), pk=document_id)


def annotation_list(*, document: Document, user=None) -> QuerySet[Annotation]:
    """Annotations on a document in text order; blind review hides others' work from reviewers."""
    annotations = Annotation.objects.filter(document=document).select_related("label", "created_by")
    if user is not None and document.collection.blind_review and not is_lead(user):
        done = Assignment.objects.filter(document=document, reviewer=user, status="done").exists()
        if not done:
            annotations = annotations.filter(created_by=user)
    return annotations.order_by("start", "end", "id")


# Reviewer UI reads (queue, document page, change polling).


def suggestion_open_list(*, user) -> QuerySet:
    """Suggestions still open to the user: nobody closed them and the user has not decided them.

    In a blind-review collection a suggestion stays open to each reviewer until they decide
    it, whatever the others did; in an open collection the first decision closes it.
    """

    mine = SuggestionDecision.objects.filter(suggestion=OuterRef("pk"), reviewer=user)
    return Suggestion.objects.filter(status=SuggestionStatus.PENDING).exclude(Exists(mine))


def suggestion_pending_list(*, document: Document, user) -> QuerySet:
    """Suggestions open to the user on a document, in text order."""
    return (
        suggestion_open_list(user=user)
        .filter(document=document)
        .select_related("label")
        .order_by("start", "end", "id")
    )


def queue_documents(*, user, collection: str = "", search: str = "") -> QuerySet[Document]:
    """The user's documents for the queue, with the user's status per document."""

    documents = document_list_for_user(user=user)
    if collection:
        documents = documents.filter(collection__slug=collection)
    if search:
        documents = documents.filter(title__icontains=search)
    status = Assignment.objects.filter(document=OuterRef("pk"), reviewer=user).values("status")
    return (
        documents.annotate(my_status=Subquery(status[:1]))
        .defer("text", "metadata")
        .order_by("collection__name", "id")
    )


def queue_counts(*, user, document_ids: list[int]) -> dict[int, dict]:
    """Per-document label counts and open suggestions, in two queries for a whole page.

    In blind-review collections a reviewer's counts include only their own annotations.
    """

    counts: dict[int, dict] = {pk: {"labels": {}, "open": 0} for pk in document_ids}
    annotations = Annotation.objects.filter(document_id__in=document_ids)
    if not is_lead(user):
        annotations = annotations.filter(
            Q(document__collection__blind_review=False) | Q(created_by=user)
        )
    for row in annotations.values("document_id", "label__slug").annotate(n=Count("id")):
        counts[row["document_id"]]["labels"][row["label__slug"]] = row["n"]
    pending = suggestion_open_list(user=user).filter(document_id__in=document_ids)
    for row in pending.values("document_id").annotate(n=Count("id")):
        counts[row["document_id"]]["open"] = row["n"]
    return counts


def collection_progress(*, user) -> list[dict]:
    """Per collection the user can see: documents, and how many the user marked done."""

    return list(
        document_list_for_user(user=user)
        .order_by()
        .values("collection__slug", "collection__name")
        .annotate(
            total=Count("id", distinct=True),
            done=Count(
                "id",
                filter=Q(assignments__reviewer=user, assignments__status="done"),
                distinct=True,
            ),
        )
        .order_by("collection__name")
    )


def document_next_for_user(*, document: Document, user) -> Document | None:
    """The next document (by id) the user has not marked done, for the `n` key."""
    done = Assignment.objects.filter(reviewer=user, status="done").values("document_id")
    return (
        document_list_for_user(user=user)
        .filter(id__gt=document.pk)
        .exclude(id__in=done)
        .select_related(None)
        .only("id", "title")
        .order_by("id")
        .first()
    )


def document_fingerprint(*, document: Document, user) -> str:
    """Changes whenever an annotation or open suggestion the user can see changes."""

    seen = (
        annotation_list(document=document, user=user)
        .order_by()
        .aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    )
    open_ = suggestion_open_list(user=user).filter(document=document)
    sug = open_.order_by().aggregate(n=Count("id"), top=Max("id"))
    last = seen["last"].isoformat() if seen["last"] else "-"
    return f"{seen['n']}.{seen['top'] or 0}.{last}.{sug['n']}.{sug['top'] or 0}"


def annotation_list_for_user(*, user) -> QuerySet[Annotation]:
    """All annotations a user may see, across documents (the API's list and exports).

    Leads see everything. Others see annotations on documents they may open; in blind-review
    collections only their own, until they have marked the document done.
    """

    annotations = Annotation.objects.select_related("label", "created_by")
    if is_lead(user):
        return annotations
    # The rule of document_list_for_user, as conditions (a cheaper query than a subquery).
    assigned = Assignment.objects.filter(reviewer=user)
    done = assigned.filter(status="done").values("document_id")
    return annotations.filter(
        Q(document__collection__assigned_only=False)
        | Q(document_id__in=assigned.values("document_id")),
        Q(document__collection__blind_review=False) | Q(created_by=user) | Q(document_id__in=done),
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
