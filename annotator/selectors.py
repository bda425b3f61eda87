"""Reads shared by pages, the API and tasks."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from corpus.models import Document

from .models import Annotation, Assignment, Label
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
