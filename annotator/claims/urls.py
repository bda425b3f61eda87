"""Claim routes, mounted at /claims/."""

from django.urls import path

from annotator.claims import views

urlpatterns = [
    path(
        "evidence/<int:evidence_id>/archive.warc.gz",
        views.evidence_warc,
        name="claims-evidence-warc",
    ),
]
