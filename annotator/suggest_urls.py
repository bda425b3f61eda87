"""Suggestion pages: run status panel, stats (see annotator/suggest_views.py)."""

from django.urls import path

from . import suggest_views

urlpatterns = [
    path(
        "documents/<int:document_id>/run/",
        suggest_views.suggestion_run_request,
        name="suggestions-run-start",
    ),
    path(
        "documents/<int:document_id>/latest/",
        suggest_views.suggestion_run_latest,
        name="suggestions-run-latest",
    ),
    path("runs/<int:run_id>/", suggest_views.suggestion_run_status, name="suggestions-run"),
    path("stats/", suggest_views.suggestion_stats, name="suggestions-stats"),
]
