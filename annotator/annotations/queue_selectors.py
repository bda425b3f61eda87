"""Reads for the reviewer's queue and the document page (counts, next, change polling)."""

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from annotator.annotations.selectors import (
    annotation_list,
    annotation_list_for_user,
    document_list_for_user,
)
from annotator.models import Assignment
from annotator.suggestions.selectors import documents_by_uncertainty, suggestion_open_list
from corpus.models import Document

QUEUE_ORDERS = ("", "uncertainty")


def queue_documents(
    *, user, collection: str = "", search: str = "", order: str = ""
) -> QuerySet[Document]:
    """The user's documents for the queue, with the user's status per document; by
    collection, or with `order="uncertainty"` the ones the model is least sure of first."""

    documents = document_list_for_user(user=user)
    if collection:
        documents = documents.filter(collection__slug=collection)
    if search:
        documents = documents.filter(title__icontains=search)
    status = Assignment.objects.filter(document=OuterRef("pk"), reviewer=user).values("status")
    documents = documents.annotate(my_status=Subquery(status[:1])).defer("text", "metadata")
    if order == "uncertainty":
        return documents_by_uncertainty(documents, user=user)
    return documents.order_by("collection__name", "id")


def queue_counts(*, user, document_ids: list[int]) -> dict[int, dict]:
    """Per-document label counts and open suggestions, in two queries for a whole page.

    Blind review as everywhere (annotation_list_for_user): a reviewer's counts include others'
    annotations only where the reviewer may see them.
    """

    counts: dict[int, dict] = {pk: {"labels": {}, "open": 0} for pk in document_ids}
    annotations = annotation_list_for_user(user=user).filter(document_id__in=document_ids)
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
    return (
        f"r{document.revision}.{seen['n']}.{seen['top'] or 0}.{last}.{sug['n']}.{sug['top'] or 0}"
    )
