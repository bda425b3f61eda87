"""django-filter FilterSets for the API list endpoints and the export."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet

from annotator.annotations.selectors import annotation_list_for_user
from annotator.models import Annotation, Origin, Suggestion, SuggestionStatus
from corpus.models import Document


class IdFilter(django_filters.NumberFilter):
    """A database id: an integer in the bigint range (anything else is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC (databases refuse exotic offsets)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError("Date-time out of range.", code="invalid") from None


class SinceFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class DocumentFilter(django_filters.FilterSet):
    collection = django_filters.CharFilter(field_name="collection__slug", help_text="Slug.")
    title = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", help_text="Words in the title."
    )
    has_annotations = django_filters.BooleanFilter(method="filter_has_annotations")
    imported_since = SinceFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601 date-time."
    )

    class Meta:
        model = Document
        fields = ["collection", "title", "has_annotations", "imported_since"]

    def filter_has_annotations(self, queryset: QuerySet, name: str, value: bool | None):
        if value is None:
            return queryset
        # Only annotations the caller may see count (blind review: their own until done).
        visible = annotation_list_for_user(user=self.request.user)
        annotated = Exists(visible.filter(document_id=OuterRef("pk")))
        return queryset.filter(annotated) if value else queryset.exclude(annotated)


class AnnotationFilter(django_filters.FilterSet):
    document = IdFilter(field_name="document_id", help_text="Document id.")
    collection = django_filters.CharFilter(
        field_name="document__collection__slug", help_text="Collection slug."
    )
    label = django_filters.CharFilter(field_name="label__slug", help_text="Label slug.")
    created_by = django_filters.CharFilter(field_name="created_by__username", help_text="Username.")
    origin = django_filters.ChoiceFilter(choices=Origin.choices)
    is_final = django_filters.BooleanFilter()
    updated_since = SinceFilter(
        field_name="updated_at", lookup_expr="gte", help_text="ISO 8601 date-time."
    )

    class Meta:
        model = Annotation
        fields = [
            "document",
            "collection",
            "label",
            "created_by",
            "origin",
            "is_final",
            "updated_since",
        ]


class SuggestionFilter(django_filters.FilterSet):
    document = IdFilter(field_name="document_id")
    label = django_filters.CharFilter(field_name="label__slug", help_text="Label slug.")
    status = django_filters.ChoiceFilter(
        field_name="viewer_status",
        choices=SuggestionStatus.choices,
        help_text="As you see it: pending means still open to you.",
    )
    suggester = django_filters.CharFilter()

    class Meta:
        model = Suggestion
        fields = ["document", "label", "status", "suggester"]
