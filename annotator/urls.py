"""Root routes: each capability brings its own urls module."""

from django.contrib import admin
from django.urls import include, path

from annotator.suggestions.urls import decision_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("annotator.api.urls")),
    path("suggestions/", include("annotator.suggestions.urls")),
    path("review/", include("annotator.review.urls")),
    path("claims/", include("annotator.claims.urls")),
    path("", include("annotator.anchoring.urls")),
    path("", include("annotator.annotations.urls")),
    path("", include(decision_urlpatterns)),
]
