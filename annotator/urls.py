from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("annotator.api_urls")),
    path("suggestions/", include("annotator.suggest_urls")),
    path("review/", include("annotator.review_urls")),
    path("", include("annotator.ui_urls")),
]
