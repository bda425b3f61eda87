"""Reads of labels, documents and annotations, with the visibility rules (blind review)."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from annotator.models import Annotation, Assignment, Label
from annotator.permissions import is_lead
from corpus.models import Document


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
    """Annotations on a document in text order; blind review hides others' work from reviewers.

    Only spans on the text shown (the current revision): orphans, and spans not yet moved
    after a revision, are listed by annotator.anchoring's review queue instead.
    """
    annotations = Annotation.objects.filter(
        document=document, revision=document.revision
    ).select_related("label", "created_by")
    if user is not None and document.collection.blind_review and not is_lead(user):
        done = Assignment.objects.filter(document=document, reviewer=user, status="done").exists()
        if not done:
            annotations = annotations.filter(created_by=user)
    return annotations.order_by("start", "end", "id")


def annotation_for_user(*, document: Document, annotation_id: int, user) -> Annotation:
    """One annotation the user may see on the document (blind review included); 404 otherwise."""
    return get_object_or_404(annotation_list(document=document, user=user), pk=annotation_id)


def document_work_is_final(*, document: Document, user) -> bool:
    """Under blind review "done" is final for a reviewer: they have seen the others' work.

    Their annotations and suggestion decisions on the document are then read-only, and they
    cannot mark it in progress again (a lead can). Leads see everything anyway: never final.
    """
    if not document.collection.blind_review or is_lead(user):
        return False
    return Assignment.objects.filter(document=document, reviewer=user, status="done").exists()


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
