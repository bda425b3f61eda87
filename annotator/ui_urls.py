"""Reviewer pages and htmx partials (see annotator/views.py)."""

urlpatterns: list = []
