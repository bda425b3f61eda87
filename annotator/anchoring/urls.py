"""Living documents: import by URL, re-check, revision diffs and the re-anchoring queue."""

from django.urls import path

from annotator.anchoring import fetch_views, views

urlpatterns = [
    path("documents/import-url/", fetch_views.url_import, name="anchoring-import-url"),
    path("documents/fetches/", fetch_views.fetch_progress, name="anchoring-fetches"),
    path(
        "documents/<int:document_id>/recheck/",
        fetch_views.document_recheck,
        name="anchoring-recheck",
    ),
    path("documents/<int:document_id>/diff/", views.document_diff, name="anchoring-diff"),
    path("revisions/<slug:slug>/", views.collection_queue, name="anchoring-queue"),
    path(
        "revisions/spans/<int:annotation_id>/decide/",
        views.anchor_decide,
        name="anchoring-decide",
    ),
    path(
        "revisions/spans/<int:annotation_id>/place/",
        views.anchor_place,
        name="anchoring-place",
    ),
]
