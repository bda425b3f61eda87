"""Admin for suggestions, runs, decisions and learned models."""

from django.contrib import admin, messages
from django.http import HttpRequest

from annotator.models import (
    SuggesterModel,
    Suggestion,
    SuggestionDecision,
    SuggestionRun,
)
from annotator.suggestions.selectors import suggestion_decision_list_for_user


@admin.action(description="Queue suggestions for selected documents")
def queue_suggestions(modeladmin, request, queryset):
    from annotator.suggestions.runs import SuggestionsUnavailable, suggestion_run_start

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
        from annotator.suggestions.selectors import suggestion_precision_table

        extra_context = {
            **(extra_context or {}),
            "precision_rows": suggestion_precision_table(user=request.user),
        }
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
