"""Suggestion routes: run panel and stats (mounted at suggestions/), and deciding a
suggestion from the document page (mounted at the root, beside the document's routes)."""

from django.urls import path

from annotator.suggestions import views

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
]

decision = "documents/<int:document_id>/suggestions/<int:suggestion_id>/"

decision_urlpatterns = [
    path(decision + "accept/", views.suggestion_accept_view, name="annotator-suggestion-accept"),
    path(decision + "reject/", views.suggestion_reject_view, name="annotator-suggestion-reject"),
    path(decision + "undo/", views.suggestion_undo_view, name="annotator-suggestion-undo"),
]
