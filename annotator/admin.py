from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from corpus.admin import DocumentAdmin
from corpus.models import Document

from .exports import csv_lines, iter_records, jsonl_lines
from .models import (
    AgreementReport,
    Annotation,
    Assignment,
    DeletedAnnotation,
    Label,
    SuggesterModel,
    Suggestion,
    SuggestionDecision,
    SuggestionRun,
)
from .permissions import can_assign, can_change_annotation, is_lead
from .selectors import annotation_list_for_user, suggestion_decision_list_for_user
from .services.annotations import annotation_restore, evidence_url_check, span_check
from .services.reviews import documents_assign, documents_assign_round_robin


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "colour", "shortcut", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}


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


admin.site.unregister(Document)


class AssignReviewersForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, help_text="Reviewers and leads."
    )
    k = forms.IntegerField(
        min_value=1,
        required=False,
        label="Reviewers per document",
        help_text="Round-robin: each document gets this many of the ticked reviewers, in turn. "
        "Empty: every ticked reviewer gets every document.",
    )

    def __init__(self, *args, **kwargs) -> None:
        from .review_selectors import reviewer_list

        super().__init__(*args, **kwargs)
        people = [person.pk for person in reviewer_list()]
        self.fields["reviewers"].queryset = get_user_model().objects.filter(pk__in=people)


@admin.action(description="Assign to reviewers…")
def assign_to_reviewers(modeladmin, request: HttpRequest, queryset):
    """Intermediate page: pick reviewers, then every selected document goes to each of them."""
    if not can_assign(request.user):
        raise PermissionDenied
    form = AssignReviewersForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        reviewers, k = list(form.cleaned_data["reviewers"]), form.cleaned_data["k"]
        try:
            if k:
                created = documents_assign_round_robin(
                    documents=queryset, reviewers=reviewers, k=k, assigned_by=request.user
                )
            else:
                created = documents_assign(
                    documents=queryset, reviewers=reviewers, assigned_by=request.user
                )
        except ValidationError as exc:
            modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
            return None
        modeladmin.message_user(request, f"{created} new assignment(s).")
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Assign to reviewers",
        "form": form,
        "documents": queryset,
        "action_name": "assign_to_reviewers",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "annotator/review/admin_assign.html", context)


@admin.action(description="Queue suggestions for selected documents")
def queue_suggestions(modeladmin, request, queryset):
    from .services.suggestions import SuggestionsUnavailable, suggestion_run_start

    queued = 0
    for document in queryset:
        try:
            suggestion_run_start(document=document, created_by=request.user)
        except SuggestionsUnavailable as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
            break
        queued += 1
    if queued:
        modeladmin.message_user(request, f"Queued suggestions for {queued} document(s).")


@admin.register(Document)
class DocumentWithAnnotationsAdmin(DocumentAdmin):
    inlines = [AnnotationInline]
    actions = [assign_to_reviewers, queue_suggestions]

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not can_assign(request.user):
            actions.pop("assign_to_reviewers", None)
        return actions


class SuggestionDecisionInline(admin.TabularInline):
    """Each reviewer's verdict; written only through the reviewer UI and the API."""

    model = SuggestionDecision
    extra = 0
    fields = ["reviewer", "status", "decided_at", "annotation"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        visible = suggestion_decision_list_for_user(user=request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=visible).select_related("reviewer")


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    inlines = [SuggestionDecisionInline]
    list_display = [
        "id",
        "quote",
        "label",
        "score",
        "suggester",
        "status",
        "document",
        "decided_by",
    ]
    list_filter = ["status", "label", "suggester", "document__collection"]
    search_fields = ["quote", "rationale"]
    list_select_related = ["label", "document", "decided_by"]
    raw_id_fields = ["document", "run"]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        from .services.suggestions import suggestion_precision_table

        extra_context = {**(extra_context or {}), "precision_rows": suggestion_precision_table()}
        return super().changelist_view(request, extra_context)


@admin.register(SuggestionRun)
class SuggestionRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "document",
        "collection",
        "suggester",
        "status",
        "documents_done",
        "documents_total",
        "suggestions_created",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "suggester"]
    raw_id_fields = ["document"]


@admin.register(SuggesterModel)
class SuggesterModelAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "trained_at", "training_size", "promoted"]
    exclude = ["artifact"]
    readonly_fields = ["name", "version", "trained_at", "training_size", "metrics"]


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["document", "reviewer", "status", "assigned_by", "created_at", "done_at"]
    list_filter = ["status", "reviewer", "document__collection"]
    raw_id_fields = ["document"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_lead(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and can_assign(request.user)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and can_assign(request.user)

    def save_model(self, request: HttpRequest, obj: Assignment, form, change: bool) -> None:
        if not change and obj.assigned_by_id is None:
            obj.assigned_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AgreementReport)
class AgreementReportAdmin(admin.ModelAdmin):
    list_display = ["collection", "computed_at"]
    readonly_fields = ["collection", "computed_at", "data"]


# API tokens: an action on users (DRF's authtoken also lists tokens under "Auth Token").

from django.contrib.auth.admin import UserAdmin as BaseUserAdmin  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserWithTokenAdmin(BaseUserAdmin):
    actions = ["create_api_tokens"]

    @admin.action(description="Create API tokens for selected users")
    def create_api_tokens(self, request: HttpRequest, queryset) -> None:
        for user in queryset:
            token, created = Token.objects.get_or_create(user=user)
            state = "created" if created else "existing"
            self.message_user(request, f"{user.get_username()}: {token.key} ({state})")
