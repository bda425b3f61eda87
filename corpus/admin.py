from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from .models import Collection, Document
from .services import DOCUMENT_FIELDS, document_text_change_check


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
        if self.instance.pk:
            try:
                document_text_change_check(document=self.instance, new_text=text)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["text"]) from None
        return text


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
