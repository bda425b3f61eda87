"""Events out: the transactional outbox (Event) and webhook endpoints, deliveries, attempts."""

from django.conf import settings
from django.db import models

from corpus.models import Collection, Document


class Event(models.Model):
    """One change, written in the transaction that makes it (a rolled-back change has none).

    Ids grow in commit order (writers serialise on SQLite; PostgreSQL takes a transaction
    lock before the insert), so `id` is the cursor consumers and webhooks read after.
    `owner` is whose work it is (blind review hides it from other reviewers like the work).
    """

    type = models.CharField(max_length=60)
    version = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField(default=dict)
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # For events that must exist once whoever records them (a run finishing).
    key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["collection", "id"]), models.Index(fields=["type", "id"])]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class WebhookEndpoint(models.Model):
    """A receiver of events, delivered in order: `cursor` is the last event handed over."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, blank=True, help_text="Empty means every type.")
    collection = models.ForeignKey(
        Collection,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text="Only events of this collection (empty: all).",
    )
    secret = models.CharField(max_length=100, help_text="Standard Webhooks secret (whsec_…).")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cursor = models.BigIntegerField(default=0, help_text="Last event id delivered or skipped.")
    failing_since = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed attempts in a row.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint (or a test message, without an event)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=60)
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.endpoint_id}: {self.status}"


class WebhookAttempt(models.Model):
    """Every try: when, HTTP status, latency, error."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField(default=False)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at}: {self.response_code or self.error}"
