"""Admin for events and webhooks: endpoints (test, resume), deliveries with every attempt
(send again). Leads are told on the endpoint list when an endpoint was disabled."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from annotator.events import endpoints as services
from annotator.events.webhooks import endpoint_resume
from annotator.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from annotator.permissions import can_manage_webhooks


class EndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in services.SUBSCRIBABLE],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every type.",
    )
    secret = forms.CharField(
        required=False, help_text="Standard Webhooks secret; empty: one is generated."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types", "collection", "secret", "active"]

    def clean_url(self) -> str:
        try:
            return services.endpoint_url_check(self.cleaned_data["url"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from None

    def clean_secret(self) -> str:
        secret = self.cleaned_data.get("secret") or (
            self.instance.secret if self.instance.pk else services.secret_new()
        )
        try:
            return services.secret_check(secret)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["secret"]) from None


class LeadsOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_webhooks(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_manage_webhooks(request.user) and super().has_view_permission(request, obj)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(LeadsOnly, admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "active", "collection", "failures", "failing_since", "disabled_at"]
    list_filter = ["active"]
    readonly_fields = [
        "cursor",
        "failures",
        "failing_since",
        "next_attempt_at",
        "disabled_at",
        "disabled_reason",
        "created_by",
    ]
    actions = ["send_test_event", "resume"]

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form, change: bool) -> None:
        if not change:
            created = services.endpoint_create(user=request.user, **form.cleaned_data)
            obj.__dict__.update(created.__dict__)
            return
        # The form already set the new values on obj: change the stored row instead.
        stored = WebhookEndpoint.objects.get(pk=obj.pk)
        data = {k: form.cleaned_data[k] for k in form.changed_data if k in services.EDITABLE}
        services.endpoint_update(user=request.user, endpoint=stored, **data)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        for endpoint in WebhookEndpoint.objects.filter(disabled_at__isnull=False):
            self.message_user(
                request,
                f"Webhook {endpoint.url} is disabled: {endpoint.disabled_reason}",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description="Send a test event")
    def send_test_event(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            try:
                services.endpoint_test_request(user=request.user, endpoint=endpoint)
            except Exception as exc:  # the broker is down
                self.message_user(request, f"Not queued: {exc}", messages.ERROR)
                return
        self.message_user(request, "Test event queued; see Webhook deliveries for the answer.")

    @admin.action(description="Enable again and retry now")
    def resume(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            endpoint_resume(endpoint=endpoint)
        self.message_user(request, f"{queryset.count()} endpoint(s) enabled; retrying now.")


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["at", "ok", "response_code", "latency_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(LeadsOnly, admin.ModelAdmin):
    list_display = ["message_id", "endpoint", "status", "attempts", "created_at", "delivered_at"]
    list_filter = ["status", "endpoint"]
    readonly_fields = ["endpoint", "event", "message_id", "status", "attempts", "delivered_at"]
    inlines = [AttemptInline]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send again")
    def send_again(self, request: HttpRequest, queryset) -> None:
        for delivery in queryset:
            try:
                services.delivery_send_again_request(user=request.user, delivery=delivery)
            except Exception as exc:
                self.message_user(request, f"Not queued: {exc}", messages.ERROR)
                return
        self.message_user(request, f"{queryset.count()} delivery(ies) queued again.")


@admin.register(Event)
class EventAdmin(LeadsOnly, admin.ModelAdmin):
    list_display = ["id", "type", "collection", "document", "actor", "created_at"]
    list_filter = ["type"]
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
