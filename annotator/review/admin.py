"""Admin for assignments and agreement reports; the assign action."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from annotator.models import (
    AgreementReport,
    Assignment,
)
from annotator.permissions import can_assign, is_lead
from annotator.review.services import documents_assign, documents_assign_round_robin


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
        from annotator.review.selectors import reviewer_list

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
    return TemplateResponse(request, "review/admin_assign.html", context)


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
