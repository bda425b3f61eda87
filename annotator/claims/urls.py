"""Claim routes, mounted at /claims/: the claim panel, archived copies, claims pages."""

from django.urls import path

from annotator.claims import page_views, views

claim = "annotations/<int:annotation_id>/"
evidence = claim + "evidence/<int:evidence_id>/"

urlpatterns = [
    path(claim, views.claim_detail, name="claims-claim"),
    path(claim + "evidence/", views.evidence_add, name="claims-evidence-add"),
    path(claim + "evidence/list/", views.evidence_rows, name="claims-evidence-list"),
    path(evidence + "edit/", views.evidence_edit, name="claims-evidence-edit"),
    path(evidence + "delete/", views.evidence_remove, name="claims-evidence-delete"),
    path(evidence + "archive/", views.evidence_rearchive, name="claims-evidence-archive"),
    path(claim + "verdict/", views.verdict_submit, name="claims-verdict"),
    path(claim + "verdict/move/", views.verdict_move, name="claims-verdict-move"),
    path(
        "evidence/<int:evidence_id>/archive.warc.gz",
        views.evidence_warc,
        name="claims-evidence-warc",
    ),
]

urlpatterns += [
    path("", page_views.claims_page, name="claims-index"),
    path("collections/<slug:slug>/", page_views.claims_page, name="claims-collection"),
    path("to-publish/", page_views.publish_queue, name="claims-publish-queue"),
    path("to-publish/<int:annotation_id>/", page_views.verdict_publish, name="claims-publish"),
]
urlpatterns.append(
    path("verdicts/<int:verdict_id>/", page_views.verdict_detail, name="claims-verdict-detail")
)
