"""API: annotations (the same services as the UI)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.annotations.selectors import annotation_list_for_user, document_list_for_user
from annotator.annotations.services import (
    annotation_create,
    annotation_delete,
    annotation_update,
    evidence_url_check,
    label_resolve,
    span_check,
)
from annotator.api.base import (
    HAS_ROLE,
    BodyLimitMixin,
    CanChangeAnnotation,
    version_read,
)
from annotator.api.filters import AnnotationFilter
from annotator.api.revisions import AnnotationAnchorActions
from annotator.api.serializers import (
    AnnotationInputSerializer,
    AnnotationSerializer,
    AnnotationUpdateSerializer,
)
from annotator.models import Annotation
from annotator.review.services import assignment_start

# Annotations


@extend_schema(
    parameters=[
        OpenApiParameter(
            "If-Match",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            description="The version read (an alternative to `version` in the body); "
            "PATCH and DELETE need one of them (428 otherwise).",
        )
    ]
)
class AnnotationViewSet(AnnotationAnchorActions, BodyLimitMixin, viewsets.ModelViewSet):
    queryset = Annotation.objects.none()
    permission_classes = [*HAS_ROLE, CanChangeAnnotation]
    serializer_class = AnnotationSerializer
    filterset_class = AnnotationFilter
    ordering_fields = ["id", "start", "created_at", "updated_at"]
    ordering = ["document_id", "start", "end", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return annotation_list_for_user(user=self.request.user)

    def _version(self, request: Request, body_version: int | None) -> int:
        return version_read(request, body_version)

    @extend_schema(request=AnnotationInputSerializer, responses={201: AnnotationSerializer})
    def create(self, request: Request) -> Response:
        serializer = AnnotationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        document = document_list_for_user(user=request.user).filter(pk=data.pop("document")).first()
        _report_all_errors(document, data)
        annotation = annotation_create(document=document, created_by=request.user, **data)
        # Work through the API starts the reviewer's assignment, as opening the page does.
        assignment_start(document=document, reviewer=request.user)
        return Response(self._out(annotation), status=status.HTTP_201_CREATED)

    def _out(self, annotation) -> dict:
        return AnnotationSerializer(annotation).data

    @extend_schema(request=AnnotationUpdateSerializer, responses=AnnotationSerializer)
    def partial_update(self, request: Request, pk=None) -> Response:
        annotation = self.get_object()
        serializer = AnnotationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = self._version(request, changes.pop("version", None))
        updated = annotation_update(
            annotation=annotation, user=request.user, version=version, **changes
        )
        # Relations already read by get_object(): no extra queries for the response.
        if updated.label_id == annotation.label_id:
            updated.label = annotation.label
        updated.created_by = annotation.created_by
        response = Response(self._out(updated))
        response["ETag"] = f'"{updated.version}"'
        return response

    def retrieve(self, request: Request, pk=None) -> Response:
        annotation = self.get_object()
        response = Response(self._out(annotation))
        response["ETag"] = f'"{annotation.version}"'
        return response

    def destroy(self, request: Request, pk=None) -> Response:
        annotation = self.get_object()
        version = self._version(request, None)
        annotation_delete(annotation=annotation, user=request.user, version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _report_all_errors(document, data: dict) -> None:
    """Run the services' checks one by one so a 400 names every bad field, not the first."""
    errors: dict[str, list[str]] = {}

    def collect(check) -> None:
        try:
            check()
        except DjangoValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)

    if document is None:
        errors["document"] = ["Unknown document."]
    else:
        collect(
            lambda: span_check(
                document=document, start=data["start"], end=data["end"], quote=data.get("quote")
            )
        )
    collect(lambda: data.update(label=label_resolve(data["label"])))
    collect(lambda: evidence_url_check(data.get("evidence_url", "")))
    if errors:
        raise DjangoValidationError(errors)
