"""API: suggestions (accept, reject) and suggestion runs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.base import HAS_ROLE, BodyLimitMixin
from annotator.api.filters import SuggestionFilter
from annotator.api.serializers import (
    AnnotationSerializer,
    SuggestionAcceptSerializer,
    SuggestionRunSerializer,
    SuggestionSerializer,
)
from annotator.models import Suggestion, SuggestionRun
from annotator.review.services import assignment_start
from annotator.suggestions.decisions import suggestion_accept, suggestion_reject
from annotator.suggestions.selectors import suggestion_list_for_user, suggestion_run_list_for_user

# Suggestions


class SuggestionViewSet(BodyLimitMixin, viewsets.ReadOnlyModelViewSet):
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
