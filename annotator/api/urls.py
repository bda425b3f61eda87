"""REST API routes, mounted at /api/: one module per resource in annotator/api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from annotator.api.annotations import AnnotationViewSet
from annotator.api.assignments import (
    AssignmentViewSet,
    DocumentDoneView,
    DocumentReopenView,
    ProgressView,
)
from annotator.api.claimreview import ClaimReviewExportView
from annotator.api.collections import CollectionViewSet, LabelViewSet
from annotator.api.documents import DocumentViewSet
from annotator.api.events import EventListView
from annotator.api.evidence import EvidenceViewSet
from annotator.api.revisions import DocumentFetchViewSet
from annotator.api.suggestions import SuggestionRunViewSet, SuggestionViewSet
from annotator.api.transfer import AnnotationExportView, AnnotationImportView
from annotator.api.verdicts import RatingViewSet, VerdictTransitionView, VerdictView
from annotator.api.webhooks import WebhookEndpointViewSet

router = DefaultRouter()
router.register("collections", CollectionViewSet, basename="collection")
router.register("labels", LabelViewSet, basename="label")
router.register("documents", DocumentViewSet, basename="document")
router.register("annotations", AnnotationViewSet, basename="annotation")
router.register("ratings", RatingViewSet, basename="rating")
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register("suggestion-runs", SuggestionRunViewSet, basename="suggestion-run")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("document-fetches", DocumentFetchViewSet, basename="document-fetch")

evidence_list = EvidenceViewSet.as_view({"get": "list", "post": "create"})
evidence_detail = EvidenceViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
evidence_archive = EvidenceViewSet.as_view({"post": "archive"})

urlpatterns = [
    path("events/", EventListView.as_view(), name="api-events"),
    path("progress/", ProgressView.as_view(), name="api-progress"),
    path("documents/<int:document_id>/done/", DocumentDoneView.as_view(), name="api-done"),
    path("documents/<int:document_id>/reopen/", DocumentReopenView.as_view(), name="api-reopen"),
    path("annotations/<int:annotation_pk>/evidence/", evidence_list, name="api-evidence-list"),
    path(
        "annotations/<int:annotation_pk>/evidence/<int:pk>/",
        evidence_detail,
        name="api-evidence-detail",
    ),
    path("annotations/<int:annotation_pk>/verdict/", VerdictView.as_view(), name="api-verdict"),
    path(
        "annotations/<int:annotation_pk>/verdict/transition/",
        VerdictTransitionView.as_view(),
        name="api-verdict-transition",
    ),
    path(
        "annotations/<int:annotation_pk>/evidence/<int:pk>/archive/",
        evidence_archive,
        name="api-evidence-archive",
    ),
    path("export/claimreview/", ClaimReviewExportView.as_view(), name="api-export-claimreview"),
    path("export/annotations/", AnnotationExportView.as_view(), name="api-export-annotations"),
    path("import/annotations/", AnnotationImportView.as_view(), name="api-import-annotations"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/docs.html"),
        name="api-docs",
    ),
    path("", include(router.urls)),
]
