"""REST API routes (see annotator/api.py)."""

urlpatterns: list = []
