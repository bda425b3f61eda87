"""The admin site: each capability registers its own models (annotations/, suggestions/,
review/ admin modules, imported here); documents get their annotations inline and the
assign and suggest actions; users get API tokens."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from annotator.annotations.admin import AnnotationInline
from annotator.claims import admin as claims_admin  # noqa: F401  (registers its models)
from annotator.events import admin as events_admin  # noqa: F401  (registers its models)
from annotator.permissions import can_assign
from annotator.review.admin import assign_to_reviewers
from annotator.suggestions.admin import queue_suggestions
from corpus.admin import DocumentAdmin
from corpus.models import Document

admin.site.unregister(Document)


@admin.register(Document)
class DocumentWithAnnotationsAdmin(DocumentAdmin):
    inlines = [*DocumentAdmin.inlines, AnnotationInline]
    actions = [assign_to_reviewers, queue_suggestions]

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not can_assign(request.user):
            actions.pop("assign_to_reviewers", None)
        return actions


# API tokens: an action on users (DRF's authtoken also lists tokens under "Auth Token").


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
