"""Suggestion routes: run panel and stats (mounted at suggestions/), and deciding a
suggestion from the document page (mounted at the root, beside the document's routes)."""

from django.urls import path

from annotator.suggestions import bulk_views, views

urlpatterns = [
    path(
        "documents/<int:document_id>/run/",
        views.suggestion_run_request,
        name="suggestions-run-start",
    ),
    path(
        "documents/<int:document_id>/latest/",
        views.suggestion_run_latest,
        name="suggestions-run-latest",
    ),
    path("runs/<int:run_id>/", views.suggestion_run_status, name="suggestions-run"),
    path("stats/", views.suggestion_stats, name="suggestions-stats"),
    path(
        "bulk/documents/<int:document_id>/",
        bulk_views.bulk_decide_view,
        name="suggestions-bulk-document",
    ),
    path(
        "bulk/documents/<int:document_id>/preview/",
        bulk_views.bulk_preview_view,
        name="suggestions-bulk-document-preview",
    ),
    path(
        "bulk/collections/<slug:slug>/",
        bulk_views.bulk_decide_view,
        name="suggestions-bulk-collection",
    ),
    path(
        "bulk/collections/<slug:slug>/preview/",
        bulk_views.bulk_preview_view,
        name="suggestions-bulk-collection-preview",
    ),
    path("bulk/<int:bulk_id>/undo/", bulk_views.bulk_undo_view, name="suggestions-bulk-undo"),
]

decision = "documents/<int:document_id>/suggestions/<int:suggestion_id>/"

decision_urlpatterns = [
    path(decision + "accept/", views.suggestion_accept_view, name="annotator-suggestion-accept"),
    path(decision + "reject/", views.suggestion_reject_view, name="annotator-suggestion-reject"),
    path(decision + "undo/", views.suggestion_undo_view, name="annotator-suggestion-undo"),
    path(
        decision + "restore/",
        views.suggestion_accept_restore_view,
        name="annotator-suggestion-accept-restore",
    ),
]
