"""REST API routes (see annotator/api.py), mounted at /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("collections", api.CollectionViewSet, basename="collection")
router.register("labels", api.LabelViewSet, basename="label")
router.register("documents", api.DocumentViewSet, basename="document")
router.register("annotations", api.AnnotationViewSet, basename="annotation")
router.register("suggestions", api.SuggestionViewSet, basename="suggestion")
router.register("suggestion-runs", api.SuggestionRunViewSet, basename="suggestion-run")

urlpatterns = [
    path("export/annotations/", api.AnnotationExportView.as_view(), name="api-export-annotations"),
    path("import/annotations/", api.AnnotationImportView.as_view(), name="api-import-annotations"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="annotator/api_docs.html"
        ),
        name="api-docs",
    ),
    path("", include(router.urls)),
]
