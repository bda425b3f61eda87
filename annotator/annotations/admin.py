"""Admin for labels and annotations (history, restore, export)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from annotator.annotations.selectors import annotation_list_for_user
from annotator.annotations.services import annotation_restore, evidence_url_check, span_check
from annotator.api.exports import csv_lines, iter_records, jsonl_lines
from annotator.models import (
    Annotation,
    DeletedAnnotation,
    Label,
)
from annotator.models.annotations import PALETTE
from annotator.permissions import can_change_annotation, is_lead


class ColourInput(forms.TextInput):
    """A colour picker that offers the colour-blind-safe palette (a datalist) first."""

    input_type = "color"

    def render(self, name, value, attrs=None, renderer=None) -> str:
        attrs = {**(attrs or {}), "list": "label-palette"}
        value = (value or "").lower() or None
        picker = super().render(name, value, attrs, renderer)
        options = format_html_join(
            "",
            '<option value="{}" label="{}"></option>',
            ((c.lower(), n) for c, n in PALETTE.items()),
        )
        names = ", ".join(f"{n} {c}" for c, n in PALETTE.items())
        return format_html(
            '{}<datalist id="label-palette">{}</datalist><div class="help">Offered first: the '
            "Okabe-Ito palette, told apart with the common forms of colour blindness ({}).</div>",
            picker,
            options,
            names,
        )


class LabelAdminForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ["name", "slug", "badge", "colour", "shortcut", "description", "order", "archived"]
        widgets = {"colour": ColourInput}


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    form = LabelAdminForm
    list_display = ["name", "slug", "badge", "colour", "shortcut", "order", "archived"]
    list_editable = ["order"]
    list_filter = ["archived"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["archive", "unarchive"]

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        label = self.get_object(request, object_id)
        used = label is not None and (label.annotations.exists() or label.suggestions.exists())
        if not used:
            return super().delete_view(request, object_id, extra_context)
        self.message_user(request, label_in_use_message(label), messages.ERROR)
        return redirect("admin:annotator_label_change", label.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for label in queryset:
            if label.annotations.exists() or label.suggestions.exists():
                raise PermissionDenied(label_in_use_message(label))
        super().delete_queryset(request, queryset)

    @admin.action(description="Archive selected labels (hidden from new work, kept on old)")
    def archive(self, request: HttpRequest, queryset) -> None:
        count = queryset.update(archived=True)
        self.message_user(request, f"Archived {count} label(s).", messages.SUCCESS)

    @admin.action(description="Bring selected labels back from the archive")
    def unarchive(self, request: HttpRequest, queryset) -> None:
        restored, refused = 0, []
        for label in queryset.filter(archived=True):
            label.archived = False
            try:
                label.full_clean()
            except ValidationError as exc:
                refused.append(f"{label.name}: {' '.join(exc.messages)}")
                continue
            label.save(update_fields=["archived", "updated_at"])
            restored += 1
        self.message_user(request, f"Brought back {restored} label(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)


def label_in_use_message(label: Label) -> str:
    annotations = label.annotations.count()
    suggestions = label.suggestions.count()
    return (
        f"“{label.name}” is used by {annotations} annotation(s) and {suggestions} "
        "suggestion(s), so it cannot be deleted. Archive it instead (tick “Archived” and "
        "save, or use the Archive action): it disappears from new work and stays on the old "
        "annotations."
    )


class AnnotationAdminForm(forms.ModelForm):
    class Meta:
        model = Annotation
        fields = ["document", "start", "end", "label", "note", "evidence_url", "origin", "is_final"]

    def clean(self) -> dict:
        data = super().clean()
        document, start, end = data.get("document"), data.get("start"), data.get("end")
        if document is not None and start is not None and end is not None:
            try:
                self.instance.quote = span_check(document=document, start=start, end=end)
            except ValidationError as exc:
                raise ValidationError(
                    exc.message_dict if hasattr(exc, "message_dict") else exc
                ) from None
        if data.get("evidence_url"):
            data["evidence_url"] = evidence_url_check(data["evidence_url"])
        return data


def _stream(lines, filename: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.action(description="Export selected annotations as JSONL")
def export_jsonl(modeladmin, request, queryset):
    return _stream(jsonl_lines(iter_records(queryset)), "annotations.jsonl", "application/x-ndjson")


@admin.action(description="Export selected annotations as CSV")
def export_csv(modeladmin, request, queryset):
    return _stream(csv_lines(iter_records(queryset)), "annotations.csv", "text/csv; charset=utf-8")


@admin.register(Annotation)
class AnnotationAdmin(SimpleHistoryAdmin):
    form = AnnotationAdminForm
    list_display = [
        "id",
        "short_quote",
        "label",
        "document",
        "created_by",
        "origin",
        "is_final",
        "updated_at",
    ]
    list_filter = [
        "label",
        "origin",
        "is_final",
        "created_by",
        "document__collection",
        "updated_at",
    ]
    search_fields = ["quote", "note", "document__title"]
    list_select_related = ["label", "document", "created_by"]
    readonly_fields = ["quote", "created_by", "created_at", "updated_at", "version", "suggestion"]
    raw_id_fields = ["document"]
    date_hierarchy = "updated_at"
    actions = [export_jsonl, export_csv]

    @admin.display(description="quote")
    def short_quote(self, obj: Annotation) -> str:
        return obj.quote if len(obj.quote) <= 80 else obj.quote[:77] + "…"

    def get_queryset(self, request: HttpRequest):
        # Blind review holds in the admin too: a reviewer sees what the API would show them.
        annotations = super().get_queryset(request)
        if is_lead(request.user):
            return annotations
        return annotations.filter(pk__in=annotation_list_for_user(user=request.user).values("pk"))

    def has_change_permission(self, request: HttpRequest, obj: Annotation | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_change_annotation(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Annotation | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can_change_annotation(request.user, obj))

    def save_model(self, request: HttpRequest, obj: Annotation, form, change: bool) -> None:
        if change:
            if not can_change_annotation(request.user, Annotation.objects.get(pk=obj.pk)):
                raise PermissionDenied
            obj.version += 1
        else:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for annotation in queryset:
            if not can_change_annotation(request.user, annotation):
                raise PermissionDenied
            annotation.delete()


@admin.register(DeletedAnnotation)
class DeletedAnnotationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "quote",
        "label",
        "document",
        "created_by",
        "history_user",
        "history_date",
    ]
    list_filter = ["label", "history_date"]
    search_fields = ["quote", "note"]
    actions = ["restore"]

    def get_queryset(self, request: HttpRequest):
        live = Annotation.objects.values("id")
        return super().get_queryset(request).filter(history_type="-").exclude(id__in=live)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Restore selected annotations")
    def restore(self, request: HttpRequest, queryset) -> None:
        restored = 0
        for record in queryset:
            try:
                annotation_restore(annotation_id=record.id, user=request.user)
                restored += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{record.id}: {exc}", messages.ERROR)
        self.message_user(request, f"Restored {restored} annotation(s).")


class AnnotationInline(admin.TabularInline):
    model = Annotation
    fields = ["start", "end", "quote", "label", "note", "created_by", "origin", "is_final"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["start", "end"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("label", "created_by")
