"""Review workflow pages: assignments, agreement, adjudication, dashboards."""

from django.urls import path

from annotator.review import adjudication_views, uploads, views

collection = "collections/<slug:slug>/"
document = "documents/<int:document_id>/"

urlpatterns = [
    path("", views.review_index, name="review-index"),
    path(collection, views.collection_dashboard, name="review-collection"),
    path(collection + "upload/", uploads.collection_upload, name="review-upload"),
    path(collection + "assign/", views.collection_assign, name="review-assign"),
    path(collection + "settings/", views.collection_settings, name="review-settings"),
    path(collection + "agreement/", views.collection_agreement, name="review-agreement"),
    path(
        collection + "agreement/refresh/",
        views.collection_agreement_refresh,
        name="review-agreement-refresh",
    ),
    path("reviewers/<int:user_id>/", views.reviewer_dashboard, name="review-reviewer"),
    path(document + "compare/", adjudication_views.document_compare, name="review-compare"),
    path(document + "final/", adjudication_views.final_add, name="review-final-add"),
    path(
        document + "final/<int:annotation_id>/delete/",
        adjudication_views.final_remove,
        name="review-final-delete",
    ),
]
