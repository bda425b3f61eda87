"""Suggestion pages: run status panel, stats (see annotator/suggest_views.py)."""

urlpatterns: list = []
