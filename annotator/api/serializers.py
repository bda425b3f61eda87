"""API shapes. Output serializers read models; input serializers check shape only.

Domain rules (offsets, quotes, labels, URLs, frozen text) live in the services the UI uses.
"""

from __future__ import annotations

import re

from django.utils import timezone
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from annotator.models import (
    Annotation,
    Label,
    Suggestion,
    SuggestionDecision,
    SuggestionRun,
    SuggestionStatus,
)
from corpus.models import Collection, Document


class CollectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Collection
        fields = ["slug", "name", "description", "blind_review", "assigned_only", "created_at"]


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["slug", "name", "colour", "badge", "shortcut", "description", "order", "archived"]


DOCUMENT_LIST_FIELDS = [
    "id",
    "collection",
    "title",
    "source_url",
    "publisher",
    "author",
    "published_at",
    "language",
    "sha256",
    "metadata",
    "created_at",
    "external_id",
    "revision",
]


class DocumentListSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Document
        fields = DOCUMENT_LIST_FIELDS


class DocumentSerializer(DocumentListSerializer):
    class Meta:
        model = Document
        fields = [*DOCUMENT_LIST_FIELDS, "text"]


SURROGATE = re.compile("[\ud800-\udfff]")


class FastSurrogateCheck(ProhibitSurrogateCharactersValidator):
    """DRF's check walks the text character by character in Python (0.3 s for 1,000 texts of
    5,000 characters); one regular expression search does it in C."""

    def __call__(self, value) -> None:
        found = SURROGATE.search(str(value))
        if found:
            message = self.message.format(code_point=ord(found.group()))
            raise serializers.ValidationError(message, code=self.code)


class TextField(serializers.CharField):
    """A CharField whose surrogate check is FastSurrogateCheck (documents' texts are long)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators = [
            FastSurrogateCheck() if type(v) is ProhibitSurrogateCharactersValidator else v
            for v in self.validators
        ]


class _DocumentMetadataFields(serializers.Serializer):
    """Fields a document's creation and update share."""

    source_url = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True)
    author = serializers.CharField(max_length=200, required=False, allow_blank=True)
    published_at = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    language = serializers.CharField(max_length=20, required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)
    external_id = serializers.CharField(max_length=300, required=False, allow_blank=True)


class DocumentInputSerializer(_DocumentMetadataFields):
    """One document to create; text and fields are checked by corpus.services."""

    collection = serializers.SlugField(
        max_length=100, required=False, default="default", help_text="Collection slug."
    )
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    text = TextField(trim_whitespace=False)


class DocumentUpdateSerializer(_DocumentMetadataFields):
    title = serializers.CharField(max_length=500, required=False)
    text = TextField(trim_whitespace=False, required=False)
    revision = serializers.IntegerField(
        required=False,
        min_value=1,
        write_only=True,
        help_text="The revision you edited; another one being current answers 409.",
    )


class DocumentReplaceSerializer(DocumentUpdateSerializer):
    text = TextField(trim_whitespace=False)


class DocumentCreateResultSerializer(serializers.Serializer):
    created = DocumentListSerializer(many=True)
    duplicates = DocumentListSerializer(many=True)


class AnnotationSerializer(serializers.ModelSerializer):
    label = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Annotation
        fields = [
            "id",
            "document",
            "start",
            "end",
            "quote",
            "label",
            "note",
            "evidence_url",
            "created_by",
            "created_at",
            "updated_at",
            "version",
            "origin",
            "is_final",
            "suggestion",
            "adjudicated_from",
            "revision",
            "anchor_state",
            "anchor_method",
            "anchor_confidence",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Annotation) -> dict:
        # Hand-written for speed (lists of 100 are 5x faster); a test pins it to DRF's output.
        return {
            "id": instance.pk,
            "document": instance.document_id,
            "start": instance.start,
            "end": instance.end,
            "quote": instance.quote,
            "label": instance.label.slug,
            "note": instance.note,
            "evidence_url": instance.evidence_url,
            "created_by": instance.created_by.get_username(),
            "created_at": _iso(instance.created_at),
            "updated_at": _iso(instance.updated_at),
            "version": instance.version,
            "origin": instance.origin,
            "is_final": instance.is_final,
            "suggestion": instance.suggestion_id,
            "adjudicated_from": instance.adjudicated_from,
            "revision": instance.revision,
            "anchor_state": instance.anchor_state,
            "anchor_method": instance.anchor_method,
            "anchor_confidence": instance.anchor_confidence,
        }

    def slow_representation(self, instance: Annotation) -> dict:
        """DRF's generic output, kept to test the hand-written one against."""
        return super().to_representation(instance)


def _iso(value) -> str:
    """DRF's DateTimeField output: ISO 8601 in the current time zone, UTC as Z."""
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class AnnotationInputSerializer(serializers.Serializer):
    document = serializers.IntegerField(min_value=1)
    start = serializers.IntegerField(min_value=0, help_text="Code point offset, inclusive.")
    end = serializers.IntegerField(min_value=1, help_text="Code point offset, exclusive.")
    label = serializers.SlugField(
        help_text="A label's slug (see /api/labels/); not an archived one."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_url = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    quote = serializers.CharField(
        required=False, trim_whitespace=False, help_text="If given, must equal the text."
    )


class AnnotationUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="The version you read (or send If-Match)."
    )
    start = serializers.IntegerField(min_value=0, required=False)
    end = serializers.IntegerField(min_value=1, required=False)
    label = serializers.SlugField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    evidence_url = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    quote = serializers.CharField(required=False, trim_whitespace=False)


class SuggestionDecisionSerializer(serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SuggestionDecision
        fields = ["reviewer", "status", "decided_at", "annotation"]
        read_only_fields = fields


class SuggestionSerializer(serializers.ModelSerializer):
    """A suggestion as the requesting user sees it (see selectors.suggestion_list_for_user)."""

    label = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    status = serializers.ChoiceField(
        source="viewer_status",
        choices=SuggestionStatus.choices,
        read_only=True,
        help_text="pending while open to you; accepted or rejected once you decided it, or, "
        "outside blind review, once anyone did.",
    )
    decided_by = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField(source="viewer_decided_at", read_only=True)
    decisions = SuggestionDecisionSerializer(
        source="visible_decisions",
        many=True,
        read_only=True,
        help_text="Reviewers' decisions you may see: under blind review only yours until you "
        "mark the document done (leads see all).",
    )

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "document",
            "start",
            "end",
            "quote",
            "label",
            "score",
            "rationale",
            "suggester",
            "suggester_version",
            "contributions",
            "status",
            "decided_by",
            "decided_at",
            "decisions",
            "run",
            "created_at",
        ]
        read_only_fields = fields

    def get_decided_by(self, obj) -> str | None:
        if obj.status != SuggestionStatus.PENDING:
            return obj.decided_by.username if obj.decided_by else None
        if obj.viewer_status != SuggestionStatus.PENDING:
            return self.context["request"].user.username
        return None


class SuggestionAcceptSerializer(serializers.Serializer):
    start = serializers.IntegerField(min_value=0, required=False)
    end = serializers.IntegerField(min_value=1, required=False)
    label = serializers.SlugField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_url = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )


class SuggestionRunSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = SuggestionRun
        fields = [
            "id",
            "document",
            "collection",
            "suggester",
            "version",
            "status",
            "documents_total",
            "documents_done",
            "documents_failed",
            "suggestions_created",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]
        read_only_fields = fields


class ImportResultSerializer(serializers.Serializer):
    annotations_created = serializers.IntegerField()
    annotations_skipped = serializers.IntegerField()
    documents_created = serializers.IntegerField()
    users_created = serializers.ListField(child=serializers.CharField())
