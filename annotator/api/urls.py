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
from annotator.api.collections import CollectionViewSet, LabelViewSet
from annotator.api.documents import DocumentViewSet
from annotator.api.events import EventListView
from annotator.api.revisions import DocumentFetchViewSet
from annotator.api.suggestions import SuggestionRunViewSet, SuggestionViewSet
from annotator.api.transfer import AnnotationExportView, AnnotationImportView
from annotator.api.webhooks import WebhookEndpointViewSet

router = DefaultRouter()
router.register("collections", CollectionViewSet, basename="collection")
router.register("labels", LabelViewSet, basename="label")
router.register("documents", DocumentViewSet, basename="document")
router.register("annotations", AnnotationViewSet, basename="annotation")
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register("suggestion-runs", SuggestionRunViewSet, basename="suggestion-run")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("document-fetches", DocumentFetchViewSet, basename="document-fetch")

urlpatterns = [
    path("events/", EventListView.as_view(), name="api-events"),
    path("progress/", ProgressView.as_view(), name="api-progress"),
    path("documents/<int:document_id>/done/", DocumentDoneView.as_view(), name="api-done"),
    path("documents/<int:document_id>/reopen/", DocumentReopenView.as_view(), name="api-reopen"),
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
