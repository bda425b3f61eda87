"""Admin for evidence (with history and archive status), the rating scale, verdicts and the
desks' rules. The same permission and blind-review rules as the UI and the API."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from annotator.annotations.selectors import annotation_list_for_user
from annotator.claims import services, verdicts
from annotator.models import DeskRule, Evidence, Rating, Verdict
from annotator.permissions import can_change_evidence, is_lead


class EvidenceAdminForm(forms.ModelForm):
    class Meta:
        model = Evidence
        fields = [
            "annotation",
            "url",
            "stance",
            "title",
            "author",
            "publisher",
            "published_on",
            "excerpt",
            "note",
        ]

    def clean_url(self) -> str:
        try:
            return services.evidence_url_check(self.cleaned_data.get("url"))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from None


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    form = EvidenceAdminForm
    list_display = ["id", "url", "stance", "annotation", "created_by", "archive_status"]
    list_filter = ["stance", "archive_status", "annotation__document__collection"]
    search_fields = ["url", "title", "publisher", "excerpt", "note"]
    list_select_related = ["annotation__label", "created_by"]
    raw_id_fields = ["annotation"]
    readonly_fields = [
        "created_by",
        "created_at",
        "updated_at",
        "version",
        "archive_status",
        "archive_error",
        "archive_file",
        "archive_sha256",
        "archive_http_status",
        "archive_final_url",
        "archived_at",
        "excerpt_found",
    ]
    actions = ["archive_again"]

    def get_queryset(self, request: HttpRequest):
        evidence = super().get_queryset(request)
        if is_lead(request.user):
            return evidence
        visible = annotation_list_for_user(user=request.user).values("pk")
        return evidence.filter(annotation_id__in=visible)

    def has_change_permission(self, request: HttpRequest, obj: Evidence | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_change_evidence(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Evidence | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can_change_evidence(request.user, obj))

    def save_model(self, request: HttpRequest, obj: Evidence, form, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in services.EVIDENCE_FIELDS}
        if change:
            saved = services.evidence_update(
                evidence=obj, user=request.user, version=None, **fields
            )
        else:
            saved = services.evidence_create(
                annotation=form.cleaned_data["annotation"], user=request.user, **fields
            )
        obj.pk, obj.version = saved.pk, saved.version

    def delete_model(self, request: HttpRequest, obj: Evidence) -> None:
        services.evidence_delete(evidence=obj, user=request.user, version=None)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for evidence in queryset:
            self.delete_model(request, evidence)

    @admin.action(description="Archive the selected sources again")
    def archive_again(self, request: HttpRequest, queryset) -> None:
        for evidence in queryset:
            try:
                services.evidence_archive_retry(evidence=evidence, user=request.user)
            except PermissionDenied as exc:
                self.message_user(request, f"{evidence.pk}: {exc}", messages.ERROR)


@admin.register(Rating)
class RatingAdmin(SimpleHistoryAdmin):
    list_display = ["name", "value", "best", "worst", "order", "colour"]
    list_editable = ["order"]


@admin.register(DeskRule)
class DeskRuleAdmin(SimpleHistoryAdmin):
    list_display = ["message", "kind", "collection", "label", "min_count", "active", "order"]
    list_filter = ["kind", "collection", "active"]
    list_editable = ["active", "order"]


@admin.register(Verdict)
class VerdictAdmin(SimpleHistoryAdmin):
    """Verdicts change through the same services as the UI: publishing checks the desk's rules."""

    list_display = ["id", "claim_reviewed", "rating", "state", "proposed_by", "published_at"]
    list_filter = ["state", "rating", "annotation__document__collection"]
    search_fields = ["claim_reviewed", "explanation"]
    list_select_related = ["rating", "proposed_by"]
    raw_id_fields = ["annotation"]
    fields = ["annotation", "rating", "claim_reviewed", "explanation", "claim_author", "state"]
    readonly_fields = ["state"]
    actions = ["publish"]

    def get_queryset(self, request: HttpRequest):
        verdicts = super().get_queryset(request)
        if is_lead(request.user):
            return verdicts
        visible = annotation_list_for_user(user=request.user).values("pk")
        return verdicts.filter(annotation_id__in=visible)

    def save_model(self, request: HttpRequest, obj: Verdict, form, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in verdicts.VERDICT_FIELDS}
        saved = verdicts.verdict_save(annotation=obj.annotation, user=request.user, **fields)
        obj.pk, obj.version = saved.pk, saved.version

    @admin.action(description="Publish the selected verdicts (desk rules apply)")
    def publish(self, request: HttpRequest, queryset) -> None:
        for verdict in queryset:
            try:
                verdicts.verdict_transition(
                    verdict=verdict, user=request.user, to="published", version=None
                )
            except (ValidationError, PermissionDenied) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"{verdict.pk}: {text}", messages.ERROR)
