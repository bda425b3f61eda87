"""API: streaming export and bulk import of annotations."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.annotations.selectors import annotation_list_for_user
from annotator.api import export_csv, export_sql, export_w3c, exports
from annotator.api.base import HAS_ROLE, BodyLimitMixin, flag, too_large
from annotator.api.filters import AnnotationFilter
from annotator.api.imports import annotations_import
from annotator.api.serializers import (
    ImportResultSerializer,
)
from annotator.claims.transfer import with_claims, with_claims_json
from annotator.permissions import is_lead

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
        include_text = flag(request, "include_text")
        blocks = self._copied(fmt, annotations, include_text)
        if blocks is None:
            blocks = _encoded(self._lines(request, fmt, annotations, include_text))
        content_type, extension = EXPORT_FORMATS[fmt]
        response = StreamingHttpResponse(blocks, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="annotations.{extension}"'
        return response

    @staticmethod
    def _copied(fmt: str, annotations, include_text: bool):
        """PostgreSQL writes JSONL, JSON and CSV itself (COPY ... TO STDOUT), bytes ready to
        send; None where the lines are written here."""
        if include_text or not export_sql.copy_available():
            return None
        if fmt == "jsonl":
            return export_sql.copy_json_lines(annotations)
        if fmt == "json":
            return export_sql.copy_json_array(annotations)
        if fmt == "csv":
            return export_sql.copy_csv(annotations)
        return None

    @staticmethod
    def _lines(request: Request, fmt: str, annotations, include_text: bool):
        if fmt == "w3c":
            if export_sql.copy_available():
                return export_w3c.w3c_copy_lines(annotations, base_url=_base_url(request))
            if exports.database_writes_json():
                return export_w3c.w3c_text_lines(annotations, base_url=_base_url(request))
            return exports.w3c_lines(annotations, base_url=_base_url(request))
        if fmt == "spacy":
            return exports.spacy_lines(annotations)
        if fmt in {"jsonl", "json"} and not include_text:
            # JSON written by the database; evidence and verdicts spliced in per chunk.
            texts = with_claims_json(export_sql.iter_json_texts(annotations))
            if fmt == "json":
                return export_sql.json_array_text_lines(texts)
            return export_sql.jsonl_text_lines(texts)
        if fmt == "csv" and not include_text and connection.vendor == "sqlite":
            return export_csv.sqlite_csv_lines(annotations)  # cells written by SQLite
        records = exports.iter_export_records(annotations, include_text=include_text)
        if fmt == "csv":
            fields = [*exports.EXPORT_FIELDS] + (["document_text"] if include_text else [])
            return exports.csv_lines(records, fields)
        records = with_claims(records)
        if fmt == "json":
            return exports.json_array_lines(records)
        return exports.jsonl_lines(records)


def _base_url(request: Request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


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
            raise too_large() from None
        result = annotations_import(lines=body.splitlines())
        return Response(ImportResultSerializer(result).data, status=status.HTTP_201_CREATED)
