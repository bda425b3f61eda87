from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Collection,
    Document,
    DocumentRevision,
    RevisionSource,
    normalize_newlines,
    text_sha256,
)
from .services import DOCUMENT_FIELDS, document_update


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "blind_review", "assigned_only", "created_at"]
    list_filter = ["blind_review", "assigned_only"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


class DocumentAdminForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ["collection", *DOCUMENT_FIELDS, "imported_by"]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if not text.strip():
            raise ValidationError("Text is empty.")
        return text

    def clean(self) -> dict:
        cleaned = super().clean()
        text, collection = cleaned.get("text"), cleaned.get("collection")
        if text and collection:
            same = Document.objects.filter(
                collection=collection, sha256=text_sha256(normalize_newlines(text))
            ).exclude(pk=self.instance.pk)
            if same.exists():
                self.add_error("text", "Another document of this collection has this text.")
        return cleaned


class DocumentRevisionInline(admin.TabularInline):
    model = DocumentRevision
    fields = ["number", "created_at", "source", "source_url", "created_by", "sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("text", "warc").select_related("created_by")


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    form = DocumentAdminForm
    list_display = ["title", "collection", "publisher", "language", "created_at"]
    list_filter = ["collection", "language", "created_at"]
    search_fields = ["title", "text", "publisher", "author"]
    list_select_related = ["collection"]
    readonly_fields = ["sha256", "created_at"]
    autocomplete_fields = ["imported_by"]
    date_hierarchy = "created_at"
    inlines = [DocumentRevisionInline]

    def save_model(self, request, obj: Document, form, change: bool) -> None:
        """A changed text goes through the service: it becomes the next revision, by this user."""
        if not change:
            obj.revision_source, obj.revision_by = RevisionSource.ADMIN, request.user
            super().save_model(request, obj, form, change)
            return
        fields = {
            name: form.cleaned_data[name] for name in DOCUMENT_FIELDS if name in form.cleaned_data
        }
        fresh = Document.objects.get(pk=obj.pk)
        fresh.collection = form.cleaned_data["collection"]
        fresh.imported_by = form.cleaned_data.get("imported_by")
        document_update(
            document=fresh, revision_source=RevisionSource.ADMIN, revised_by=request.user, **fields
        )
