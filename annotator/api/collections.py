"""API: collections and labels (read-only)."""

from __future__ import annotations

from rest_framework import viewsets

from annotator.annotations.selectors import document_list_for_user
from annotator.api.base import HAS_ROLE
from annotator.api.serializers import (
    CollectionSerializer,
    LabelSerializer,
)
from annotator.models import Label
from annotator.permissions import is_lead
from corpus.models import Collection

# Read-only reference data


class CollectionViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = HAS_ROLE
    queryset = Collection.objects.none()
    serializer_class = CollectionSerializer
    lookup_field = "slug"
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        if is_lead(self.request.user):
            return Collection.objects.all()
        return Collection.objects.filter(
            id__in=document_list_for_user(user=self.request.user).order_by().values("collection")
        )


class LabelViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = HAS_ROLE
    queryset = Label.objects.all()
    serializer_class = LabelSerializer
    lookup_field = "slug"
    pagination_class = None
    filter_backends: list = []
