"""API: collections and labels (read-only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from annotator.annotations.selectors import document_list_for_user
from annotator.api.base import HAS_ROLE, validation_detail
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

    @action(detail=True, methods=["get", "post"])
    def train(self, request, slug=None):
        """Leads: POST trains the learned suggester on this collection as a fully labelled
        archive ({"label", "force"} optional); GET lists the versions and their progress."""
        from annotator.suggestions.learning import suggester_models, suggester_train_queue

        if not is_lead(request.user):
            raise PermissionDenied("Only leads train the learned suggester.")
        collection = self.get_object()
        if request.method == "GET":
            return Response({"models": suggester_models()})
        label = request.data.get("label") if hasattr(request.data, "get") else None
        force = request.data.get("force", False) if hasattr(request.data, "get") else False
        if label is not None and not isinstance(label, str):
            raise ValidationError({"label": "Must be a label's slug."})
        if not isinstance(force, bool):
            raise ValidationError({"force": "Must be true or false."})
        try:
            with transaction.atomic():
                suggester_train_queue(collection=collection, label=label, force=force)
        except DjangoValidationError as exc:
            raise ValidationError(validation_detail(exc)) from None
        return Response(
            {"queued": True, "collection": collection.slug, "progress": request.path},
            status=status.HTTP_202_ACCEPTED,
        )


class LabelViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = HAS_ROLE
    queryset = Label.objects.all()
    serializer_class = LabelSerializer
    lookup_field = "slug"
    pagination_class = None
    filter_backends: list = []
