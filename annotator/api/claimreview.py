"""API: published verdicts as a streamed schema.org ClaimReview JSON-LD array."""

from __future__ import annotations

from datetime import UTC

from django.http import StreamingHttpResponse
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from annotator.annotations.selectors import annotation_list_for_user
from annotator.api.base import HAS_ROLE
from annotator.api.transfer import IgnoreFormatNegotiation, _encoded
from annotator.claims.claimreview import claimreview_lines, published_verdicts


@extend_schema(
    parameters=[
        OpenApiParameter("collection", OpenApiTypes.STR, description="A collection's slug."),
        OpenApiParameter(
            "published_since", OpenApiTypes.DATETIME, description="Only verdicts published since."
        ),
    ],
    responses={(200, "application/ld+json"): OpenApiTypes.STR},
)
class ClaimReviewExportView(APIView):
    """Every published verdict you may see, as schema.org ClaimReview (JSON-LD)."""

    content_negotiation_class = IgnoreFormatNegotiation
    permission_classes = HAS_ROLE
    renderer_classes = [JSONRenderer]

    def get(self, request: Request) -> StreamingHttpResponse:
        annotations = annotation_list_for_user(user=request.user)
        collection = request.query_params.get("collection")
        if collection:
            annotations = annotations.filter(document__collection__slug=collection)
        verdicts = published_verdicts(annotations)
        since = request.query_params.get("published_since")
        if since:
            try:
                moment = parse_datetime(since)
                if moment is not None and moment.tzinfo is not None:
                    # The database keeps UTC; offsets such as +20:00 are refused by PostgreSQL.
                    moment = moment.astimezone(UTC)
            except (ValueError, OverflowError):
                moment = None
            if moment is None:
                raise exceptions.ValidationError(
                    {"published_since": "Must be an ISO 8601 date-time, e.g. 2025-01-31T00:00:00Z."}
                )
            verdicts = verdicts.filter(published_at__gte=moment)
        base = request.build_absolute_uri("/").rstrip("/")
        response = StreamingHttpResponse(
            _encoded(claimreview_lines(verdicts, base_url=base)),
            content_type="application/ld+json; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="claimreview.jsonld"'
        return response
