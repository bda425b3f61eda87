"""API: evidence, nested under its annotation (/api/annotations/<id>/evidence/...)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.base import HAS_ROLE, BodyLimitMixin, version_read
from annotator.claims.selectors import annotation_for_claims, evidence_list
from annotator.claims.services import (
    EVIDENCE_FIELDS,
    evidence_archive_retry,
    evidence_create,
    evidence_delete,
    evidence_update,
)
from annotator.models import Evidence, Stance

FIELDS = [
    "id",
    "annotation",
    *EVIDENCE_FIELDS,
    "created_by",
    "created_at",
    "updated_at",
    "version",
    "archive",
]


class EvidenceSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    archive = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = FIELDS

    def get_archive(self, evidence: Evidence) -> dict:
        return archive_data(evidence)


def archive_data(evidence: Evidence) -> dict:
    """The archived copy as the API and the exports show it."""
    warc = reverse("claims-evidence-warc", args=[evidence.pk]) if evidence.archive_file else None
    return {
        "status": evidence.archive_status,
        "error": evidence.archive_error,
        "sha256": evidence.archive_sha256,
        "http_status": evidence.archive_http_status,
        "final_url": evidence.archive_final_url,
        "archived_at": evidence.archived_at.isoformat() if evidence.archived_at else None,
        "excerpt_found": evidence.excerpt_found,
        "warc": warc,
    }


class EvidenceInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000)
    stance = serializers.ChoiceField(choices=Stance.choices)
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    author = serializers.CharField(max_length=200, required=False, allow_blank=True)
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True)
    published_on = serializers.DateField(required=False, allow_null=True)
    excerpt = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    note = serializers.CharField(max_length=20_000, required=False, allow_blank=True)


class EvidenceUpdateSerializer(EvidenceInputSerializer):
    url = serializers.CharField(max_length=2000, required=False)
    stance = serializers.ChoiceField(choices=Stance.choices, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class EvidenceViewSet(BodyLimitMixin, viewsets.GenericViewSet):
    """Sources for and against one claim; adding one queues its archiving."""

    permission_classes = HAS_ROLE
    serializer_class = EvidenceSerializer
    queryset = Evidence.objects.none()
    filter_backends: list = []

    def annotation(self):
        if not hasattr(self, "_annotation"):
            self._annotation = annotation_for_claims(
                annotation_id=self.kwargs["annotation_pk"], user=self.request.user
            )
        return self._annotation

    def get_queryset(self):
        return evidence_list(annotation=self.annotation())

    def list(self, request: Request, annotation_pk: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(EvidenceSerializer(page, many=True).data)

    @extend_schema(request=EvidenceInputSerializer, responses={201: EvidenceSerializer})
    def create(self, request: Request, annotation_pk: int) -> Response:
        annotation = self.annotation()
        serializer = EvidenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = evidence_create(
            annotation=annotation, user=request.user, **serializer.validated_data
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, annotation_pk: int, pk: int) -> Response:
        evidence = self.get_object()
        response = Response(EvidenceSerializer(evidence).data)
        response["ETag"] = f'"{evidence.version}"'
        return response

    @extend_schema(request=EvidenceUpdateSerializer, responses=EvidenceSerializer)
    def partial_update(self, request: Request, annotation_pk: int, pk: int) -> Response:
        evidence = self.get_object()
        serializer = EvidenceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = version_read(request, changes.pop("version", None), "evidence")
        updated = evidence_update(evidence=evidence, user=request.user, version=version, **changes)
        response = Response(EvidenceSerializer(updated).data)
        response["ETag"] = f'"{updated.version}"'
        return response

    def destroy(self, request: Request, annotation_pk: int, pk: int) -> Response:
        evidence = self.get_object()
        evidence_delete(
            evidence=evidence, user=request.user, version=version_read(request, None, "evidence")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: EvidenceSerializer})
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, annotation_pk: int, pk: int) -> Response:
        """Archive the source again (after a failure, or for a fresh copy)."""
        evidence = evidence_archive_retry(evidence=self.get_object(), user=request.user)
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_202_ACCEPTED)
