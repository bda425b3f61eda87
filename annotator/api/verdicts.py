"""API: a claim's verdict (/api/annotations/<id>/verdict/) and the rating scale."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.api.base import HAS_ROLE, BodyLimitMixin, version_read
from annotator.claims.selectors import annotation_for_claims, verdict_for_annotation
from annotator.claims.verdicts import verdict_checklist, verdict_save, verdict_transition
from annotator.models import Rating, Verdict, VerdictState


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ["id", "name", "value", "best", "worst", "order", "colour"]


class RatingViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = HAS_ROLE
    serializer_class = RatingSerializer
    queryset = Rating.objects.all()
    pagination_class = None


class VerdictSerializer(serializers.ModelSerializer):
    rating = RatingSerializer(read_only=True)
    proposed_by = serializers.CharField(source="proposed_by.username", read_only=True)
    published_by = serializers.CharField(
        source="published_by.username", read_only=True, default=None
    )

    class Meta:
        model = Verdict
        fields = [
            "id",
            "annotation",
            "rating",
            "claim_reviewed",
            "explanation",
            "claim_author",
            "state",
            "reason",
            "proposed_by",
            "published_by",
            "published_at",
            "created_at",
            "updated_at",
            "version",
        ]


class VerdictInputSerializer(serializers.Serializer):
    rating = serializers.CharField(max_length=100, required=False, help_text="Name or id.")
    claim_reviewed = serializers.CharField(max_length=500, required=False)
    explanation = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    claim_author = serializers.CharField(max_length=200, required=False, allow_blank=True)
    propose = serializers.BooleanField(required=False, default=False)
    version = serializers.IntegerField(required=False, min_value=1)


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=VerdictState.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)


def _out(verdict: Verdict) -> dict:
    data = VerdictSerializer(verdict).data
    checks = verdict_checklist(verdict=verdict, annotation=verdict.annotation)
    data["checklist"] = [
        {"rule": c.message, "passed": c.passed, "detail": c.detail} for c in checks
    ]
    return data


class VerdictView(BodyLimitMixin, APIView):
    """GET the claim's verdict with the desk's checklist; PUT creates or changes it."""

    permission_classes = HAS_ROLE

    def _annotation(self, request: Request, annotation_pk: int):
        return annotation_for_claims(annotation_id=annotation_pk, user=request.user)

    @extend_schema(responses=VerdictSerializer)
    def get(self, request: Request, annotation_pk: int) -> Response:
        annotation = self._annotation(request, annotation_pk)
        verdict = verdict_for_annotation(annotation=annotation)
        if verdict is None:
            return Response({"detail": "This claim has no verdict yet."}, status=404)
        response = Response(_out(verdict))
        response["ETag"] = f'"{verdict.version}"'
        return response

    @extend_schema(request=VerdictInputSerializer, responses=VerdictSerializer)
    def put(self, request: Request, annotation_pk: int) -> Response:
        annotation = self._annotation(request, annotation_pk)
        serializer = VerdictInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        exists = verdict_for_annotation(annotation=annotation) is not None
        version = version_read(request, data.pop("version", None), "verdict") if exists else None
        rating = data.get("rating")
        if rating is not None and rating.isdigit():
            data["rating"] = int(rating)
        verdict = verdict_save(annotation=annotation, user=request.user, version=version, **data)
        code = status.HTTP_200_OK if exists else status.HTTP_201_CREATED
        return Response(_out(verdict), status=code)


class VerdictTransitionView(BodyLimitMixin, APIView):
    """POST {"to": "in_review" | "published" | "draft", "reason", "version"}."""

    permission_classes = HAS_ROLE

    @extend_schema(request=TransitionSerializer, responses=VerdictSerializer)
    def post(self, request: Request, annotation_pk: int) -> Response:
        annotation = annotation_for_claims(annotation_id=annotation_pk, user=request.user)
        verdict = verdict_for_annotation(annotation=annotation)
        if verdict is None:
            return Response({"detail": "This claim has no verdict yet."}, status=404)
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        moved = verdict_transition(
            verdict=verdict,
            user=request.user,
            to=data["to"],
            version=version_read(request, data.get("version"), "verdict"),
            reason=data.get("reason", ""),
        )
        return Response(_out(moved))
