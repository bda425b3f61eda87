"""REST API: thin viewsets over the selectors and services the UI uses."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from corpus.models import Collection, Document
from corpus.services import collection_get_or_create, document_create, document_update

from . import exports
from .filters import AnnotationFilter, DocumentFilter, SuggestionFilter
from .models import Annotation, Label, Suggestion, SuggestionRun
from .permissions import can_annotate, can_change_annotation, is_lead
from .selectors import (
    annotation_list_for_user,
    document_list_for_user,
    suggestion_list_for_user,
)
from .serializers import (
    AnnotationInputSerializer,
    AnnotationSerializer,
    AnnotationUpdateSerializer,
    CollectionSerializer,
    DocumentCreateResultSerializer,
    DocumentInputSerializer,
    DocumentListSerializer,
    DocumentSerializer,
    DocumentUpdateSerializer,
    ImportResultSerializer,
    LabelSerializer,
    SuggestionAcceptSerializer,
    SuggestionRunSerializer,
    SuggestionSerializer,
)
from .services.annotation_import import ImportErrors, annotations_import
from .services.annotations import (
    AnnotationConflict,
    annotation_create,
    annotation_delete,
    annotation_update,
    evidence_url_check,
    label_resolve,
    span_check,
)
from .services.suggestions import suggestion_accept, suggestion_reject

# Errors


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The annotation changed meanwhile."
    default_code = "conflict"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"


def _validation_detail(exc: DjangoValidationError) -> dict | list:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"detail": exc.messages if len(exc.messages) > 1 else exc.messages[0]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Django's ValidationError → 400 with field messages, AnnotationConflict → 409."""
    if isinstance(exc, AnnotationConflict):
        current = AnnotationSerializer(exc.current).data
        return Response(
            {"detail": str(exc), "version": exc.current.version, "current": current},
            status=status.HTTP_409_CONFLICT,
            headers={"ETag": f'"{exc.current.version}"'},
        )
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ImportErrors):
        return Response(
            {"detail": str(exc), "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, RequestDataTooBig):
        exc = _too_large()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


def _too_large() -> BodyTooLarge:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return BodyTooLarge(f"The request body is larger than the limit of {limit} bytes.")


# Permissions


class CanAnnotate(permissions.BasePermission):
    """As in the reviewer UI (permissions.can_annotate): everything here needs a role."""

    message = "You need a reviewer, lead or admin role."

    def has_permission(self, request: Request, view) -> bool:
        return can_annotate(request.user)


HAS_ROLE = [permissions.IsAuthenticated, CanAnnotate]


class IsLeadForWrites(permissions.BasePermission):
    message = "Only leads and admins add or change documents."

    def has_permission(self, request: Request, view) -> bool:
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", "") == "suggest":
            return True
        return is_lead(request.user)


class CanChangeAnnotation(permissions.BasePermission):
    """The UI's rule (annotator.permissions.can_change_annotation) for writes on one object."""

    message = "You cannot change another reviewer's annotation."

    def has_object_permission(self, request: Request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_change_annotation(request.user, obj)


class BodyLimitMixin:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE before DRF reads them."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise _too_large()
        super().initial(request, *args, **kwargs)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in {"1", "true", "yes", "on"}


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


# Documents


@extend_schema(
    parameters=[
        OpenApiParameter("include_text", OpenApiTypes.BOOL, description="List with the text.")
    ]
)
class DocumentViewSet(
    BodyLimitMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Document.objects.none()
    permission_classes = [*HAS_ROLE, IsLeadForWrites]
    filterset_class = DocumentFilter
    ordering_fields = ["id", "title", "created_at", "published_at"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        documents = document_list_for_user(user=self.request.user)
        if self.action == "list" and not _flag(self.request, "include_text"):
            documents = documents.defer("text")
        return documents

    def get_serializer_class(self):
        if self.action == "list" and not _flag(self.request, "include_text"):
            return DocumentListSerializer
        return DocumentSerializer

    @extend_schema(
        request=DocumentInputSerializer(many=True),
        responses={201: DocumentCreateResultSerializer},
        description="Create one document (an object) or several (a list). A text already in "
        "the collection is not duplicated: it is reported under `duplicates`.",
    )
    def create(self, request: Request) -> Response:
        many = isinstance(request.data, list)
        serializer = DocumentInputSerializer(data=request.data, many=many)
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data if many else [serializer.validated_data]
        created, duplicates, errors = [], [], {}
        with transaction.atomic():
            for index, item in enumerate(items):
                fields = dict(item)
                slug = fields.pop("collection")
                try:
                    collection = collection_get_or_create(slug=slug)
                    result = document_create(
                        collection=collection, imported_by=request.user, **fields
                    )
                except DjangoValidationError as exc:
                    errors[index] = _validation_detail(exc)
                    continue
                (created if result.created else duplicates).append(result.document)
            if errors:
                transaction.set_rollback(True)
        if errors:
            detail = errors[0] if not many else {"documents": errors}
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        data = DocumentCreateResultSerializer({"created": created, "duplicates": duplicates}).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=DocumentUpdateSerializer, responses=DocumentSerializer)
    def partial_update(self, request: Request, pk=None) -> Response:
        document = self.get_object()
        serializer = DocumentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            document = document_update(document=document, **serializer.validated_data)
        return Response(DocumentSerializer(document).data)

    @extend_schema(request=None, responses={202: SuggestionRunSerializer})
    @action(detail=True, methods=["post"], permission_classes=HAS_ROLE)
    def suggest(self, request: Request, pk=None) -> Response:
        """Queue the suggesters on this document; poll /api/suggestion-runs/{id}/."""
        document = self.get_object()
        try:
            from .services.suggestions import SuggestionsUnavailable, suggestion_run_start
        except ImportError:  # pragma: no cover - the suggestion service is not installed
            raise ServiceUnavailable("Suggestions are not available on this server.") from None
        try:
            run = suggestion_run_start(document=document, created_by=request.user)
        except SuggestionsUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from None
        return Response(SuggestionRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


# Annotations


@extend_schema(
    parameters=[
        OpenApiParameter(
            "If-Match",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            description="The version read (an alternative to `version` in the body).",
        )
    ]
)
class AnnotationViewSet(BodyLimitMixin, viewsets.ModelViewSet):
    queryset = Annotation.objects.none()
    permission_classes = [*HAS_ROLE, CanChangeAnnotation]
    serializer_class = AnnotationSerializer
    filterset_class = AnnotationFilter
    ordering_fields = ["id", "start", "created_at", "updated_at"]
    ordering = ["document_id", "start", "end", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return annotation_list_for_user(user=self.request.user)

    def _version(self, request: Request, body_version: int | None) -> int | None:
        if body_version is not None:
            return body_version
        header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
        if not header or header == "*":
            return None
        try:
            return int(header)
        except ValueError:
            raise exceptions.ValidationError(
                {"If-Match": 'Send the annotation\'s version number, e.g. If-Match: "3".'}
            ) from None

    @extend_schema(request=AnnotationInputSerializer, responses={201: AnnotationSerializer})
    def create(self, request: Request) -> Response:
        serializer = AnnotationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        document = document_list_for_user(user=request.user).filter(pk=data.pop("document")).first()
        _report_all_errors(document, data)
        annotation = annotation_create(document=document, created_by=request.user, **data)
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
        return Response(AnnotationSerializer(annotation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        suggestion = suggestion_reject(suggestion=self.get_object(), user=request.user)
        suggestion = self.get_queryset().get(pk=suggestion.pk)
        return Response(self.get_serializer(suggestion).data)


class SuggestionRunViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = HAS_ROLE
    queryset = SuggestionRun.objects.none()
    serializer_class = SuggestionRunSerializer
    filter_backends: list = []

    def get_queryset(self):
        runs = SuggestionRun.objects.select_related("collection")
        if is_lead(self.request.user):
            return runs
        visible = document_list_for_user(user=self.request.user).order_by().values("id")
        return runs.filter(document_id__in=visible)


# Export and import


class IgnoreFormatNegotiation(DefaultContentNegotiation):
    """`?format=` names the export format here, not a DRF renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return (renderers[0], renderers[0].media_type)


EXPORT_FORMATS = {
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
    "json": ("application/json; charset=utf-8", "json"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "w3c": ('application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"', "jsonld"),
    "spacy": ("application/x-ndjson; charset=utf-8", "spacy.jsonl"),
}


@extend_schema(
    parameters=[
        OpenApiParameter(
            "format",
            OpenApiTypes.STR,
            enum=list(EXPORT_FORMATS),
            description="jsonl (default), json, csv, w3c (Web Annotation JSON-LD), spacy "
            "(one line per document: text and spans).",
        ),
        OpenApiParameter("include_text", OpenApiTypes.BOOL, description="Add document_text."),
        OpenApiParameter("document", OpenApiTypes.INT),
        OpenApiParameter("collection", OpenApiTypes.STR),
        OpenApiParameter("label", OpenApiTypes.STR),
        OpenApiParameter("created_by", OpenApiTypes.STR),
        OpenApiParameter("origin", OpenApiTypes.STR, enum=["manual", "suggestion"]),
        OpenApiParameter("is_final", OpenApiTypes.BOOL),
        OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
    ],
    responses={(200, "application/x-ndjson"): OpenApiTypes.STR},
)
class AnnotationExportView(APIView):
    """Stream the annotations you can see, with the list's filters."""

    content_negotiation_class = IgnoreFormatNegotiation
    permission_classes = HAS_ROLE
    renderer_classes = [JSONRenderer]

    def get(self, request: Request) -> StreamingHttpResponse:
        fmt = request.query_params.get("format", "jsonl")
        if fmt not in EXPORT_FORMATS:
            raise exceptions.ValidationError(
                {"format": f"Unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}."}
            )
        filterset = AnnotationFilter(
            request.query_params, queryset=annotation_list_for_user(user=request.user)
        )
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        annotations = filterset.qs
        include_text = _flag(request, "include_text")
        lines = self._lines(request, fmt, annotations, include_text)
        content_type, extension = EXPORT_FORMATS[fmt]
        response = StreamingHttpResponse(_encoded(lines), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="annotations.{extension}"'
        return response

    @staticmethod
    def _lines(request: Request, fmt: str, annotations, include_text: bool):
        if fmt == "w3c":
            base = request.build_absolute_uri("/").rstrip("/")
            return exports.w3c_lines(annotations, base_url=base)
        if fmt == "spacy":
            return exports.spacy_lines(annotations)
        if fmt in {"jsonl", "json"} and not include_text:
            texts = exports.iter_json_texts(annotations)  # JSON written by PostgreSQL
            if fmt == "json":
                return exports.json_array_text_lines(texts)
            return exports.jsonl_text_lines(texts)
        records = exports.iter_export_records(annotations, include_text=include_text)
        if fmt == "csv":
            fields = [*exports.EXPORT_FIELDS] + (["document_text"] if include_text else [])
            return exports.csv_lines(records, fields)
        if fmt == "json":
            return exports.json_array_lines(records)
        return exports.jsonl_lines(records)


def _encoded(lines, size: int = 64 * 1024):
    """Join small pieces into ~64 KB bytes chunks: fewer writes to the socket."""
    buffer: list[str] = []
    held = 0
    for line in lines:
        buffer.append(line)
        held += len(line)
        if held >= size:
            yield "".join(buffer).encode("utf-8")
            buffer, held = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


class AnnotationImportView(BodyLimitMixin, APIView):
    """Import a JSONL export (the request body, one record per line); leads and admins only.

    All or nothing: any bad record answers 400 with its line number and nothing is written.
    """

    parser_classes: list = []

    @extend_schema(
        request={"application/x-ndjson": OpenApiTypes.STR},
        responses={
            201: ImportResultSerializer,
            400: inline_serializer(
                "ImportErrors",
                {"detail": serializers.CharField(), "errors": serializers.ListField()},
            ),
        },
    )
    def post(self, request: Request) -> Response:
        if not is_lead(request.user):
            raise exceptions.PermissionDenied("Only leads and admins import annotations.")
        try:
            body = request._request.body
        except RequestDataTooBig:
            raise _too_large() from None
        result = annotations_import(lines=body.splitlines())
        return Response(ImportResultSerializer(result).data, status=status.HTTP_201_CREATED)
