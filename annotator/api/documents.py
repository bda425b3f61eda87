"""API: documents (create, update, suggest)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from annotator.annotations.selectors import annotation_list, document_list_for_user
from annotator.api.base import (
    HAS_ROLE,
    BodyLimitMixin,
    Conflict,
    IsLeadForWrites,
    ServiceUnavailable,
    etag_matches,
    flag,
    revalidated,
    validation_detail,
)
from annotator.api.document_read import annotation_rows, document_etag
from annotator.api.filters import DocumentFilter
from annotator.api.parsers import CSVParser, NDJSONParser
from annotator.api.revisions import DocumentRevisionActions
from annotator.api.serializers import (
    DocumentCreateResultSerializer,
    DocumentInputSerializer,
    DocumentListSerializer,
    DocumentReplaceSerializer,
    DocumentSerializer,
    DocumentUpdateSerializer,
    SuggestionRunSerializer,
    SuggestionSerializer,
)
from annotator.suggestions.selectors import (
    documents_by_uncertainty,
    suggestion_pending_list_for_user,
)
from corpus.batches import BatchInvalid, batch_write, records_check
from corpus.models import Document, RevisionSource
from corpus.services import document_update

# Documents

INCLUDES = ("annotations", "suggestions")


@extend_schema(
    parameters=[
        OpenApiParameter("include_text", OpenApiTypes.BOOL, description="List with the text.")
    ]
)
class DocumentViewSet(
    DocumentRevisionActions,
    BodyLimitMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Document.objects.none()
    permission_classes = [*HAS_ROLE, IsLeadForWrites]
    filterset_class = DocumentFilter
    # "uncertainty" (annotated on request): `?ordering=-uncertainty` lists first the documents
    # whose open suggestions the model is least sure of.
    ordering_fields = ["id", "title", "created_at", "published_at", "uncertainty"]
    ordering = ["id"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    # A list of documents may also come as NDJSON or CSV (the formats import_documents reads).
    parser_classes = [*api_settings.DEFAULT_PARSER_CLASSES, NDJSONParser, CSVParser]

    def get_queryset(self):
        documents = document_list_for_user(user=self.request.user)
        if self.action == "list" and not flag(self.request, "include_text"):
            documents = documents.defer("text")
        if self.action == "list" and "uncertainty" in self.request.query_params.get("ordering", ""):
            documents = documents_by_uncertainty(documents, user=self.request.user)
        return documents

    def get_serializer_class(self):
        if self.action == "list" and not flag(self.request, "include_text"):
            return DocumentListSerializer
        return DocumentSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "include",
                OpenApiTypes.STR,
                description="Comma-separated: `annotations` (the ones you may see, blind review "
                "respected, in text order) and/or `suggestions` (those still open to you).",
            ),
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag you read: 304 if nothing in the answer changed.",
            ),
        ]
    )
    def retrieve(self, request: Request, pk=None) -> Response:
        """The document, and with ?include= everything needed to review it, in one call."""
        includes = _includes(request)
        document = self.get_object()
        data = self.get_serializer(document).data
        annotations = suggestions = None
        if "annotations" in includes:
            annotations = annotation_list(document=document, user=request.user)
        if "suggestions" in includes:
            suggestions = list(
                suggestion_pending_list_for_user(document=document, user=request.user)
            )
        etag = document_etag(
            request=request,
            document_data=data,
            annotations=annotations,
            suggestions=suggestions,
        )
        if etag_matches(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        if annotations is not None:
            data["annotations"] = annotation_rows(annotations)
        if suggestions is not None:
            context = self.get_serializer_context()
            data["suggestions"] = SuggestionSerializer(suggestions, many=True, context=context).data
        return Response(data, headers={"ETag": etag})

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action == "retrieve" and response.status_code in (200, 304):
            return revalidated(response)
        return response

    @extend_schema(
        request=DocumentInputSerializer(many=True),
        responses={
            201: PolymorphicProxySerializer(
                component_name="DocumentCreated",
                serializers=[DocumentSerializer, DocumentCreateResultSerializer],
                resource_type_field_name=None,
            )
        },
        description="Create one document (an object: 201 with the document and `Location`; a "
        "text already in the collection answers 200 with the existing document) or several (a "
        "list: `created` and `duplicates`).",
    )
    def create(self, request: Request) -> Response:
        many = isinstance(request.data, list)
        serializer = DocumentInputSerializer(data=request.data, many=many)
        if not serializer.is_valid():
            errors = serializer.errors
            if many and isinstance(errors, list):
                errors = {"documents": {i: e for i, e in enumerate(errors) if e}}
            elif many and all(isinstance(key, int) for key in errors):
                errors = {"documents": errors}  # DRF 3.16+: only the invalid items, by index
            raise ValidationError(errors)
        items = serializer.validated_data if many else [serializer.validated_data]
        try:
            records = records_check(enumerate(items))
        except BatchInvalid as exc:
            detail = {"documents": exc.errors} if many else exc.errors[0]
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = batch_write(records=records, imported_by=request.user)
        except DjangoValidationError as exc:  # a revision refused (its external id is taken)
            raise ValidationError(validation_detail(exc)) from None
        if not many:
            document = (result.created or result.duplicates or result.revised)[0]
            return _one_document_response(request, document, bool(result.created))
        data = DocumentCreateResultSerializer(
            {"created": result.created, "duplicates": result.duplicates + result.revised}
        ).data
        return Response(
            data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )

    @extend_schema(
        request=DocumentUpdateSerializer,
        responses=DocumentSerializer,
        description="Change fields; a new text becomes the document's next revision and its "
        "annotations are re-anchored. Send `revision` to get 409 if someone revised it first.",
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        return self._update(request, DocumentUpdateSerializer)

    @extend_schema(request=DocumentReplaceSerializer, responses=DocumentSerializer)
    def update(self, request: Request, pk=None) -> Response:
        """Replace the text (required) and the fields given: a new revision if the text changed."""
        return self._update(request, DocumentReplaceSerializer)

    def _update(self, request: Request, serializer_class) -> Response:
        document = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        expected = fields.pop("revision", None)
        with transaction.atomic():
            if expected is not None:
                current = Document.objects.select_for_update().get(pk=document.pk).revision
                if current != expected:
                    raise Conflict(
                        f"The document is at revision {current}, not {expected}; "
                        "reload it and apply your change again."
                    )
            document = document_update(
                document=document,
                revision_source=RevisionSource.API,
                revised_by=request.user,
                **fields,
            )
        return Response(DocumentSerializer(document).data)

    @extend_schema(request=None, responses={202: SuggestionRunSerializer})
    @action(detail=True, methods=["post"], permission_classes=HAS_ROLE)
    def suggest(self, request: Request, pk=None) -> Response:
        """Queue the suggesters on this document; poll /api/suggestion-runs/{id}/."""
        document = self.get_object()
        try:
            from annotator.suggestions.runs import SuggestionsUnavailable, suggestion_run_start
        except ImportError:  # pragma: no cover - the suggestion service is not installed
            raise ServiceUnavailable("Suggestions are not available on this server.") from None
        suggester = request.data.get("suggester") if hasattr(request.data, "get") else None
        if suggester is not None and (not isinstance(suggester, str) or not suggester.strip()):
            raise ValidationError({"suggester": "Must be a suggester's name."})
        try:
            run = suggestion_run_start(
                document=document, suggester=suggester or None, created_by=request.user
            )
        except SuggestionsUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from None
        except DjangoValidationError as exc:
            raise ValidationError(validation_detail(exc)) from None
        return Response(SuggestionRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


def _one_document_response(request: Request, document: Document, created: bool) -> Response:
    """A single POST answers like any REST create: the object and where it lives."""
    location = request.build_absolute_uri(reverse("document-detail", args=[document.pk]))
    return Response(
        DocumentSerializer(document).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        headers={"Location": location},
    )


def _includes(request: Request) -> set[str]:
    names = {n.strip() for n in request.query_params.get("include", "").split(",") if n.strip()}
    unknown = sorted(names - set(INCLUDES))
    if unknown:
        raise ValidationError(
            {"include": f"Unknown {', '.join(unknown)}; use {' and/or '.join(INCLUDES)}."}
        )
    return names
