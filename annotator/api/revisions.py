"""API: document revisions, their diff, import by URL, re-check and fetch progress; a
reviewer's decision on a re-anchored annotation."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.anchoring.selectors import revision_diff, revision_get, revision_list
from annotator.anchoring.services import anchor_confirm, anchor_discard, anchor_replace
from annotator.api.base import HAS_ROLE, validation_detail
from annotator.api.serializers import AnnotationSerializer
from annotator.permissions import is_lead
from corpus.models import DocumentFetch, DocumentRevision
from corpus.services import collection_get_or_create
from corpus.urlimport import document_recheck_request, url_import_request


class RevisionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DocumentRevision
        fields = ["number", "sha256", "created_at", "source", "source_url", "created_by"]
        read_only_fields = fields


class RevisionTextSerializer(RevisionSerializer):
    class Meta(RevisionSerializer.Meta):
        fields = [*RevisionSerializer.Meta.fields, "text"]
        read_only_fields = fields


class FetchSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    revision = serializers.SerializerMethodField()

    class Meta:
        model = DocumentFetch
        fields = [
            "id",
            "url",
            "collection",
            "status",
            "error",
            "document",
            "revision",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_revision(self, fetch: DocumentFetch) -> int | None:
        return fetch.revision.number if fetch.revision_id else None


class UrlImportSerializer(serializers.Serializer):
    urls = serializers.ListField(child=serializers.CharField(max_length=2000), max_length=50)
    collection = serializers.SlugField(max_length=100, required=False, default="default")


class AnchorDecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["confirm", "discard", "replace"])
    start = serializers.IntegerField(required=False, min_value=0)
    end = serializers.IntegerField(required=False, min_value=1)
    quote = serializers.CharField(required=False, trim_whitespace=False)


def _service(call, **kwargs):
    try:
        return call(**kwargs)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from None
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(validation_detail(exc)) from None


class DocumentRevisionActions:
    """Actions mixed into the DocumentViewSet (reads: any role; writes: leads)."""

    @extend_schema(responses=RevisionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def revisions(self, request: Request, pk=None) -> Response:
        """The document's revisions, oldest first; `revision` on the document is the latest."""
        document = self.get_object()
        return Response(RevisionSerializer(revision_list(document=document), many=True).data)

    @extend_schema(responses=RevisionTextSerializer)
    @action(detail=True, methods=["get"], url_path=r"revisions/(?P<number>[0-9]+)")
    def revision(self, request: Request, pk=None, number: str = "") -> Response:
        document = self.get_object()
        revision = revision_get(document=document, number=int(number))
        return Response(RevisionTextSerializer(revision).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("old", OpenApiTypes.INT, description="Default: new - 1."),
            OpenApiParameter("new", OpenApiTypes.INT, description="Default: the latest."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk=None) -> Response:
        """Pieces of text: `equal`, `insert` (only in new) or `delete` (only in old), each
        with the labels of the annotations on it (old spans on deletions)."""
        document = self.get_object()
        try:
            new = int(request.query_params.get("new") or document.revision)
            old = int(request.query_params.get("old") or max(1, new - 1))
        except ValueError:
            raise exceptions.ValidationError({"old": "Revision numbers are integers."}) from None
        diff = revision_diff(document=document, user=request.user, old=old, new=new)
        return Response(
            {
                "old": diff.old.number,
                "new": diff.new.number,
                "insertions": diff.insertions,
                "deletions": diff.deletions,
                "pieces": [{"op": p.op, "text": p.text, "labels": p.spans} for p in diff.pieces],
            }
        )

    @extend_schema(request=None, responses={202: FetchSerializer})
    @action(detail=True, methods=["post"])
    def recheck(self, request: Request, pk=None) -> Response:
        """Fetch the document's URL again; a revision is recorded only if the text changed."""
        document = self.get_object()
        fetch = _service(document_recheck_request, document=document, user=request.user)
        return Response(FetchSerializer(fetch).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=UrlImportSerializer, responses={202: FetchSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="import-url")
    def import_url(self, request: Request) -> Response:
        """Queue article URLs for import; poll /api/document-fetches/{id}/ for each."""
        serializer = UrlImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        collection = _service(collection_get_or_create, slug=data["collection"])
        fetches = _service(
            url_import_request, urls=data["urls"], collection=collection, user=request.user
        )
        return Response(FetchSerializer(fetches, many=True).data, status=status.HTTP_202_ACCEPTED)


class DocumentFetchViewSet(viewsets.ReadOnlyModelViewSet):
    """Imports by URL and re-checks with their progress (leads)."""

    permission_classes = HAS_ROLE
    queryset = DocumentFetch.objects.none()
    serializer_class = FetchSerializer
    filter_backends: list = []

    def get_queryset(self):
        if not is_lead(self.request.user):
            raise exceptions.PermissionDenied("Only leads import and re-check documents.")
        return DocumentFetch.objects.select_related("collection", "revision").order_by("-id")


class AnnotationAnchorActions:
    """POST /api/annotations/{id}/anchor/: confirm, discard or replace a re-anchored span."""

    @extend_schema(request=AnchorDecisionSerializer, responses=AnnotationSerializer)
    @action(detail=True, methods=["post"])
    def anchor(self, request: Request, pk=None) -> Response:
        annotation = get_object_or_404(self.get_queryset(), pk=pk)
        serializer = AnchorDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        kind = data.pop("action")
        if kind == "discard":
            _service(anchor_discard, annotation=annotation, user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        if kind == "confirm":
            annotation = _service(anchor_confirm, annotation=annotation, user=request.user)
        else:
            if "start" not in data or "end" not in data:
                raise exceptions.ValidationError({"start": "Replace needs start and end."})
            annotation = _service(anchor_replace, annotation=annotation, user=request.user, **data)
        return Response(AnnotationSerializer(annotation).data)
