"""The reviewer's queue, the document page and its annotation actions (htmx partials)."""

from django.urls import path

from annotator.annotations import queue_views, views
from annotator.annotations.label_styles import label_stylesheet

doc = "documents/<int:document_id>/"

urlpatterns = [
    path("", queue_views.queue, name="annotator-queue"),
    path("labels.css", label_stylesheet, name="annotator-label-css"),
    path(doc, views.document_detail, name="annotator-document"),
    path(doc + "changes/", views.document_changes, name="annotator-document-changes"),
    path(doc + "done/", views.document_done, name="annotator-document-done"),
    path(doc + "annotations/", views.annotation_add, name="annotator-annotation-add"),
    path(
        doc + "annotations/<int:annotation_id>/edit/",
        views.annotation_edit,
        name="annotator-annotation-edit",
    ),
    path(
        doc + "annotations/<int:annotation_id>/delete/",
        views.annotation_remove,
        name="annotator-annotation-delete",
    ),
    path(
        doc + "annotations/<int:annotation_id>/reshape/",
        views.annotation_reshape,
        name="annotator-annotation-reshape",
    ),
    path(
        doc + "annotations/<int:annotation_id>/restore/",
        views.annotation_undelete,
        name="annotator-annotation-restore",
    ),
]
