"""API: the review workflow: assignments, done/reopen per document, progress."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.annotations.selectors import document_for_user
from annotator.api.base import HAS_ROLE
from annotator.models import Assignment, AssignmentStatus
from annotator.permissions import can_assign, is_lead
from annotator.review import selectors
from annotator.review.services import (
    assignment_create,
    assignment_delete,
    assignment_mark_done,
    assignment_reopen,
    documents_assign,
    documents_assign_round_robin,
)
from corpus.models import Collection, Document


class AssignmentSerializer(serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assigned_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    collection = serializers.SlugRelatedField(
        source="document.collection", slug_field="slug", read_only=True
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "document",
            "collection",
            "reviewer",
            "status",
            "assigned_by",
            "created_at",
            "started_at",
            "done_at",
        ]


class AssignInputSerializer(serializers.Serializer):
    document = serializers.IntegerField(required=False)
    documents = serializers.ListField(child=serializers.IntegerField(), required=False)
    collection = serializers.SlugField(required=False)
    reviewer = serializers.CharField(required=False)
    reviewers = serializers.ListField(child=serializers.CharField(), required=False)
    k = serializers.IntegerField(required=False, min_value=1)


def _users(names: list[str], field: str) -> list:
    users = list(get_user_model().objects.filter(username__in=names))
    missing = sorted(set(names) - {u.username for u in users})
    if missing:
        raise ValidationError({field: f"Unknown users: {', '.join(missing)}."})
    return users


def _documents(data: dict):
    if "collection" in data:
        collection = Collection.objects.filter(slug=data["collection"]).first()
        if collection is None:
            raise ValidationError({"collection": f"Unknown collection {data['collection']!r}."})
        return collection.documents.all()
    ids = data.get("documents") or ([data["document"]] if "document" in data else [])
    if not ids:
        raise ValidationError({"documents": "Give document, documents or collection."})
    documents = Document.objects.filter(pk__in=ids)
    missing = sorted(set(ids) - set(documents.values_list("pk", flat=True)))
    if missing:
        raise ValidationError({"documents": f"Unknown documents: {missing}."})
    return documents


def _choice(request: Request, name: str, choices: list[str]) -> str | None:
    value = request.query_params.get(name)
    if value and value not in choices:
        raise ValidationError({name: f"Must be one of {', '.join(choices)}."})
    return value or None


class AssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your assignments (leads: everyone's); ?collection=, ?document=, ?reviewer=, ?status=.

    Leads POST one ({"document", "reviewer"}), many ({"documents" or "collection",
    "reviewers"}: each to each) or round-robin (add "k": reviewers per document)."""

    permission_classes = HAS_ROLE
    serializer_class = AssignmentSerializer
    queryset = Assignment.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        rows = Assignment.objects.select_related(
            "reviewer", "assigned_by", "document__collection"
        ).order_by("id")
        if not is_lead(self.request.user):
            rows = rows.filter(reviewer=self.request.user)
        params = self.request.query_params
        if params.get("collection"):
            rows = rows.filter(document__collection__slug=params["collection"])
        if params.get("document"):
            if not params["document"].isdigit():
                raise ValidationError({"document": "Must be a document id."})
            rows = rows.filter(document_id=int(params["document"]))
        if params.get("reviewer"):
            rows = rows.filter(reviewer__username=params["reviewer"])
        state = _choice(self.request, "status", list(AssignmentStatus.values))
        return rows.filter(status=state) if state else rows

    @extend_schema(request=AssignInputSerializer, responses={201: AssignmentSerializer})
    def create(self, request: Request) -> Response:
        if not can_assign(request.user):
            raise PermissionDenied("Only leads assign documents.")
        serializer = AssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "document" in data and "reviewer" in data and not {"documents", "reviewers"} & set(data):
            document = _documents(data).get()
            [reviewer] = _users([data["reviewer"]], "reviewer")
            assignment = assignment_create(
                document=document, reviewer=reviewer, assigned_by=request.user
            )
            return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)
        documents = _documents(data)
        reviewers = _users(data.get("reviewers") or [], "reviewers")
        if "k" in data:
            created = documents_assign_round_robin(
                documents=documents, reviewers=reviewers, k=data["k"], assigned_by=request.user
            )
        else:
            created = documents_assign(
                documents=documents, reviewers=reviewers, assigned_by=request.user
            )
        return Response({"created": created}, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Assignment) -> None:
        assignment_delete(assignment=instance, user=self.request.user)


class DocumentDoneView(APIView):
    """POST: mark your work on the document done (as the UI's "Mark done")."""

    permission_classes = HAS_ROLE

    @extend_schema(request=None, responses=AssignmentSerializer)
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for_user(document_id=document_id, user=request.user)
        assignment = assignment_mark_done(document=document, reviewer=request.user)
        return Response(AssignmentSerializer(assignment).data)


class DocumentReopenView(APIView):
    """POST: in progress again: your own work (refused once final under blind review), or,
    for leads, a reviewer's ({"reviewer": username})."""

    permission_classes = HAS_ROLE

    @extend_schema(request=None, responses=AssignmentSerializer)
    def post(self, request: Request, document_id: int) -> Response:
        document = document_for_user(document_id=document_id, user=request.user)
        name = request.data.get("reviewer") if hasattr(request.data, "get") else None
        if name is not None and not isinstance(name, str):
            raise ValidationError({"reviewer": "Must be a username."})
        reviewer = _users([name], "reviewer")[0] if name else request.user
        assignment = assignment_reopen(document=document, reviewer=reviewer, user=request.user)
        return Response(AssignmentSerializer(assignment).data)


class ProgressView(APIView):
    """GET ?collection=SLUG: documents done and per-reviewer progress (reviewers: their own)."""

    permission_classes = HAS_ROLE

    @extend_schema(
        parameters=[
            OpenApiParameter("collection", str, required=True),
            OpenApiParameter("reviewer", str, description="Leads: one reviewer's row."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        slug = request.query_params.get("collection")
        if not slug:
            raise ValidationError({"collection": "Give a collection's slug."})
        collection = get_object_or_404(Collection, slug=slug)
        reviewers = selectors.reviewer_progress(collection=collection)
        if not is_lead(request.user):
            reviewers = [row for row in reviewers if row["id"] == request.user.pk]
        elif request.query_params.get("reviewer"):
            reviewers = [r for r in reviewers if r["username"] == request.query_params["reviewer"]]
        documents = selectors.documents_done_count(documents=collection.documents.all())
        return Response({"collection": slug, "documents": documents, "reviewers": reviewers})
