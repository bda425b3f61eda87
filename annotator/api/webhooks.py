"""API: webhook endpoints (leads): register, change, test, their deliveries, send again."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api.base import HAS_ROLE, ServiceUnavailable
from annotator.events import endpoints as services
from annotator.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from annotator.permissions import can_manage_webhooks
from corpus.models import Collection


class CanManageWebhooks(permissions.BasePermission):
    message = "Only leads manage webhooks."

    def has_permission(self, request: Request, view) -> bool:
        return can_manage_webhooks(request.user)


class EndpointSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(
        slug_field="slug", queryset=Collection.objects.all(), required=False, allow_null=True
    )
    event_types = serializers.ListField(child=serializers.CharField(), required=False)
    secret = serializers.CharField(
        required=False, help_text="whsec_…; generated when left out (shown once, on creation)."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "collection",
            "secret",
            "active",
            "cursor",
            "failures",
            "failing_since",
            "next_attempt_at",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = [
            "cursor",
            "failures",
            "failing_since",
            "next_attempt_at",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        # The model's URLField would refuse http://127.0.0.1:…; the fetcher's rule decides.
        extra_kwargs = {"url": {"validators": []}}

    def to_representation(self, instance: WebhookEndpoint) -> dict:
        data = super().to_representation(instance)
        if not self.context.get("show_secret"):
            data["secret"] = instance.secret[:10] + "…"
        return data


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "ok", "response_code", "latency_ms", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "message_id",
            "event",
            "status",
            "attempts",
            "created_at",
            "delivered_at",
            "attempt_log",
        ]


def _queued(call) -> None:
    try:
        call()
    except Exception as exc:  # the broker is down
        raise ServiceUnavailable(f"Could not queue it: {exc}") from None


class WebhookEndpointViewSet(viewsets.ModelViewSet):
    permission_classes = [*HAS_ROLE, CanManageWebhooks]
    serializer_class = EndpointSerializer
    queryset = WebhookEndpoint.objects.select_related("collection").order_by("id")
    filter_backends: list = []

    def perform_create(self, serializer: EndpointSerializer) -> None:
        serializer.instance = services.endpoint_create(
            user=self.request.user, **serializer.validated_data
        )
        serializer.context["show_secret"] = True

    def perform_update(self, serializer: EndpointSerializer) -> None:
        serializer.instance = services.endpoint_update(
            user=self.request.user, endpoint=serializer.instance, **serializer.validated_data
        )

    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk=None) -> Response:
        """Queue a signed test message (type webhook.test); its answer shows in deliveries."""
        endpoint = self.get_object()
        _queued(lambda: services.endpoint_test_request(user=request.user, endpoint=endpoint))
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk=None) -> Response:
        """Deliveries, newest first, with every attempt (?status=pending|succeeded|failed)."""
        endpoint = self.get_object()
        rows = endpoint.deliveries.prefetch_related("attempt_log").order_by("-id")
        if request.query_params.get("status"):
            rows = rows.filter(status=request.query_params["status"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>\d+)/send-again")
    def send_again(self, request: Request, pk=None, delivery_id=None) -> Response:
        endpoint = self.get_object()
        delivery = get_object_or_404(endpoint.deliveries, pk=delivery_id)
        _queued(lambda: services.delivery_send_again_request(user=request.user, delivery=delivery))
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
