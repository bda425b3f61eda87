"""API: the event feed (`GET /api/events/?after=ID`), a cursor for consumers that poll."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.api.base import HAS_ROLE
from annotator.events.selectors import events_after
from annotator.events.services import EventType
from annotator.models import Event

MAX_LIMIT = 1000


class EventSerializer(serializers.ModelSerializer):
    data = serializers.JSONField(source="payload")

    class Meta:
        model = Event
        fields = ["id", "type", "version", "created_at", "collection", "document", "data"]


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: f"Must be an integer, not {raw[:40]!r}."}) from None
    if not low <= value <= high:
        raise ValidationError({name: f"Must be between {low} and {high}."})
    return value


class EventListView(APIView):
    """Events after a cursor, oldest first, as you may see them (blind review applies).

    Read `next` from the answer and pass it as `after` next time; an empty `events` list
    means you are up to date.
    """

    permission_classes = HAS_ROLE

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Last event id you have (default 0)."),
            OpenApiParameter("limit", int, description=f"At most this many (1-{MAX_LIMIT})."),
            OpenApiParameter("type", str, description="Comma-separated event types."),
        ],
        responses=EventSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        after = _int_param(request, "after", 0, 0, 2**63 - 1)
        limit = _int_param(request, "limit", 100, 1, MAX_LIMIT)
        types = [t for t in request.query_params.get("type", "").split(",") if t]
        unknown = sorted(set(types) - set(EventType.values))
        if unknown:
            raise ValidationError({"type": f"Unknown event types: {', '.join(unknown)}."})
        events = events_after(user=request.user, after=after, types=types, limit=limit)
        cursor = events[-1].pk if events else after
        return Response({"events": EventSerializer(events, many=True).data, "next": cursor})
