"""API: suggestions (accept, reject) and suggestion runs."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.annotations.selectors import document_for_user
from annotator.api.base import HAS_ROLE, BodyLimitMixin, Conflict
from annotator.api.filters import SuggestionFilter
from annotator.api.serializers import (
    AnnotationSerializer,
    SuggestionAcceptSerializer,
    SuggestionRunSerializer,
    SuggestionSerializer,
)
from annotator.models import Label, Suggestion, SuggestionBulkDecision, SuggestionRun
from annotator.review.services import assignment_start
from annotator.suggestions.bulk import bulk_decide, bulk_preview, bulk_undo
from annotator.suggestions.decisions import suggestion_accept, suggestion_reject
from annotator.suggestions.selectors import suggestion_list_for_user, suggestion_run_list_for_user
from corpus.models import Collection


class BulkDecisionSerializer(serializers.Serializer):
    """A bulk decision's scope: a label, a minimum score, a document id or a collection slug."""

    label = serializers.SlugRelatedField(slug_field="slug", queryset=Label.objects.all())
    min_score = serializers.FloatField(min_value=0.0, max_value=1.0)
    document = serializers.IntegerField(required=False)
    collection = serializers.SlugField(required=False)
    action = serializers.ChoiceField(choices=["accept", "reject"], required=False)

    def validate(self, data: dict) -> dict:
        if ("document" in data) == ("collection" in data):
            raise serializers.ValidationError(
                "Give either document (an id) or collection (a slug)."
            )
        return data


def _bulk_scope(request: Request, data: dict) -> dict:
    if "document" in data:
        return {"document": document_for_user(document_id=data["document"], user=request.user)}
    return {"collection": get_object_or_404(Collection, slug=data["collection"])}


class SuggestionBulkMixin:
    """GET /api/suggestions/bulk/?label=&min_score=&document= (or collection=): how many;
    POST there with "action": decide them all; POST .../bulk/{id}/undo/: take it back."""

    @extend_schema(parameters=[BulkDecisionSerializer], request=BulkDecisionSerializer)
    @action(detail=False, methods=["get", "post"], url_path="bulk")
    def bulk(self, request: Request) -> Response:
        source = request.query_params if request.method == "GET" else request.data
        serializer = BulkDecisionSerializer(data=source)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scope = _bulk_scope(request, data)
        common = {"user": request.user, "label": data["label"], "min_score": data["min_score"]}
        if request.method == "GET":
            return Response({"count": bulk_preview(**common, **scope)})
        if not data.get("action"):
            raise ValidationError({"action": "Choose accept or reject."})
        bulk = bulk_decide(action=data["action"], **common, **scope)
        if "document" in scope:  # as single decisions through the API do
            assignment_start(document=scope["document"], reviewer=request.user)
        return Response(_bulk_data(bulk), status=status.HTTP_201_CREATED)

    @extend_schema(request=None)
    @action(detail=False, methods=["post"], url_path=r"bulk/(?P<bulk_id>[0-9]+)/undo")
    def bulk_undo(self, request: Request, bulk_id: str) -> Response:
        bulk = get_object_or_404(SuggestionBulkDecision, pk=bulk_id, reviewer=request.user)
        try:
            undone = bulk_undo(bulk=bulk, user=request.user)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages)) from None
        return Response(
            {
                **_bulk_data(bulk),
                "undone": undone.undone,
                # Annotations kept (with their decisions): edited, or given evidence or a
                # verdict since the bulk decision.
                "kept_annotations": undone.kept,
            }
        )


def _bulk_data(bulk: SuggestionBulkDecision) -> dict:
    return {
        "id": bulk.pk,
        "status": bulk.status,
        "decided": bulk.decided,
        "label": bulk.label.slug,
        "min_score": bulk.min_score,
        "document": bulk.document_id,
        "collection": bulk.collection_id,
    }


# Suggestions


class SuggestionViewSet(SuggestionBulkMixin, BodyLimitMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Suggestion.objects.none()
    permission_classes = HAS_ROLE
    serializer_class = SuggestionSerializer
    filterset_class = SuggestionFilter
    ordering_fields = ["id", "start", "score", "created_at"]
    ordering = ["document_id", "start", "end", "id"]

    def get_queryset(self):
        return suggestion_list_for_user(user=self.request.user)

    @extend_schema(request=SuggestionAcceptSerializer, responses={201: AnnotationSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk=None) -> Response:
        """Accept (optionally with adjusted start/end/label): creates your annotation."""
        suggestion = self.get_object()
        serializer = SuggestionAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        annotation = suggestion_accept(
            suggestion=suggestion, user=request.user, **serializer.validated_data
        )
        assignment_start(document=suggestion.document, reviewer=request.user)
        return Response(AnnotationSerializer(annotation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        suggestion = suggestion_reject(suggestion=self.get_object(), user=request.user)
        assignment_start(document=suggestion.document, reviewer=request.user)
        suggestion = self.get_queryset().get(pk=suggestion.pk)
        return Response(self.get_serializer(suggestion).data)


class SuggestionRunViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = HAS_ROLE
    queryset = SuggestionRun.objects.none()
    serializer_class = SuggestionRunSerializer
    filter_backends: list = []

    def get_queryset(self):
        return suggestion_run_list_for_user(user=self.request.user)
